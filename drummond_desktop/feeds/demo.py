"""Synthetic OHLCV for demo mode and tests: deterministic, clearly labelled, never market prices.

The app opens on this universe when no EODHD key is set, and tests use it as realistic input. Each
symbol is computed from its numbers in ``resources/demo/universe.json`` with numpy's PCG64 seeded
from the file, so a call gives bit-identical bars on every run and never depends on today's date.

The model, bar by bar: a log-price random walk whose variance follows a GARCH(1,1) recursion driven
by Student-t shocks (volatility clusters, fat tails); alternating regimes of trend (a drift of
``trend_strength`` per-bar volatilities, up or down) and range (a pull back to the level where the
range began), so Drummond Geometry finds trends, congestion and reversals; overnight gaps with
occasional jumps; high and low drawn from the extremes of a Brownian bridge between open and
close; volume that grows with the size of the move and with volatility. Intraday symbols add the
U-shaped volatility and volume of a session (busy open and close, quiet lunch).

Daily bars carry the session date at 00:00 UTC; minute bars run 09:30-15:59 New York time, so
their UTC times move with daylight saving. The calendar is every weekday: no exchange holidays.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.errors import BadFile
from drummond_desktop.core.paths import resource_path
from engine.bars import Bars

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]

DEMO_LABEL = "SYNTHETIC DEMO DATA - generated, not market prices"
UNIVERSE_VERSION = 1
TIMEFRAMES = ("1d", "1m")
TICKS_PER_UNIT = 100  # prices are whole cents; dividing by 100 gives the nearest double to x.yz
SESSIONS_PER_YEAR = 252
MIN_REGIME_BARS = 5
# How hard a new trend's direction leans back toward the drift line, per unit of log distance:
# without it ten years of coin flips can drive a symbol to pennies, which no demo should show.
TREND_LEAN = 2.0
MAX_VARIANCE_RATIO = 25.0  # GARCH variance cap, as a multiple of the base variance


@dataclass(frozen=True)
class DemoCalendar:
    """The sessions of a demo symbol: every Monday to Friday from ``start`` to ``end``."""

    start: date
    end: date
    timezone: str = "America/New_York"
    session_open: time = time(9, 30)
    session_close: time = time(16, 0)

    @property
    def minutes_per_session(self) -> int:
        close, open_ = self.session_close, self.session_open
        return (close.hour - open_.hour) * 60 + close.minute - open_.minute

    def sessions(self) -> npt.NDArray[np.datetime64]:
        days = np.arange(np.datetime64(self.start, "D"), np.datetime64(self.end, "D") + 1)
        weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
        return days[weekday < 5]

    def timestamps(self, timeframe: str) -> I64:
        """Bar times as UTC epoch seconds: session dates at 00:00 UTC for ``1d``, one per minute
        from the local open for ``1m`` (converted through zoneinfo, so DST moves them in UTC)."""
        days = self.sessions()
        if timeframe == "1d":
            return days.astype(np.int64) * 86_400
        zone = ZoneInfo(self.timezone)
        opens = np.array([int(datetime.combine(d, self.session_open, zone).timestamp())
                          for d in days.tolist()], dtype=np.int64)
        minutes = np.arange(self.minutes_per_session, dtype=np.int64) * 60
        return (opens[:, None] + minutes[None, :]).ravel()


@dataclass(frozen=True)
class DemoModel:
    """Generator settings; rates are per bar unless the name says annual."""

    drift: float  # annual log drift, in every regime
    trend_strength: float  # trend drift per bar, in base per-bar volatilities
    trend_bars: float  # mean length of a trend regime, in bars
    range_bars: float  # mean length of a range regime
    range_kappa: float  # share of the distance to the range's anchor recovered per bar
    garch_alpha: float
    garch_beta: float
    tail_df: float  # Student-t degrees of freedom of the shocks
    gap_share: float  # share of a session's variance that arrives overnight, as the gap
    jump_prob: float  # chance per session of a larger gap
    jump_scale: float  # its least size, in session volatilities
    base_volume: float  # typical volume of a bar
    volume_beta: float  # log-volume gained per standardised unit of |move|

    def __post_init__(self) -> None:
        if not (self.garch_alpha >= 0 and self.garch_beta >= 0
                and self.garch_alpha + self.garch_beta < 1):
            raise ValueError("garch_alpha and garch_beta must be >= 0 with a sum below 1")
        if self.tail_df <= 2:
            raise ValueError("tail_df must exceed 2 (the shocks need a finite variance)")
        if not (0 <= self.gap_share < 1 and 0 <= self.jump_prob <= 1 and 0 < self.range_kappa < 1):
            raise ValueError("gap_share, jump_prob and range_kappa must lie in [0, 1)")
        if min(self.trend_bars, self.range_bars) < 1 or self.base_volume <= 0:
            raise ValueError("trend_bars, range_bars and base_volume must be positive")


@dataclass(frozen=True)
class DemoSymbol:
    """One synthetic instrument and everything needed to generate its bars."""

    code: str
    name: str
    timeframe: str  # "1d" or "1m"
    seed: int
    start_price: float
    annual_vol: float  # long-run annualised volatility the GARCH variance reverts to
    calendar: DemoCalendar
    model: DemoModel

    def __post_init__(self) -> None:
        if self.timeframe not in TIMEFRAMES:
            raise ValueError(f"{self.code}: timeframe must be one of {TIMEFRAMES}")
        if self.start_price <= 0 or self.annual_vol <= 0:
            raise ValueError(f"{self.code}: start_price and annual_vol must be positive")


# ------------------------------------------------------------------------------ the universe


@lru_cache(maxsize=1)
def demo_universe() -> tuple[DemoSymbol, ...]:
    """Every demo symbol, in the order of ``universe.json`` (read once, on first use)."""
    path = resource_path("demo", "universe.json")
    try:
        return _parse_universe(json.loads(path.read_text(encoding="utf-8")))
    except json.JSONDecodeError as exc:
        raise BadFile(path, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    except KeyError as exc:
        raise BadFile(path, 0, f"missing key {exc}") from exc
    except (AttributeError, TypeError, ValueError) as exc:  # wrong shapes and values
        raise BadFile(path, 0, str(exc)) from exc


def daily_codes() -> tuple[str, ...]:
    return tuple(s.code for s in demo_universe() if s.timeframe == "1d")


def intraday_codes() -> tuple[str, ...]:
    return tuple(s.code for s in demo_universe() if s.timeframe == "1m")


def demo_symbol(code: str) -> DemoSymbol:
    """The symbol ``code``; ``KeyError`` naming it and the valid codes when there is none."""
    for symbol in demo_universe():
        if symbol.code == code:
            return symbol
    valid = ", ".join(s.code for s in demo_universe())
    raise KeyError(f"unknown demo symbol {code!r}; the demo universe has {valid}")


def demo_bars(code: str) -> Bars:
    """The synthetic bars of ``code`` (``symbol`` = code, ``timeframe`` "1d" or "1m")."""
    return generate(demo_symbol(code))


def _parse_universe(doc: dict[str, Any]) -> tuple[DemoSymbol, ...]:
    if doc.get("version") != UNIVERSE_VERSION:
        raise ValueError(f"version {doc.get('version')!r} is not supported "
                         f"(this build reads version {UNIVERSE_VERSION})")
    calendars = {tf: _parse_calendar(doc["calendars"][tf]) for tf in TIMEFRAMES}
    defaults = {tf: doc["defaults"][tf] for tf in TIMEFRAMES}
    symbols = tuple(_parse_symbol(entry, calendars, defaults) for entry in doc["symbols"])
    codes = [s.code for s in symbols]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"duplicate symbol codes: {', '.join(duplicates)}")
    return symbols


def _parse_calendar(entry: dict[str, str]) -> DemoCalendar:
    return DemoCalendar(
        start=date.fromisoformat(entry["start"]), end=date.fromisoformat(entry["end"]),
        timezone=entry["timezone"], session_open=time.fromisoformat(entry["session_open"]),
        session_close=time.fromisoformat(entry["session_close"]))


_SYMBOL_KEYS = ("code", "name", "timeframe", "seed", "start_price", "annual_vol")
_MODEL_KEYS = frozenset(f.name for f in fields(DemoModel))


def _parse_symbol(entry: dict[str, Any], calendars: dict[str, DemoCalendar],
                  defaults: dict[str, dict[str, float]]) -> DemoSymbol:
    code, name, timeframe, seed, start_price, annual_vol = (entry[k] for k in _SYMBOL_KEYS)
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"{code}: timeframe {timeframe!r} is not one of {TIMEFRAMES}")
    overrides = {k: v for k, v in entry.items() if k not in _SYMBOL_KEYS}
    unknown = sorted(set(overrides) - _MODEL_KEYS)
    if unknown:  # a misspelt setting would otherwise be ignored without a word
        raise ValueError(f"{code}: unknown keys {', '.join(unknown)}")
    model = DemoModel(**{k: float(v) for k, v in {**defaults[timeframe], **overrides}.items()})
    return DemoSymbol(code=str(code), name=str(name), timeframe=timeframe, seed=int(seed),
                      start_price=float(start_price), annual_vol=float(annual_vol),
                      calendar=calendars[timeframe], model=model)


# ------------------------------------------------------------------------------ the generator


@dataclass(frozen=True)
class _Layout:
    """What differs between daily and intraday bars, per bar."""

    sigma: float  # base per-bar volatility (log units)
    bars_per_year: float
    bars_per_session: int
    season: F64  # volatility multiplier of each bar (mean square 1)
    volume_season: F64  # log-volume offset of each bar
    session_start: B1


def _layout(symbol: DemoSymbol, n: int) -> _Layout:
    if symbol.timeframe == "1d":
        return _Layout(symbol.annual_vol / math.sqrt(SESSIONS_PER_YEAR), SESSIONS_PER_YEAR, 1,
                       np.ones(n), np.zeros(n), np.ones(n, dtype=np.bool_))
    m = symbol.calendar.minutes_per_session
    tau = (np.arange(m) + 0.5) / m
    # Busy open, quiet lunch, busy close: the U shape of intraday activity.
    raw = 1.0 + 1.5 * np.exp(-tau / 0.06) + 0.7 * np.exp(-(1.0 - tau) / 0.04)
    season = raw / np.sqrt(np.mean(raw * raw))
    sessions = n // m
    return _Layout(symbol.annual_vol / math.sqrt(SESSIONS_PER_YEAR * m),
                   SESSIONS_PER_YEAR * m, m, np.tile(season, sessions),
                   np.tile(1.5 * np.log(season), sessions), np.arange(n) % m == 0)


def _unit_t(rng: np.random.Generator, df: float, n: int) -> F64:
    return rng.standard_t(df, n) * math.sqrt((df - 2.0) / df)


class _Shocks(NamedTuple):
    """Standardised draws of every bar; the walk scales them by the bar's volatility."""

    gap: F64  # overnight gap, in units of the bar's conditional volatility (daily)
    body: F64  # open-to-close shock, in the same units
    session_gap: F64  # overnight gap in log units, on each session's first bar (intraday)
    body_scale: float  # standard deviation of ``body``: the open-to-close share of the variance


