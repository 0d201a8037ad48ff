"""Qt-free foundations: paths, errors, task plumbing, logging."""
