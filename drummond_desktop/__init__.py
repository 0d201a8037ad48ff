"""Drummond Desktop: the application around the Drummond Geometry engine."""

__version__ = "0.1.0"
