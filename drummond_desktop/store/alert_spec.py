"""What an alert rule may say: its target, kind, parameters and channels, validated when built.

``AlertRuleSpec`` is the user's rule before (or apart from) storage. Building one checks every
field and normalises the parameters (defaults filled in, pattern groups expanded, numbers as
floats), so what is stored is explicit and what is read back compares equal. A bad value raises
``InvalidAlertRule`` naming the field (``params.level``, ``channels[1]``...); nothing is stored.

Kinds and their ``params`` (every kind also takes ``interval``, default ``"1d"``, one of
``INTERVALS``):

* ``price_cross`` ``{"level": 101.5, "direction": "up"|"down"|"either"}`` - a close crosses the
  level: from below it to at or above it (up), from above to at or below (down).
* ``price_reach`` ``{"level": 101.5, "direction": ...}`` - the bar's range reaches the level
  from the side the previous close was on (high for up, low for down).
* ``zone`` ``{"event": "approach"|"enter"|"hold"|"break", "within_ar3": 0.5,
  "side": "support"|"resistance"|"either", "min_strength": 1}`` - a Drummond Geometry zone
  (``engine.drummond.zones``): the close comes within ``within_ar3`` AR3 of a zone projected for
  the next bar (approach), or a bar trades into a zone projected for it (enter), closes back on
  its side (hold) or closes beyond it (break).
* ``state`` ``{"to": "any"|"trend"|"cong_entrance"|"cong_action"|"cong_exit"|"trend_reversal",
  "direction": "up"|"down"|"either"}`` - the market state changes.
* ``pattern`` ``{"patterns": ["push_up", ...]}`` - a DG pattern flag starts (``PATTERNS``; the
  groups ``push refresh exhaust cwave`` stand for both directions).
* ``mtf`` ``{"higher": "1w", "to": "any"|"coordinated_up"|"coordinated_down"|"conflicting"}``
  - the coordination of ``interval`` (intraday or ``1d``) with the ``higher`` timeframe built
  from it changes (spec §B9).
* ``scan`` ``{"scan": "<saved scan id>"}`` or ``{"expr": "<scanner expression>"}`` - a scan
  gains a symbol of the target.

``target_kind`` is ``symbol`` (``target`` ``"AAPL.US"``) or ``watchlist`` (``target`` the
watchlist's id as text, so a renamed list keeps its alerts). ``channels`` is a subset of
``CHANNELS``; ``panel`` (the alert history) is always one of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from drummond_desktop.core.errors import DataError

KINDS = ("price_cross", "price_reach", "zone", "state", "pattern", "mtf", "scan")
TARGET_KINDS = ("symbol", "watchlist")
CHANNELS = ("panel", "tray", "sound", "email", "webhook")
INTERVALS = ("1m", "5m", "15m", "30m", "1h", "4h", "1d", "1w", "1M")
DIRECTIONS = ("up", "down", "either")
ZONE_EVENTS = ("approach", "enter", "hold", "break")
ZONE_SIDES = ("support", "resistance", "either")
STATES = ("any", "trend", "cong_entrance", "cong_action", "cong_exit", "trend_reversal")
COORDINATIONS = ("any", "coordinated_up", "coordinated_down", "conflicting")
PATTERNS = ("push_up", "push_down", "refresh_from_above", "refresh_from_below", "exhaust_up",
            "exhaust_down", "exhaust_up_confirmed", "exhaust_down_confirmed", "cwave_up",
            "cwave_down")
PATTERN_GROUPS = {"push": ("push_up", "push_down"),
                  "refresh": ("refresh_from_above", "refresh_from_below"),
                  "exhaust": ("exhaust_up", "exhaust_down"), "cwave": ("cwave_up", "cwave_down")}
MAX_NAME = 200
MAX_TARGET = 200
MAX_EXPR = 4_000
# Nominal lengths, only to tell a higher timeframe from a lower one.
_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1_800, "1h": 3_600, "4h": 14_400,
            "1d": 86_400, "1w": 7 * 86_400, "1M": 31 * 86_400}

Params = Mapping[str, Any]


class InvalidAlertRule(DataError, ValueError):
    """A rule that cannot be stored; ``field`` names the offending field."""

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"alert rule {field}: {rule}",
                         user_message=f"The alert's {field} {rule}.")


def _text(field: str, value: object, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidAlertRule(field, f"must be text, got {type(value).__name__}")
    cleaned = value.strip()
    if not cleaned:
        raise InvalidAlertRule(field, "must not be blank")
    if len(cleaned) > limit:
        raise InvalidAlertRule(field, f"must be at most {limit} characters")
    return cleaned


def _choice(field: str, value: object, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidAlertRule(field, f"must be one of {', '.join(allowed)}; got {value!r}")
    return value


def _number(field: str, value: object, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidAlertRule(field, f"must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out) or (positive and out <= 0):
        raise InvalidAlertRule(field, f"must be a finite number above 0, got {value!r}")
    return out


def _count(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidAlertRule(field, f"must be a whole number of at least 1, got {value!r}")
    return value


def _price(p: Params) -> dict[str, Any]:
    return {"level": _number("params.level", p.get("level")),
            "direction": _choice("params.direction", p.get("direction", "either"), DIRECTIONS)}


def _zone(p: Params) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event": _choice("params.event", p.get("event"), ZONE_EVENTS),
        "side": _choice("params.side", p.get("side", "either"), ZONE_SIDES),
        "min_strength": _count("params.min_strength", p.get("min_strength", 1)),
    }
    if out["event"] == "approach":
        out["within_ar3"] = _number("params.within_ar3", p.get("within_ar3", 0.5))
    elif "within_ar3" in p:
        raise InvalidAlertRule("params.within_ar3", "applies to the approach event only")
    return out


def _state(p: Params) -> dict[str, Any]:
    return {"to": _choice("params.to", p.get("to", "any"), STATES),
            "direction": _choice("params.direction", p.get("direction", "either"), DIRECTIONS)}


def _pattern(p: Params) -> dict[str, Any]:
    names = p.get("patterns")
    if isinstance(names, str) or not isinstance(names, Sequence) or not names:
        raise InvalidAlertRule("params.patterns", "must be a non-empty list of pattern names")
    chosen: set[str] = set()
    for i, name in enumerate(names):
        allowed = (*PATTERNS, *PATTERN_GROUPS)
        chosen.update(PATTERN_GROUPS.get(_choice(f"params.patterns[{i}]", name, allowed),
                                         (name,)))
    return {"patterns": [n for n in PATTERNS if n in chosen]}


def _mtf(p: Params, interval: str) -> dict[str, Any]:
    if interval in ("1w", "1M"):  # the higher timeframe is built from the focal bars
        raise InvalidAlertRule("params.interval", f"of an mtf rule must be intraday or 1d "
                                                  f"(the higher timeframe is built from it); "
                                                  f"got {interval}")
    higher = _choice("params.higher", p.get("higher"), INTERVALS)
    if _SECONDS[higher] <= _SECONDS[interval]:
        raise InvalidAlertRule("params.higher", f"must be a longer timeframe than the rule's "
                                                f"interval {interval}; got {higher}")
    return {"higher": higher, "to": _choice("params.to", p.get("to", "any"), COORDINATIONS)}


def _scan(p: Params) -> dict[str, Any]:
    if ("scan" in p) == ("expr" in p):
        raise InvalidAlertRule("params.scan", "name a saved scan (scan) or give an expression "
                                              "(expr), exactly one of them")
    if "scan" in p:
        return {"scan": _text("params.scan", p["scan"], 32)}
    return {"expr": _text("params.expr", p["expr"], MAX_EXPR)}


_KIND_KEYS: dict[str, tuple[str, ...]] = {
    "price_cross": ("level", "direction"), "price_reach": ("level", "direction"),
    "zone": ("event", "within_ar3", "side", "min_strength"), "state": ("to", "direction"),
    "pattern": ("patterns",), "mtf": ("higher", "to"), "scan": ("scan", "expr"),
}
_BUILDERS: dict[str, Callable[[Params], dict[str, Any]]] = {
    "price_cross": _price, "price_reach": _price, "zone": _zone, "state": _state,
    "pattern": _pattern, "scan": _scan,
}


def normalise_params(kind: str, params: object) -> dict[str, Any]:
    """``params`` of a ``kind`` rule, checked, with defaults filled in (``InvalidAlertRule``)."""
    if not isinstance(params, Mapping):
        raise InvalidAlertRule("params", f"must be an object, got {type(params).__name__}")
    unknown = sorted(str(k) for k in params if k not in (*_KIND_KEYS[kind], "interval"))
    if unknown:
        raise InvalidAlertRule(f"params.{unknown[0]}", f"is not a parameter of a {kind} rule "
                                                       f"(known: interval, "
                                                       f"{', '.join(_KIND_KEYS[kind])})")
    interval = _choice("params.interval", params.get("interval", "1d"), INTERVALS)
    body = _mtf(params, interval) if kind == "mtf" else _BUILDERS[kind](params)
    return {"interval": interval, **body}


def normalise_channels(channels: object) -> tuple[str, ...]:
    """The channels in ``CHANNELS`` order, ``panel`` always among them."""
    if isinstance(channels, str) or not isinstance(channels, Sequence):
        raise InvalidAlertRule("channels", "must be a list of channel names")
    for i, name in enumerate(channels):
        _choice(f"channels[{i}]", name, CHANNELS)
    return tuple(c for c in CHANNELS if c == "panel" or c in channels)


@dataclass(frozen=True)
class AlertRuleSpec:
    """A rule as the user states it. Validated and normalised when built (see the module
    docstring); ``params`` becomes a read-only mapping."""

    name: str
    target_kind: str
    target: str
    kind: str
    params: Params
    channels: Sequence[str] = ("panel",)  # stored as a tuple in CHANNELS order
    enabled: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", _text("name", self.name, MAX_NAME))
        _choice("target_kind", self.target_kind, TARGET_KINDS)
        target = _text("target", self.target, MAX_TARGET)
        if self.target_kind == "watchlist" and not (target.isascii() and target.isdigit()):
            raise InvalidAlertRule("target", f"must be a watchlist id (a whole number), "
                                             f"got {target!r}")
        object.__setattr__(self, "target", target)
        _choice("kind", self.kind, KINDS)
        params = normalise_params(self.kind, self.params)
        object.__setattr__(self, "params", MappingProxyType(params))
        object.__setattr__(self, "channels", normalise_channels(self.channels))
        if not isinstance(self.enabled, bool):
            raise InvalidAlertRule("enabled", f"must be true or false, got {self.enabled!r}")

    @property
    def interval(self) -> str:
        return str(self.params["interval"])

    def watches_same(self, other: AlertRuleSpec) -> bool:
        """True when ``other`` watches exactly what this rule watches (so its memory of what
        it saw still applies)."""
        return (self.target_kind, self.target, self.kind, dict(self.params)) == \
            (other.target_kind, other.target, other.kind, dict(other.params))
