"""Resource lookup (checkout and frozen layouts) and the user directories with their overrides."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import platformdirs
import pytest

from drummond_desktop.core import paths

UserDir = Callable[..., Path]
Default = Callable[..., str]
DIRS: list[tuple[UserDir, str, Default]] = [
    (paths.user_data_dir, "DRUMMOND_DATA_DIR", platformdirs.user_data_dir),
    (paths.user_config_dir, "DRUMMOND_CONFIG_DIR", platformdirs.user_config_dir),
    (paths.user_cache_dir, "DRUMMOND_CACHE_DIR", platformdirs.user_cache_dir),
    (paths.user_log_dir, "DRUMMOND_LOG_DIR", platformdirs.user_log_dir),
]
IDS = [env for _, env, _ in DIRS]


@pytest.mark.parametrize(("func", "env", "_default"), DIRS, ids=IDS)
def test_override_wins_and_is_read_at_call_time(func: UserDir, env: str, _default: Default,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # The module is long imported; each call must see the variable as it is now.
    monkeypatch.setenv(env, str(tmp_path / "first"))
    assert func() == tmp_path / "first"
    monkeypatch.setenv(env, str(tmp_path / "second" / "nested"))
    got = func()
    assert got == tmp_path / "second" / "nested"
    assert got.is_dir(), "the directory is created on demand"


@pytest.mark.parametrize(("func", "env", "default"), DIRS, ids=IDS)
def test_without_override_platformdirs_decides(func: UserDir, env: str, default: Default,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(env, raising=False)
    # create=False: a test must not make directories in the real home.
    assert func(create=False) == Path(default("drummond-desktop", appauthor=False))


def test_blank_override_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUMMOND_DATA_DIR", "  ")
    expected = Path(platformdirs.user_data_dir("drummond-desktop", appauthor=False))
    assert paths.user_data_dir(create=False) == expected


def test_relative_override_is_anchored_when_read(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRUMMOND_CONFIG_DIR", "portable/config")
    assert paths.user_config_dir() == tmp_path / "portable" / "config"


def test_numba_cache_lives_in_the_cache_dir(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUMMOND_CACHE_DIR", str(tmp_path / "cache"))
    assert paths.numba_cache_dir() == tmp_path / "cache" / "numba"
    assert (tmp_path / "cache" / "numba").is_dir()


def test_create_false_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRUMMOND_CACHE_DIR", str(tmp_path / "cache"))
    assert paths.numba_cache_dir(create=False) == tmp_path / "cache" / "numba"
    assert not (tmp_path / "cache").exists()


def test_ensure_dir_makes_parents_and_tolerates_existing(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    assert paths.ensure_dir(target) == target and target.is_dir()
    assert paths.ensure_dir(target) == target


def test_resource_path_finds_the_demo_universe() -> None:
    found = paths.resource_path("demo", "universe.json")
    assert found.is_file()
    assert found == Path(__file__).resolve().parents[2] / "resources" / "demo" / "universe.json"


def test_missing_resource_names_the_full_path() -> None:
    with pytest.raises(FileNotFoundError) as info:
        paths.resource_path("demo", "no-such-file.json")
    assert str(paths.resources_root() / "demo" / "no-such-file.json") in str(info.value)


@pytest.mark.parametrize("parts", [("..", "pyproject.toml"), ("/etc", "passwd")])
def test_resource_path_stays_inside_resources(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="leaves the resources directory"):
        paths.resource_path(*parts)


def test_frozen_app_reads_resources_from_meipass(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = tmp_path / "resources" / "demo" / "universe.json"
    bundled.parent.mkdir(parents=True)
    bundled.write_text("{}", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert paths.resources_root() == tmp_path / "resources"
    assert paths.resource_path("demo", "universe.json") == bundled
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "resources" / "icons")):
        paths.resource_path("icons")


def test_not_frozen_ignores_a_stray_meipass(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert paths.resources_root() == Path(__file__).resolve().parents[2] / "resources"
