"""Example models and the paper's experiments built on symphys."""
