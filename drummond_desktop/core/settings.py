"""Settings: a small, versioned JSON file in the user config dir, read when asked (never at
import). Secrets never live here: the EODHD key and database passwords are in the keyring.

Bump ``SCHEMA_VERSION`` when a field changes meaning or is removed (and migrate in ``_migrate``);
adding a field with a default needs no bump.

The chart and Drummond Geometry fields hold *overrides* only (an empty mapping is today's
behaviour), so a default changed in a later release reaches every user who never touched it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin, get_type_hints

from drummond_desktop.core.errors import BadFile
from drummond_desktop.core.paths import user_config_dir

if TYPE_CHECKING:
    from engine.drummond.params import DGParams

SCHEMA_VERSION = 1
FILENAME = "settings.json"
ENV_MARKET_DB_URL = "DRUMMOND_MARKET_DB_URL"
ENV_DAILY_BUDGET = "DRUMMOND_EODHD_DAILY_BUDGET"
THEMES = ("dark", "light")
BAR_STYLES = ("candles", "ohlc", "line")
EMAIL_SECURITY = ("starttls", "ssl", "none")
# The chart elements that start hidden when the settings say nothing about them (the chart's own
# default: every element but the PLdot line is shown).
HIDDEN_BY_DEFAULT = frozenset({"pldot_line"})

DGValue = int | float | str | bool
_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_COLOUR = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})\Z")


@dataclass(frozen=True)
class Settings:
    """``market_db_url``: a PostgreSQL URL for market data (None: the embedded SQLite file);
    ``eodhd_daily_budget``: calls per UTC day the app may spend (the plan's quota or less);
    ``theme``: ``"dark"`` or ``"light"``;
    ``dg_params``: overrides of ``engine.drummond.DGParams`` fields (``dg()`` builds them);
    ``chart_elements``: shown (True) or hidden per chart element name (others: the default);
    ``chart_colors``: ``"#rrggbb"`` or ``"#rrggbbaa"`` per ``ChartStyle`` colour field;
    ``bar_style``: ``"candles"``, ``"ohlc"`` or ``"line"``;
    ``alert_email_*``: where alert e-mail goes (an empty host: no e-mail; the SMTP password
    and the webhook URL, which carries its token, are in the keyring);
    ``alert_delivery_max_attempts``: tries per e-mail/webhook delivery before it is marked
    failed (kept in the history, never dropped).

    Every check raises ``ValueError`` naming the field (``load_settings`` adds the file)."""

    schema_version: int = SCHEMA_VERSION
    market_db_url: str | None = None
    eodhd_daily_budget: int = 100_000
    theme: str = "dark"
    dg_params: dict[str, DGValue] = field(default_factory=dict)
    chart_elements: dict[str, bool] = field(default_factory=dict)
    chart_colors: dict[str, str] = field(default_factory=dict)
    bar_style: str = "candles"
    alert_email_host: str = ""
    alert_email_port: int = 587
    alert_email_security: str = "starttls"
    alert_email_username: str = ""
    alert_email_from: str = ""
    alert_email_to: list[str] = field(default_factory=list)
    alert_delivery_max_attempts: int = 6

    def __post_init__(self) -> None:
        if self.market_db_url is not None and not isinstance(self.market_db_url, str):
            raise ValueError(f"market_db_url must be a URL string or null, got "
                             f"{self.market_db_url!r}")
        if self.market_db_url is not None and ":" in self.market_db_url.split("@")[0].split(
                "//")[-1]:
            raise ValueError("market_db_url must not contain a password (it belongs in the "
                             "keyring)")
        budget = self.eodhd_daily_budget
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < 0:
            raise ValueError(f"eodhd_daily_budget must be a whole number >= 0, got {budget!r}")
        _check_choice("theme", self.theme, THEMES)
        _check_choice("bar_style", self.bar_style, BAR_STYLES)
        _check_alert_email(self)
        # Own copies: the dataclass is frozen, its mappings must not change behind its back.
        object.__setattr__(self, "chart_elements", _checked_elements(self.chart_elements))
        object.__setattr__(self, "chart_colors", _checked_colours(self.chart_colors))
        object.__setattr__(self, "dg_params", _checked_dg(self.dg_params))

    def dg(self) -> DGParams:
        """The Drummond Geometry parameters: the defaults with ``dg_params`` applied."""
        from engine.drummond.params import DGParams

        return DGParams.from_dict(self.dg_params)

    def element_shown(self, name: str) -> bool:
        """Whether the chart element ``name`` is shown (the override, else the default)."""
        return self.chart_elements.get(name, name not in HIDDEN_BY_DEFAULT)


def _check_alert_email(s: Settings) -> None:
    _check_choice("alert_email_security", s.alert_email_security, EMAIL_SECURITY)
    for name in ("alert_email_port", "alert_delivery_max_attempts"):
        value = getattr(s, name)
        low, high = (1, 65_535) if name == "alert_email_port" else (1, 100)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be a whole number from {low} to {high}, got {value!r}")
    for name in ("alert_email_host", "alert_email_username", "alert_email_from"):
        if not isinstance(getattr(s, name), str):
            raise ValueError(f"{name} must be text, got {getattr(s, name)!r}")
    to = s.alert_email_to
    if not isinstance(to, list) or not all(isinstance(a, str) and "@" in a for a in to):
        raise ValueError(f"alert_email_to must be a list of e-mail addresses, got {to!r}")
    if s.alert_email_host and not (s.alert_email_from and to):
        raise ValueError("alert_email_from and alert_email_to are needed when alert_email_host "
                         "is set")
    object.__setattr__(s, "alert_email_to", list(to))


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _mapping(name: str, value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be an object mapping names to values, got {value!r}")
    for key in value:
        if not isinstance(key, str) or not _NAME.match(key):
            raise ValueError(f"{name}: {key!r} is not a valid name")
    return value


def _checked_elements(value: object) -> dict[str, bool]:
    out: dict[str, bool] = {}
    for key, shown in _mapping("chart_elements", value).items():
        if not isinstance(shown, bool):
            raise ValueError(f"chart_elements.{key} must be true or false, got {shown!r}")
        out[key] = shown
    return out


def _checked_colours(value: object) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, colour in _mapping("chart_colors", value).items():
        parse_colour(colour, f"chart_colors.{key}")
        out[key] = colour
    return out


def parse_colour(text: object, name: str) -> tuple[int, int, int, int]:
    """``"#rrggbb"`` or ``"#rrggbbaa"`` as an RGBA tuple; ``ValueError`` naming ``name``."""
    if not isinstance(text, str) or not _COLOUR.match(text):
        raise ValueError(f"{name} must be a colour like \"#rrggbb\" or \"#rrggbbaa\", "
                         f"got {text!r}")
    digits = text[1:] + ("ff" if len(text) == 7 else "")
    r, g, b, a = (int(digits[i:i + 2], 16) for i in range(0, 8, 2))
    return r, g, b, a


def format_colour(rgba: tuple[int, int, int, int]) -> str:
    """The inverse of ``parse_colour`` (the alpha pair only when not opaque)."""
    r, g, b, a = rgba
    return f"#{r:02x}{g:02x}{b:02x}" + ("" if a == 255 else f"{a:02x}")


def _checked_dg(value: object) -> dict[str, DGValue]:
    overrides = dict(_mapping("dg_params", value))
    if not overrides:
        return {}  # nothing to check: the engine's parameter module is not even imported
    from engine.drummond.params import DGParams

    hints = get_type_hints(DGParams)
    for key, item in overrides.items():
        if key not in hints:
            raise ValueError(f"dg_params: unknown Drummond Geometry parameter {key!r}")
        _check_dg_type(key, item, hints[key])
    try:
        DGParams.from_dict(overrides)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"dg_params: {exc}") from None
    return overrides


def _check_dg_type(key: str, value: object, hint: Any) -> None:
    # JSON has one number type and DGParams accepts 1.0 where a count is meant: be exact here.
    if get_origin(hint) is Literal:
        ok, kind = isinstance(value, str) and value in get_args(hint), \
            f"one of {', '.join(get_args(hint))}"
    elif hint is bool:
        ok, kind = isinstance(value, bool), "true or false"
    elif hint is int:
        ok, kind = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    else:
        ok, kind = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    if not ok:
        raise ValueError(f"dg_params.{key} must be {kind}, got {value!r}")


def settings_path() -> Path:
    return user_config_dir() / FILENAME


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings, or the defaults when there is no file; ``BadFile`` naming the file
    and the field when it is unreadable, not ours or holds a bad value (the file is left as it
    is)."""
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
