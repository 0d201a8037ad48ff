"""Composition root of the ``drummond-desktop`` entry point: builds the services and hands them
to a front end. Nothing happens at import time, and nothing heavy is imported then either: the
engine (numba) and the front end load when ``main`` runs.

Until the desktop window lands, the front end is the headless demo analysis (``drummond demo``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drummond_desktop.services.analysis import AnalysisService

NOT_BUILT = ("Drummond Desktop: the desktop window is not built yet; this is the headless demo "
             "analysis (the same as `drummond demo`).")


def build_services() -> AnalysisService:
    """Every service the front ends use, wired to their data sources."""
    from drummond_desktop.services.analysis import AnalysisService

    return AnalysisService()


def main() -> int:
    """Entry point of ``drummond-desktop``; returns the exit code."""
    from drummond_desktop import cli

    service = build_services()
    if sys.stdout is None:  # a windowed launch (pythonw) has no console to show the report on
        return 0
    print(NOT_BUILT, flush=True)
    print(flush=True)
    return cli.main(["demo"], service=service, stdout=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
