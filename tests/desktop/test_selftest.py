"""``drummond-desktop --self-test``: in-process through ``bootstrap.main`` (real SQLite files in
the test's own user dirs, real Qt offscreen, the real keyring), as subprocesses of the two entry
points (the desktop one is what the frozen app runs), and on PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import keyring
import keyring.core
import pytest
from sqlalchemy.engine import make_url

from drummond_desktop import __version__, bootstrap, selftest
from drummond_desktop.core import paths
from drummond_desktop.core.secrets import is_secure_backend
from drummond_desktop.store import open_market_store
from engine import golden
from tests.store.pg import PG_URL, pg_schema_url, require_postgres

NAMES = ["resources", "kernels", "market database", "user database", "chart", "keyring"]
LINE = re.compile(r"^(?P<name>.{16}) (?P<status>PASS|FAIL)  (?P<detail>\S.*)$")
ROOT = Path(__file__).resolve().parents[2]
CANARY = "pw-CANARY-selftest-71"

# The offscreen platform says so when the chart check shows its widget.
pytestmark = pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints")


def parse(out: str) -> tuple[str, dict[str, tuple[str, str]]]:
    """The header line and {check name: (status, detail)}; every other line must be a check."""
    header, *rest = out.splitlines()
    found = {}
    for line in rest:
        m = LINE.match(line)
        assert m is not None, f"not a check line: {line!r}"
        found[m["name"].strip()] = (m["status"], m["detail"])
    assert list(found) == NAMES, out
    return header, found


def run_in_process(capsys: pytest.CaptureFixture[str], *args: str
                   ) -> tuple[int, str, dict[str, tuple[str, str]]]:
    code = bootstrap.main(["--self-test", *args])
    header, found = parse(capsys.readouterr().out)
    return code, header, found


@pytest.fixture(autouse=True)
def _numba_cache_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # main() sets NUMBA_CACHE_DIR with setdefault; set it here so the test restores it after.
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(paths.numba_cache_dir()))


# ------------------------------------------------------------------------------ in process


def test_every_check_passes_with_fresh_user_dirs(qapp, capsys):
    code, header, found = run_in_process(capsys)
    assert code == 0, found
    assert header.startswith(f"drummond-desktop {__version__} self-test: from source")
    assert {status for status, _ in found.values()} == {"PASS"}
    data = paths.user_data_dir()
    assert found["resources"][1] == str(paths.resources_root())
    assert "16 golden series match on 10 bars (tol 1e-09)" in found["kernels"][1]
    assert found["market database"][1] == (f"SQLite {data / 'market.sqlite'}: integrity_check "
                                           "ok, schema market_0002")
    assert found["user database"][1] == (f"SQLite {data / 'user.sqlite'}: integrity_check ok, "
                                         "schema user_0003")
    assert "10 golden bars with their DG overlay drawn" in found["chart"][1]
    backend = keyring.get_keyring()
    assert type(backend).__qualname__ in found["keyring"][1]
    assert ("session-only" in found["keyring"][1]) is not is_secure_backend(backend)


@pytest.mark.parametrize("damage", ["garbage", "damaged page"])
def test_a_damaged_market_file_fails_and_is_left_exactly_as_it_was(qapp, capsys, damage):
    data = paths.user_data_dir()
    market = data / "market.sqlite"
    if damage == "garbage":
        market.write_bytes(b"this is no database\n" * 500)
    else:
        open_market_store().close()  # a real store file, then its schema page overwritten
        raw = bytearray(market.read_bytes())
        raw[100:4096] = b"\xa5" * (4096 - 100)
        market.write_bytes(bytes(raw))
    before = market.read_bytes()
    code, _, found = run_in_process(capsys)
    assert code == 1
    status, detail = found["market database"]
    assert status == "FAIL" and f"SQLite {market} is damaged" in detail and "untouched" in detail
    assert market.read_bytes() == before
    # Nothing set aside. (The read-only health check of store/migrate.py leaves an empty -wal
    # and a -shm beside a WAL-mode file; garbage without SQLite's header is never opened.)
    beside = {p.name for p in data.iterdir() if p.name.startswith("market")}
    sidecars = {"market.sqlite-wal", "market.sqlite-shm"} if damage != "garbage" else set()
    assert beside - sidecars == {"market.sqlite"}
    assert all((data / name).stat().st_size == 0 for name in beside & {"market.sqlite-wal"})
    assert [n for n, (s, _) in found.items() if s == "FAIL"] == ["market database"]


def test_a_missing_resource_is_named(qapp, capsys, monkeypatch, tmp_path):
    root = tmp_path / "resources"
    (root / "demo").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "demo" / "universe.json", root / "demo" / "universe.json")
    monkeypatch.setattr(paths, "resources_root", lambda: root)
    code, _, found = run_in_process(capsys)
    assert code == 1
    assert found["resources"] == ("FAIL", f"missing {root / 'icons' / 'drummond-desktop.png'}")
    assert [n for n, (s, _) in found.items() if s == "FAIL"] == ["resources"]  # others ran

    monkeypatch.setattr(paths, "resources_root", lambda: tmp_path / "nowhere")
    outcome = selftest.run_check("resources", selftest.check_resources)
    assert not outcome.ok and outcome.detail == \
        f"resources directory not found: {tmp_path / 'nowhere'}"


def test_a_keyring_that_cannot_be_resolved_fails(monkeypatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # resolve again, from the env
    outcome = selftest.run_check("keyring", selftest.check_keyring)
    assert not outcome.ok
    assert outcome.detail == "ModuleNotFoundError: No module named 'no_such_module'"


def test_a_raising_check_becomes_one_fail_line_and_secrets_are_masked():
    def boom() -> str:
        raise RuntimeError(f"first line\n  second line ?api_token={CANARY}")

    outcome = selftest.run_check("chart", boom)
    assert not outcome.ok and "\n" not in outcome.line()
    assert outcome.detail.startswith("RuntimeError: first line / second line ?api_token=")
    assert CANARY not in outcome.line()


def test_the_golden_comparison_names_the_field_and_bar_that_differ():
    series = golden.expected()
    assert golden.mismatches(SimpleNamespace(**series)) == []  # type: ignore[arg-type]
    series["pldot"] = series["pldot"].copy()
    series["pldot"][5] += 1e-6  # a thousand times the tolerance
    series["state"] = series["state"][:-1]
    problems = golden.mismatches(SimpleNamespace(**series))  # type: ignore[arg-type]
    assert problems == ["pldot[5]: 106.000001, expected 106", "state: 9 values, expected 10"]


def test_the_header_says_frozen_and_survives_missing_dist_metadata(monkeypatch):
    import importlib.metadata

    def missing(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(importlib.metadata, "version", missing)
    header = selftest.header()
    assert header.startswith(f"drummond-desktop {__version__} self-test: frozen (PyInstaller) at "
                             f"{Path(sys.executable).resolve().parent}")


# ------------------------------------------------------------------------------ subprocesses


def _script(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"the `{name}` script is not installed: run ./packaging/dev-run true")
    return found


def test_both_entry_points_pass_and_the_second_start_loads_kernels_from_the_cache(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "QT_QPA_PLATFORM", "PYTHON_KEYRING_BACKEND")}
    for name in ("DATA", "CONFIG", "CACHE", "LOG"):
        env[f"DRUMMOND_{name}_DIR"] = str(tmp_path / name.lower())
    cache = tmp_path / "cache" / "numba"
    runs = [[_script("drummond-desktop"), "--self-test"],  # the frozen app's entry point
            [sys.executable, "-m", "drummond_desktop", "self-test"]]  # `drummond self-test`
    founds = []
    for argv in runs:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        founds.append(parse(proc.stdout)[1])
    first, second = (f["kernels"][1] for f in founds)
    assert "kernels compiled (not in the cache yet)" in first
    assert "kernels loaded from the cache;" in second and "compiled" not in second
    assert first.endswith(f"NUMBA_CACHE_DIR={cache}")
    assert second.endswith(f"NUMBA_CACHE_DIR={cache}")
    assert "Qt platform offscreen" in founds[0]["chart"][1]  # set because it was unset


# -------------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh schema in the test database (dropped afterwards)."""
    server = make_url(PG_URL)
    require_postgres(server)
    yield from pg_schema_url(server)


