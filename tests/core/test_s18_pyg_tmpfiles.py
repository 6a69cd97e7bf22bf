"""PyG writes one template module per message-passing class and process into the temp folder and never deletes
it; a process that imported paperworks must leave none behind (also in the spawn workers of run_jobs)."""

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("torch_geometric")

_JOB = textwrap.dedent("""
    def build(width):
        from torch_geometric.nn import GCNConv, GraphConv
        GCNConv(width, 4)
        GraphConv(width, 4)
        return width
""")


def _leftovers(tmp):
    return sorted(f for f in os.listdir(tmp) if f.startswith("torch_geometric.") and f.endswith(".py"))


def _run(code, tmp, extra_path=None):
    env = dict(os.environ, TMPDIR=str(tmp), OMP_NUM_THREADS="1")
    if extra_path:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_s18_main_process_leaves_no_pyg_template_files(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = _run("import os, tempfile\nimport paperworks.graphs\n"
               "from torch_geometric.nn import GCNConv, SAGEConv\nGCNConv(3, 4); SAGEConv(3, 4)\n"
               "print(sum(f.startswith('torch_geometric.') for f in os.listdir(tempfile.gettempdir())))", tmp)
    assert int(out.strip()) >= 2          # PyG did write its files while the process ran
    assert _leftovers(tmp) == []          # and none is left once it has exited


def test_s18_spawn_workers_leave_no_pyg_template_files(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "s18_job.py").write_text(_JOB)
    out = _run("from paperworks.core.parallel import run_jobs\nimport s18_job\n"
               "print(run_jobs(s18_job.build, [dict(width=3), dict(width=5)], workers=2))", tmp, tmp_path)
    assert out.strip() == "[3, 5]"
    assert _leftovers(tmp) == []


def test_s18_cleanup_removes_only_pyg_template_files(tmp_path, monkeypatch):
    import types

    from paperworks import _tmpfiles

    monkeypatch.setattr(_tmpfiles.tempfile, "gettempdir", lambda: str(tmp_path))
    ours = tmp_path / "torch_geometric.fake_mod_propagate_ab12cd.py"
    other = tmp_path / "torch_geometric.other_xyz.py"       # no module of that name is loaded
    user = tmp_path / "user_module_ab12cd.py"
    for f in (ours, other, user):
        f.write_text("x = 1\n")
    mod = types.ModuleType("torch_geometric.fake_mod_propagate")
    mod.__file__ = str(ours)
    foreign = types.ModuleType("torch_geometric.elsewhere")
    foreign.__file__ = str(tmp_path / "sub" / "torch_geometric.elsewhere_q.py")
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setitem(sys.modules, foreign.__name__, foreign)
    assert _tmpfiles.remove_pyg_template_files() == 1
    assert not ours.exists() and other.exists() and user.exists()
