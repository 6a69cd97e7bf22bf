"""paperworks: faithful, tested, small-scale reproductions of machine-learning papers on shared engines."""

__version__ = "0.1.0"
