"""paperworks.data (the layer below paperworks.graphs) no longer imports it (session 24): the heterograph loaders
used graphs.hetero's check_hetero / stratified_split and graphs._checks.split_overlap through lazy imports. Those
pure checks and the label split now live in paperworks.data (data.hetero, data.splits); the graphs names are the
same objects, re-exported, so callers do not change."""

import subprocess
import sys
import textwrap

_PROBE = textwrap.dedent("""
    import sys, tempfile, pathlib
    from paperworks.data.hetero import hetero_from_config, load_hetero_folder, make_academic_hetero, save_hetero_npz
    g = make_academic_hetero(n_papers=40, n_authors=20, n_subjects=6, n_terms=12, vocab=16, seed=0)
    with tempfile.TemporaryDirectory() as d:
        save_hetero_npz(g, pathlib.Path(d) / "toy.npz", target="paper")
        h = load_hetero_folder("toy", d)
    assert int(h["paper"].train_mask.sum()) == int(g["paper"].train_mask.sum()) > 0
    print(sorted(m for m in sys.modules if m == "paperworks.graphs" or m.startswith("paperworks.graphs.")))
""")


def test_data_hetero_loaders_import_no_graphs_module():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout


def test_graphs_names_are_the_data_objects():
    import paperworks.data.hetero as dh
    import paperworks.data.splits as ds
    from paperworks.graphs import _checks, hetero

    assert hetero.check_hetero is dh.check_hetero and hetero.num_nodes_of is dh.num_nodes_of
    assert hetero.stratified_split is ds.stratified_split and _checks.split_overlap is ds.split_overlap
    for name in ("check_hetero", "num_nodes_of", "stratified_split"):
        assert name in hetero.__all__
    assert "split_overlap" in _checks.__all__
