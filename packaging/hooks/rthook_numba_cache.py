"""PyInstaller runtime hook: numba's kernel cache goes to the per-user cache directory.

It runs before the entry script, so before anything can import numba (which reads its
configuration once, at import). Without it numba would try to write beside the kernel sources
inside the bundle, which is read-only once installed (/opt, Program Files, a signed .app).

* ``NUMBA_CACHE_DIR``: ``drummond_desktop.core.paths.numba_cache_dir()`` itself (a light module:
  os, sys, pathlib, platformdirs), so the frozen app and a source run can never disagree; it
  honours ``DRUMMOND_CACHE_DIR``. A value already set wins (an empty one counts as unset, as it
  does for numba).
* ``NUMBA_CACHE_LOCATOR_CLASSES``: numba cannot find a frozen module's source by the relative
  file name PyInstaller gives it; ``drummond_numba_locator`` (packaging/frozen/) resolves it in
  the bundle. numba's user-wide locator stays as the fallback for an unwritable cache directory.
"""

import os
import sys

LOCATORS = "drummond_numba_locator.BundledSourceLocator,UserWideCacheLocator"


def _point_numba_cache() -> None:
    if getattr(sys, "frozen", False) and not os.environ.get("NUMBA_CACHE_LOCATOR_CLASSES"):
        os.environ["NUMBA_CACHE_LOCATOR_CLASSES"] = LOCATORS
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    from drummond_desktop.core.paths import numba_cache_dir

    try:
        path = numba_cache_dir()
    except OSError as exc:
        # An unwritable profile: leave numba to its fallback rather than fail the start here
        # (the self-test and the log then show whether kernels could be cached).
        if sys.stderr is not None:
            print(f"drummond-desktop: cannot create the numba cache directory ({exc})",
                  file=sys.stderr)
        return
    os.environ["NUMBA_CACHE_DIR"] = str(path)


_point_numba_cache()
