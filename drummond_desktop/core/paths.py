"""Where things live: bundled resources and the per-user data, config, cache and log directories.

Resources are read-only files shipped with the app (``resources/`` in a source checkout,
``sys._MEIPASS/resources`` in a PyInstaller build). User directories come from platformdirs under
the app name ``drummond-desktop``; environment variables override them for tests and portable mode:

=====================  ======================
function               override
=====================  ======================
``user_data_dir``      ``DRUMMOND_DATA_DIR``
``user_config_dir``    ``DRUMMOND_CONFIG_DIR``
``user_cache_dir``     ``DRUMMOND_CACHE_DIR``
``user_log_dir``       ``DRUMMOND_LOG_DIR``
=====================  ======================

Every function reads the environment when it is called, never at import, so a test (or the
``--portable`` switch) can set a variable after the module has been imported.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP_NAME = "drummond-desktop"

ENV_DATA_DIR = "DRUMMOND_DATA_DIR"
ENV_CONFIG_DIR = "DRUMMOND_CONFIG_DIR"
ENV_CACHE_DIR = "DRUMMOND_CACHE_DIR"
ENV_LOG_DIR = "DRUMMOND_LOG_DIR"

# drummond_desktop/core/paths.py -> the checkout's root holds resources/ beside the packages.
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


def resources_root() -> Path:
    """The directory that holds the bundled resources (it need not exist)."""
    if getattr(sys, "frozen", False):
        # PyInstaller unpacks (onefile) or places (onedir) the data files under sys._MEIPASS;
        # the spec file adds resources/ there under the same name.
        bundle = getattr(sys, "_MEIPASS", None)
        base = Path(bundle) if bundle else Path(sys.executable).resolve().parent
        return base / "resources"
    checkout = _SOURCE_ROOT / "resources"
    # An installed wheel carries the same files inside the package (pyproject force-include).
    installed = Path(__file__).resolve().parents[1] / "_resources"
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


def resource_path(*parts: str) -> Path:
    """The path of a bundled resource file or directory, e.g. ``resource_path("demo", "x.json")``.

    Raises ``FileNotFoundError`` naming the full path when it does not exist, and ``ValueError``
    for parts that would leave the resources directory (absolute paths, ``..``).
    """
    if not parts:
        raise ValueError("resource_path() needs at least one path part")
    root = resources_root()
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise ValueError(f"resource path {'/'.join(parts)!r} leaves the resources directory")
    if not path.exists():
        raise FileNotFoundError(f"bundled resource not found: {path}")
    return path


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if it is missing; return it."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def _user_dir(env: str, default: Callable[[], str], create: bool) -> Path:
    override = os.environ.get(env, "").strip()
    # absolute(): a relative override must not move when the process changes directory later.
    path = Path(override).expanduser().absolute() if override else Path(default())
    return ensure_dir(path) if create else path


def user_data_dir(*, create: bool = True) -> Path:
    """Databases and other data the user would miss (``market.sqlite``, ``user.sqlite``)."""
    return _user_dir(ENV_DATA_DIR,
                     lambda: platformdirs.user_data_dir(APP_NAME, appauthor=False), create)


def user_config_dir(*, create: bool = True) -> Path:
    """The settings file."""
    return _user_dir(ENV_CONFIG_DIR,
                     lambda: platformdirs.user_config_dir(APP_NAME, appauthor=False), create)


def user_cache_dir(*, create: bool = True) -> Path:
    """Anything that can be rebuilt (compiled kernels, thumbnails)."""
    return _user_dir(ENV_CACHE_DIR,
                     lambda: platformdirs.user_cache_dir(APP_NAME, appauthor=False), create)


def user_log_dir(*, create: bool = True) -> Path:
    """Rotating log files."""
    return _user_dir(ENV_LOG_DIR,
                     lambda: platformdirs.user_log_dir(APP_NAME, appauthor=False), create)


def numba_cache_dir(*, create: bool = True) -> Path:
    """Where numba keeps compiled kernels (``NUMBA_CACHE_DIR``): a frozen app's own directory
    is read-only, so the cache must live in the user's cache directory."""
    path = user_cache_dir(create=create) / "numba"
    return ensure_dir(path) if create else path