@pytest.mark.parametrize("how", ["--db-url", "environment"])
def test_postgres_market_database_passes(qapp, capsys, monkeypatch, pg_url, how):
    if how == "environment":  # settings refuse a password there: it belongs in the keyring
        monkeypatch.setenv("DRUMMOND_MARKET_DB_URL", pg_url)
        args: list[str] = []
    else:  # trust authentication ignores the password; the output must not show it
        url = make_url(pg_url).set(password=CANARY).render_as_string(hide_password=False)
        args = ["--db-url", url]
    code, _, found = run_in_process(capsys, *args)
    assert code == 0, found
    status, detail = found["market database"]
    assert status == "PASS" and detail.startswith(f"PostgreSQL {make_url(pg_url).host}:")
    assert detail.endswith(": SELECT 1 ok, schema market_0002")
    assert CANARY not in str(found)


def test_an_unreachable_postgres_fails_naming_the_server(qapp, capsys):
    url = f"postgresql+psycopg://postgres:{CANARY}@127.0.0.1:1/nowhere"
    code, _, found = run_in_process(capsys, "--db-url", url)
    assert code == 1
    status, detail = found["market database"]
    assert status == "FAIL" and "127.0.0.1" in detail and "nowhere" in detail
    assert CANARY not in str(found)
    assert [n for n, (s, _) in found.items() if s == "FAIL"] == ["market database"]
