"""paperworks: faithful, tested, small-scale reproductions of machine-learning papers on shared engines."""

from paperworks._tmpfiles import register_cleanup as _register_cleanup

__version__ = "0.1.0"

_register_cleanup()
