"""One module (or small package) per paper; each registers itself with ``paperworks.core.register``."""