def _shocks(rng: np.random.Generator, model: DemoModel, lay: _Layout, n: int) -> _Shocks:
    body = _unit_t(rng, model.tail_df, n)
    gap = math.sqrt(model.gap_share) * _unit_t(rng, model.tail_df, n)
    is_jump = (rng.random(n) < model.jump_prob) & lay.session_start
    size = model.jump_scale * (1.0 + rng.exponential(0.5, n)) * rng.choice([-1.0, 1.0], n)
    gap = gap + np.where(is_jump, size, 0.0)
    if lay.bars_per_session == 1:
        # Daily: the gap is part of the close-to-close return GARCH sees, so a jump stirs
        # volatility. Scaled to unit variance (E[(1 + Exp(0.5))^2] = 2.5), or the jumps would lift
        # the long-run volatility above annual_vol.
        norm = math.sqrt(1.0 + model.jump_prob * model.jump_scale**2 * 2.5)
        body_scale = math.sqrt(1.0 - model.gap_share) / norm
        return _Shocks(gap / norm, body_scale * body, np.zeros(n), body_scale)
    # Intraday: one overnight gap per session, sized by the base daily volatility rather than by
    # the last minute's (a volatile close would otherwise open the next day with a crash).
    daily_sigma = lay.sigma * math.sqrt(lay.bars_per_session)
    session_gap = np.where(lay.session_start, daily_sigma * gap, 0.0)
    return _Shocks(np.zeros(n), body, session_gap, 1.0)


