"""``drummond-desktop --self-test`` (and ``drummond self-test``): is this installation whole?

Run from source or inside the PyInstaller build, it prints a first line with the version and
whether the app runs frozen, then one line per check - ``name  PASS|FAIL  detail`` - and returns
0 only when every check passed:

* ``resources``: the bundled resources directory holds the files the app needs.
* ``kernels``: the Numba kernels compile or load from the cache, and reproduce the spec's worked
  example (``engine/golden.py``) to the golden tests' tolerance.
* ``market database`` / ``user database``: the stores open the way the app opens them, then
  ``PRAGMA integrity_check`` (SQLite) or a ``SELECT 1`` round trip (PostgreSQL), and the schema
  is at the current revision. A damaged SQLite file is reported and left exactly as it is: the
  check reads it before the opener, which would set it aside.
* ``chart``: a chart renders offscreen to a non-blank image (supplied by the app layer, so this
  module never imports Qt).
* ``keyring``: the backend in use, and whether keys are saved or kept for the session only.

A check that raises becomes a FAIL line carrying the exception's message; the others still run.
Details are one line, redacted, and never carry a password or key.
"""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from drummond_desktop.core import log_setup, paths

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext

Check = Callable[[], str]  # returns the PASS detail; raises (CheckFailed or anything) to FAIL

DIST_NAME = "drummond-desktop"
# What the app cannot start without, relative to the resources root.
REQUIRED_RESOURCES: tuple[tuple[str, ...], ...] = (("demo", "universe.json"),
                                                   ("icons", "drummond-desktop.png"))
NAME_WIDTH = 16
MAX_DETAIL = 400


class CheckFailed(Exception):
    """A check's expected failure; the message is the FAIL line's detail."""


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{self.name:<{NAME_WIDTH}} {'PASS' if self.ok else 'FAIL'}  {self.detail}"


def run(ctx: AppContext, out: TextIO, chart: Check) -> int:
    """Print the header and every check's line to ``out``; 0 when all passed, else 1.
    ``chart`` is the app layer's chart check (``drummond_desktop.app.selftest_chart``)."""
    out.write(header() + "\n")
    out.flush()
    outcomes = []
    for name, check in checks(ctx, chart):
        outcome = run_check(name, check)
        out.write(outcome.line() + "\n")
        out.flush()  # a check that hangs or crashes the process still leaves the lines before it
        outcomes.append(outcome)
    return 0 if all(o.ok for o in outcomes) else 1


def checks(ctx: AppContext, chart: Check) -> Sequence[tuple[str, Check]]:
    return (
        ("resources", check_resources),
        ("kernels", check_kernels),
        ("market database", lambda: check_market_database(ctx)),
        ("user database", lambda: check_user_database(ctx)),
        ("chart", chart),
        ("keyring", check_keyring),
    )


def run_check(name: str, check: Check) -> Outcome:
    try:
        return Outcome(name, True, one_line(check()))
    except CheckFailed as exc:
        return Outcome(name, False, one_line(str(exc)))
    except Exception as exc:  # noqa: BLE001 - any failure is this check's FAIL, not the end
        return Outcome(name, False, one_line(f"{type(exc).__name__}: {exc}"))


def one_line(text: str) -> str:
    """``text`` on one line (a driver's multi-line message joined), shortened, redacted."""
    joined = " / ".join(part.strip() for part in text.splitlines() if part.strip())
    if len(joined) > MAX_DETAIL:
        joined = joined[:MAX_DETAIL - 3] + "..."
    return log_setup.redact(joined or "(no detail)")


def app_version() -> str:
    """The installed distribution's version; a frozen app may carry no dist metadata, so the
    package's own ``__version__`` is the fallback."""
    try:
        return importlib.metadata.version(DIST_NAME)
    except importlib.metadata.PackageNotFoundError:
        from drummond_desktop import __version__

        return __version__


def header() -> str:
    if getattr(sys, "frozen", False):
        how = f"frozen (PyInstaller) at {Path(sys.executable).resolve().parent}"
    else:
        how = "from source (not frozen)"
    return (f"drummond-desktop {app_version()} self-test: {how}, Python "
            f"{platform.python_version()}, {platform.system()} {platform.machine()}")


# ------------------------------------------------------------------------------ resources


def check_resources() -> str:
    root = paths.resources_root()
    if not root.is_dir():
        raise CheckFailed(f"resources directory not found: {root}")
    missing = [str(root.joinpath(*parts)) for parts in REQUIRED_RESOURCES
               if not root.joinpath(*parts).is_file()]
    if missing:
        raise CheckFailed(f"missing {', '.join(missing)}")
    return str(root)


# -------------------------------------------------------------------------------- kernels


def check_kernels() -> str:
    from engine import golden
    from engine.drummond import analyze
    from engine.warmup import warmup

    before = _kernel_cache_counts()
    problems = golden.mismatches(analyze(golden.bars()))
    if problems:
        raise CheckFailed(f"the worked example differs from the golden vectors: "
                          f"{'; '.join(problems[:3])}")
    warmup()  # the kernels the example leaves out (extended lines), as the app's start-up does
    after = _kernel_cache_counts()
    loaded = sum(1 for k, (hits, _) in after.items() if hits > before.get(k, (0, 0))[0])
    compiled = sum(1 for k, (_, miss) in after.items() if miss > before.get(k, (0, 0))[1])
    return (f"{len(golden.expected())} golden series match on {golden.N_BARS} bars "
            f"(tol {golden.TOL:g}); {_cache_story(loaded, compiled)}; "
            f"NUMBA_CACHE_DIR={_numba_cache_dir()}")


