"""The PySide6 + pyqtgraph desktop front end (only ``bootstrap`` imports it)."""