def _regimes(rng: np.random.Generator, model: DemoModel, n: int) -> tuple[B1, B1, F64]:
    """(bar is in a range regime, bar starts a regime, uniform draw that picks a trend's sign)."""
    k = n // MIN_REGIME_BARS + 2  # enough segments to cover n bars even if every one is short
    trend = np.maximum(rng.geometric(1.0 / model.trend_bars, k), MIN_REGIME_BARS)
    ranging = np.maximum(rng.geometric(1.0 / model.range_bars, k), MIN_REGIME_BARS)
    seg_is_range = (np.arange(k) + rng.integers(0, 2)) % 2 == 1
    lengths = np.where(seg_is_range, ranging, trend)
    in_range = np.repeat(seg_is_range, lengths)[:n]
    starts = np.zeros(n, dtype=np.bool_)
    bounds = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    starts[bounds[bounds < n]] = True
    return in_range, starts, rng.random(n)


def _walk(symbol: DemoSymbol, lay: _Layout, shocks: _Shocks,
          regimes: tuple[B1, B1, F64]) -> tuple[F64, F64, F64]:
    """Log opens, log closes and conditional variances: the one sequential step (a plain loop
    over floats runs the ~25k bars of a symbol in milliseconds, without a numba compile)."""
    m = symbol.model
    var0 = lay.sigma**2
    omega, alpha, beta = var0 * (1.0 - m.garch_alpha - m.garch_beta), m.garch_alpha, m.garch_beta
    h_max, trend, kappa = var0 * MAX_VARIANCE_RATIO, m.trend_strength * lay.sigma, m.range_kappa
    drift = m.drift / lay.bars_per_year
    x0 = x = anchor = math.log(symbol.start_price)
    h, direction = var0, 1.0
    opens: list[float] = []
    closes: list[float] = []
    hs: list[float] = []
    rows = zip(shocks.gap.tolist(), shocks.body.tolist(), shocks.session_gap.tolist(),
               lay.season.tolist(), *(r.tolist() for r in regimes), strict=True)
    for t, (gap, body, session_gap, season, ranging, start, coin) in enumerate(rows):
        if start and ranging:
            anchor = x
        elif start:
            away = min(max(TREND_LEAN * (x - x0 - drift * t), -50.0), 50.0)  # exp() stays finite
            lean_up = 1.0 / (1.0 + math.exp(away))
            direction = 1.0 if coin < lean_up else -1.0
        s = math.sqrt(h)
        pull = kappa * (anchor - x) if ranging else direction * trend
        x += s * gap + session_gap
        opens.append(x)
        x += drift + pull + s * season * body
        closes.append(x)
        hs.append(h)
        e = s * (gap + body)  # the deseasonalised return: what the GARCH recursion sees
        h = min(omega + alpha * e * e + beta * h, h_max)
    return np.array(opens), np.array(closes), np.array(hs)


