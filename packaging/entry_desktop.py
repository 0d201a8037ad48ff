"""PyInstaller entry of the ``drummond-desktop`` executable (the window).

The same function as the ``drummond-desktop`` gui-script of pyproject.toml; PyInstaller needs a
script file rather than an entry-point name. Started through a link named ``drummond`` (the Linux
build ships ``drummond -> drummond-desktop`` instead of a second executable that would carry a
second 15 MB copy of the Python modules) it runs the command line instead, as ``entry_cli.py``
does on Windows and macOS.
"""

import os
import sys

from drummond_desktop.bootstrap import cli_main, main

CLI_NAME = "drummond"


def _started_as_cli() -> bool:
    name = os.path.basename(sys.argv[0]) if sys.argv else ""
    return os.path.splitext(name)[0] == CLI_NAME


if __name__ == "__main__":
    raise SystemExit(cli_main() if _started_as_cli() else main())