def _kernel_cache_counts() -> dict[str, tuple[int, int]]:
    """(cache hits, cache misses) per loaded engine kernel. Numba counts a hit when it loads a
    signature's machine code from the cache and a miss when it has to compile it."""
    from numba.core.dispatcher import Dispatcher

    counts: dict[str, tuple[int, int]] = {}
    for mod_name, module in list(sys.modules.items()):
        if not mod_name.startswith("engine.nb.") or module is None:
            continue
        for attr, obj in vars(module).items():
            if isinstance(obj, Dispatcher):
                stats: Any = obj.stats
                counts[f"{mod_name}.{attr}"] = (sum(stats.cache_hits.values()),
                                                sum(stats.cache_misses.values()))
    return counts


def _cache_story(loaded: int, compiled: int) -> str:
    if loaded and compiled:
        return f"{loaded} kernels loaded from the cache, {compiled} compiled"
    if loaded:
        return f"{loaded} kernels loaded from the cache"
    if compiled:
        return f"{compiled} kernels compiled (not in the cache yet)"
    return "kernels already compiled in this process"


def _numba_cache_dir() -> str:
    from numba.core import config

    # numba read NUMBA_CACHE_DIR when it was imported: its config is what is in use.
    return str(getattr(config, "CACHE_DIR", "")) or "unset (numba's __pycache__ beside the sources)"


# ------------------------------------------------------------------------------ databases


def check_market_database(ctx: AppContext) -> str:
    from drummond_desktop.store.engines import resolve_target
    from drummond_desktop.store.stores import MARKET_FILE

    # The URL AppContext.market_store() opens: --db-url, then the environment or settings.
    url = ctx.market_db_url()
    target = resolve_target(url, paths.user_data_dir(create=False) / MARKET_FILE)
    label = f"SQLite {target.path}" if target.path is not None else ctx.database_label()
    return _check_store("market", label, target.path, ctx.market_store)


def check_user_database(ctx: AppContext) -> str:
    from drummond_desktop.store.stores import USER_FILE

    path = paths.user_data_dir(create=False) / USER_FILE
    return _check_store("user", f"SQLite {path.absolute()}", path, ctx.user_store)


def _check_store(kind: str, label: str, path: Path | None, opener: Callable[[], Any]) -> str:
    """Read a SQLite file's health first (read-only): the opener sets a damaged file aside and
    starts a fresh one, which would both change the user's file and hide the damage."""
    from drummond_desktop.store import migrate, migrations

    if path is not None and path.exists():
        problem = migrate.sqlite_problem(path)
        if problem is not None:
            raise CheckFailed(f"{label} is damaged ({problem}); left untouched (the app would "
                              "move it aside and start an empty one)")
    store = opener()
    if store.notice is not None:
        raise CheckFailed(f"{label}: {store.notice.user_message}")
    check, revisions = _integrity(store, kind, label)
    head = migrations.head(kind)
    if revisions != {head}:
        raise CheckFailed(f"{label}: schema revision {', '.join(sorted(revisions)) or 'none'}, "
                          f"expected {head}")
    return f"{label}: {check}, schema {head}"


def _integrity(store: Any, kind: str, label: str) -> tuple[str, set[str]]:
    from sqlalchemy import text

    from drummond_desktop.store.engines import read_connection
    from drummond_desktop.store.migrate import VERSION_TABLES

    with read_connection(store.engine, store.where, "the self-test's integrity check") as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
            status = "; ".join(str(r[0]) for r in rows[:3])
            if status != "ok":
                raise CheckFailed(f"{label}: integrity_check: {status}")
            check = "integrity_check ok"
        else:
            if conn.execute(text("SELECT 1")).scalar() != 1:
                raise CheckFailed(f"{label}: SELECT 1 did not return 1")
            check = "SELECT 1 ok"
        table = VERSION_TABLES[kind]
        revisions = {str(r[0]) for r in conn.execute(text(f"SELECT version_num FROM {table}"))}
    return check, revisions


# -------------------------------------------------------------------------------- keyring


def check_keyring() -> str:
    import keyring

    from drummond_desktop.core.secrets import is_secure_backend

    backend = keyring.get_keyring()
    name = _backend_name(backend)
    if is_secure_backend(backend):
        return f"{name}: secure, API keys are saved in the system key store"
    return (f"{name}: no secure backend, the app runs session-only (an API key is kept until "
            "the app closes, never written to a file)")


def _backend_name(backend: object) -> str:
    kind = type(backend)
    name = f"{kind.__module__}.{kind.__qualname__}"
    chained = getattr(backend, "backends", None)
    if isinstance(chained, list | tuple):
        name += f" [{', '.join(_backend_name(b) for b in chained)}]"
    return name
