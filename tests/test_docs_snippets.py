"""Every ```python block in docs/systems/*.md (and README.md, should it ever get one) runs as written.

Each block is executed on its own, in a fresh namespace, with one torch thread and a temporary working
directory, so a block must define every name it uses. A block that raises fails its test; a docs page
with no python block fails too, so an example cannot silently disappear.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from paperworks.core.threads import torch_threads

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_DOCS = sorted((ROOT / "docs" / "systems").glob("*.md"))
# pages that must carry at least one python example; README.md is scanned but may have none
OPTIONAL_DOCS = [ROOT / "README.md"]

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """The ```python blocks of a markdown file as (1-based line of the fence, code)."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def _cases():
    cases = []
    for path in SYSTEM_DOCS:
        blocks = python_blocks(path)
        rel = path.relative_to(ROOT).as_posix()
        if not blocks:
            cases.append(pytest.param(rel, None, None, id=f"{path.name}-missing"))
        for i, (line, code) in enumerate(blocks):
            cases.append(pytest.param(rel, line, code, id=f"{path.name}-{i}"))
    for path in OPTIONAL_DOCS:
        if path.exists():
            for i, (line, code) in enumerate(python_blocks(path)):
                rel = path.relative_to(ROOT).as_posix()
                cases.append(pytest.param(rel, line, code, id=f"{path.name}-{i}"))
    return cases


def test_extractor_finds_fenced_blocks_only(tmp_path):
    text = "intro\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = 2\nc = 3\n```\n"
    (tmp_path / "page.md").write_text(text, encoding="utf-8")
    assert python_blocks(tmp_path / "page.md") == [(2, "a = 1\n"), (8, "b = 2\nc = 3\n")]


def test_every_system_page_is_scanned():
    assert len(SYSTEM_DOCS) >= 11, [p.name for p in SYSTEM_DOCS]


@pytest.mark.parametrize("doc, line, code", _cases())
def test_doc_python_block_runs(doc, line, code, tmp_path, monkeypatch):
    if code is None:
        pytest.fail(f"{doc} has no ```python block (each system page must show its Python API)")
    monkeypatch.chdir(tmp_path)
    # pad so that traceback line numbers are the markdown file's own
    compiled = compile("\n" * line + code, str(ROOT / doc), "exec")
    namespace = {"__name__": "__doc_snippet__"}
    # one thread; the global torch RNG is seeded for the block and restored afterwards (other tests unaffected)
    with torch_threads(1), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        exec(compiled, namespace)  # noqa: S102 - the docs' own examples
