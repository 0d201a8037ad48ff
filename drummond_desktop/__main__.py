"""``python -m drummond_desktop``: the ``drummond`` command line."""

from drummond_desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
