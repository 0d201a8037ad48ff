"""PyInstaller entry of the ``drummond`` executable (the command line, a console program).

The same function as the ``drummond`` script of pyproject.toml.
"""

from drummond_desktop.bootstrap import cli_main

if __name__ == "__main__":
    raise SystemExit(cli_main())
