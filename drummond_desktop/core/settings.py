"""Settings: a small, versioned JSON file in the user config dir, read when asked (never at
import). Secrets never live here: the EODHD key and database passwords are in the keyring.

Bump ``SCHEMA_VERSION`` when a field changes meaning or is removed (and migrate in ``_migrate``);
adding a field with a default needs no bump.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from drummond_desktop.core.errors import BadFile
from drummond_desktop.core.paths import user_config_dir

SCHEMA_VERSION = 1
FILENAME = "settings.json"
ENV_MARKET_DB_URL = "DRUMMOND_MARKET_DB_URL"
ENV_DAILY_BUDGET = "DRUMMOND_EODHD_DAILY_BUDGET"


@dataclass(frozen=True)
class Settings:
    """``market_db_url``: a PostgreSQL URL for market data (None: the embedded SQLite file);
    ``eodhd_daily_budget``: calls per UTC day the app may spend (the plan's quota or less)."""

    schema_version: int = SCHEMA_VERSION
    market_db_url: str | None = None
    eodhd_daily_budget: int = 100_000
    theme: str = "dark"  # "dark" or "light"

    def __post_init__(self) -> None:
        if self.market_db_url is not None and ":" in self.market_db_url.split("@")[0].split(
                "//")[-1]:
            raise ValueError("market_db_url must not contain a password (it belongs in the "
                             "keyring)")
        if self.eodhd_daily_budget < 0:
            raise ValueError("eodhd_daily_budget must be >= 0")


def settings_path() -> Path:
    return user_config_dir() / FILENAME


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there is no file; ``BadFile`` when it is
    unreadable or not ours (the file is left as it is)."""
    target = path or settings_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise BadFile(target, 0, f"unreadable settings ({exc})") from None
    if not isinstance(data, dict):
        raise BadFile(target, 0, "settings must be a JSON object")
    known = {f.name for f in fields(Settings)}
    try:
        return Settings(**{k: v for k, v in _migrate(data).items() if k in known})
    except (TypeError, ValueError) as exc:
        raise BadFile(target, 0, f"invalid settings: {exc}") from None


def save_settings(settings: Settings, path: Path | None = None) -> None:
    target = path or settings_path()
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
    os.replace(tmp, target)


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(f"settings schema {version!r} is newer than this app understands")
    return data


def with_environment(settings: Settings, environ: dict[str, str] | None = None) -> Settings:
    """Environment overrides (for headless use): the market DB URL and the daily budget."""
    env = os.environ if environ is None else environ
    out = settings
    if env.get(ENV_MARKET_DB_URL):
        out = replace(out, market_db_url=env[ENV_MARKET_DB_URL])
    if env.get(ENV_DAILY_BUDGET):
        try:
            out = replace(out, eodhd_daily_budget=int(env[ENV_DAILY_BUDGET]))
        except ValueError:
            raise ValueError(f"{ENV_DAILY_BUDGET} must be a whole number, got "
                             f"{env[ENV_DAILY_BUDGET]!r}") from None
    return out
