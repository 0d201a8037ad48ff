"""``python -m drummond_desktop``: the ``drummond`` command line."""

from drummond_desktop.bootstrap import cli_main as main

if __name__ == "__main__":
    raise SystemExit(main())