def _bridge_extremes(rng: np.random.Generator, lo: F64, lc: F64, sigma: F64) -> tuple[F64, F64]:
    """Log high and low: the maximum and minimum of a Brownian bridge from open to close, drawn
    by inverting P(max > m) = exp(-2 m (m - b) / sigma^2)."""
    b = lc - lo
    var = sigma * sigma
    u_hi, u_lo = 1.0 - rng.random(len(b)), 1.0 - rng.random(len(b))  # (0, 1]: finite logs
    up = 0.5 * (b + np.sqrt(b * b - 2.0 * var * np.log(u_hi)))
    down = 0.5 * (b - np.sqrt(b * b - 2.0 * var * np.log(u_lo)))
    return lo + up, lo + down


def _to_ticks(log_price: F64) -> F64:
    """Prices rounded to whole ticks, never below one tick."""
    ticks: F64 = np.maximum(np.rint(np.exp(log_price) * TICKS_PER_UNIT), 1.0)
    return ticks / TICKS_PER_UNIT


def generate(symbol: DemoSymbol) -> Bars:
    """Compute the bars of ``symbol`` from its settings and seed (same input, same bits)."""
    ts = symbol.calendar.timestamps(symbol.timeframe)
    n = len(ts)
    # One stream per component, so retuning one (say volume) leaves the others' draws unchanged.
    shock_rng, regime_rng, range_rng, volume_rng = (
        np.random.Generator(np.random.PCG64(s))
        for s in np.random.SeedSequence(symbol.seed).spawn(4))
    lay = _layout(symbol, n)
    shocks = _shocks(shock_rng, symbol.model, lay, n)
    lo, lc, h = _walk(symbol, lay, shocks, _regimes(regime_rng, symbol.model, n))
    vol = np.sqrt(h)
    lh, ll = _bridge_extremes(range_rng, lo, lc, vol * lay.season * shocks.body_scale)
    open_, close = _to_ticks(lo), _to_ticks(lc)
    high = np.maximum(_to_ticks(lh), np.maximum(open_, close))
    low = np.minimum(_to_ticks(ll), np.minimum(open_, close))
    ret = np.diff(lc, prepend=math.log(symbol.start_price))
    volume = _volume(volume_rng, symbol.model, lay, ret, vol)
    return Bars.from_arrays(ts, open_, high, low, close, volume,
                            symbol=symbol.code, timeframe=symbol.timeframe)


def _volume(rng: np.random.Generator, model: DemoModel, lay: _Layout, ret: F64, vol: F64) -> F64:
    size = np.minimum(np.abs(ret) / vol, 4.0)  # the move in bar volatilities, capped for gaps
    log_v = (math.log(model.base_volume) + model.volume_beta * (size - 0.8)
             + 0.8 * np.log(vol / lay.sigma) + lay.volume_season
             + 0.3 * rng.standard_normal(len(ret)))
    return np.rint(np.exp(log_v))
