"""Removes the source files that PyTorch Geometric writes to the temp folder, when the process exits.

PyG (2.5+) renders the ``propagate`` / ``edge_updater`` of every message-passing class from a template into a
``NamedTemporaryFile(delete=False)`` the first time the class is built in a process, and never deletes it. Every
process that builds a graph layer (each spawn worker of a reproduction, each test process) therefore leaves a
few files behind in the temp folder: over a day of runs, thousands. The files are only read while the module
is imported (and by tracebacks), so deleting them when the process ends is safe.

Only files that match what PyG wrote are removed: a loaded module named ``torch_geometric.<...>`` whose file
lies directly in the temp folder and is named ``<module name>_<random>.py``.
"""

from __future__ import annotations

import atexit
import os
import sys
import tempfile

_registered = False


def pyg_template_files() -> list[str]:
    """Paths of the PyG template modules loaded in this process whose files still exist in the temp folder."""
    tmp = os.path.realpath(tempfile.gettempdir())
    out = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("torch_geometric."):
            continue
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        base = os.path.basename(path)
        if (os.path.realpath(os.path.dirname(path)) == tmp and base.startswith(name + "_") and base.endswith(".py")
                and os.path.isfile(path)):
            out.append(path)
    return out


def remove_pyg_template_files() -> int:
    """Delete the files of :func:`pyg_template_files`; returns how many were removed (errors are ignored)."""
    n = 0
    for path in pyg_template_files():
        try:
            os.remove(path)
            n += 1
        except OSError:
            pass
    return n


def register_cleanup() -> None:
    """Run :func:`remove_pyg_template_files` at interpreter exit (once per process)."""
    global _registered
    if not _registered:
        atexit.register(remove_pyg_template_files)
        _registered = True
