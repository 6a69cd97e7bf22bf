"""Model architectures shared by several systems (e.g. the MNIST target models A, B, C)."""
