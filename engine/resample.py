"""Higher timeframes from lower ones: ``resample(bars, "1h")`` and the session calendar.

Rules: ``5m 15m 30m 1h 2h 4h`` (intraday, anchored to the session open in the exchange's zone,
DST-correct), ``1d`` (a local session day from intraday bars), ``1w`` (ISO week, Monday first),
``1mo`` (alias ``1M``), ``1q``, ``1y`` (from daily or intraday bars).

Stamps (what ``ts`` of a built bar is): intraday buckets carry their start; ``1d`` the session
date at 00:00 UTC; weeks, months, quarters and years the date of their *last* session at 00:00
UTC, as stored weekly/monthly files and EODHD date them (a weekly value is never dated before the
session that completed it). ``Resampled.period_start`` has every bucket's start either way.

The last bucket may still be forming; ``Resampled.complete`` is False for it until ``now`` has
reached its end (see ``resample``). Every earlier bucket is complete: a later bar exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from engine._alloc import staggered_empty
from engine.bars import Bars

I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]

DAY = 86_400
_INT64_MIN = np.iinfo(np.int64).min
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_EMPTY: I64 = np.zeros(0, dtype=np.int64)
_EMPTY.flags.writeable = False
INTRADAY_RULES = {"5m": 300, "15m": 900, "30m": 1_800, "1h": 3_600, "2h": 7_200, "4h": 14_400}
CALENDAR_RULES = ("1d", "1w", "1mo", "1q", "1y")
RULES = (*INTRADAY_RULES, *CALENDAR_RULES)
_ALIASES = {"1M": "1mo", "1D": "1d", "1W": "1w", "60m": "1h", "240m": "4h"}
_UNITS = {"1d": 1, "1w": 2, "1mo": 3, "1q": 4, "1y": 5}  # engine.nb.resample.UNIT_*
_INPUT_SECONDS = {"1m": 60, "2m": 120, "5m": 300, "10m": 600, "15m": 900, "30m": 1_800,
                  "1h": 3_600, "2h": 7_200, "4h": 14_400, "1d": DAY}


def _seconds(t: time) -> int:
    return t.hour * 3_600 + t.minute * 60 + t.second


@dataclass(frozen=True)
class Session:
    """An exchange's regular session: ``open``-``close`` local time in the IANA zone ``tz`` on
    ``weekdays`` (0 = Monday), minus ``holidays``, ending early on ``early_closes``' dates.
    ``close == open`` means round the clock (00:00-24:00 when both are midnight); sessions
    across midnight are not supported. Lunch breaks are ignored (bars during them are kept)."""

    tz: str
    open: time
    close: time
    holidays: frozenset[date] = frozenset()
    early_closes: tuple[tuple[date, time], ...] = ()
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    name: str = ""

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"session {self.name or '?'}: unknown time zone {self.tz!r} "
                             "(an IANA name such as America/New_York)") from None
        if self.close < self.open:
            raise ValueError(f"session {self.name or self.tz}: close {self.close} before open "
                             f"{self.open} (sessions across midnight are not supported)")
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        early = tuple(sorted(dict(self.early_closes).items()))
        for day, t in early:
            if not self.open < t <= self.close_time_of_day():
                raise ValueError(f"session {self.name or self.tz}: early close {t} on {day} "
                                 f"is not inside {self.open}-{self.close}")
        object.__setattr__(self, "early_closes", early)

    def close_time_of_day(self) -> time:
        return time.max if self.close == self.open else self.close

    @property
    def open_s(self) -> int:
        return _seconds(self.open)

    @property
    def close_s(self) -> int:
        """Seconds after local midnight at which a normal day closes (86,400 round the clock)."""
        return DAY + self.open_s if self.close == self.open else _seconds(self.close)

    def special_days(self) -> tuple[I64, I64]:
        """(local day numbers, close seconds) of holidays (close = open) and early closes;
        computed once per session (the built-in ones carry decades of holidays)."""
        cached: tuple[I64, I64] | None = self.__dict__.get("_special")
        if cached is None:
            sp = dict.fromkeys(self.holidays, self.open_s)
            sp.update({d: _seconds(t) for d, t in self.early_closes if d not in self.holidays})
            days = sorted(sp)
            cached = (np.array([(d - date(1970, 1, 1)).days for d in days], dtype=np.int64),
                      np.array([sp[d] for d in days], dtype=np.int64))
            for a in cached:
                a.flags.writeable = False
            self.__dict__["_special"] = cached  # a frozen dataclass keeps its own caches here
        return cached

    def early_close(self, day: date) -> time | None:
        """The early close of ``day``, if it has one."""
        early: dict[date, time] | None = self.__dict__.get("_early")
        if early is None:
            early = self.__dict__["_early"] = dict(self.early_closes)
        return early.get(day)


# Years the built-in sessions carry holidays for (``engine.calendars``); outside them only the
# weekdays are known.
BUILTIN_YEARS = (1980, 2060)


def _builtin(name: str, tz: str, opens: time, closes: time, **kw: object) -> Session:
    from engine.calendars import builtin_calendar

    holidays, early = builtin_calendar(name, *BUILTIN_YEARS)
    return Session(tz, opens, closes, holidays=holidays, early_closes=early, name=name,
                   **kw)  # type: ignore[arg-type]


def _sessions() -> dict[str, Session]:
    """The built-in sessions, made on first use (decades of holidays: not at import)."""
    global _SESSIONS
    if _SESSIONS is None:
        made = {
            "US": _builtin("US", "America/New_York", time(9, 30), time(16, 0)),
            "XETRA": _builtin("XETRA", "Europe/Berlin", time(9, 0), time(17, 30)),
            "LSE": _builtin("LSE", "Europe/London", time(8, 0), time(16, 30)),
            "TSE": Session("Asia/Tokyo", time(9, 0), time(15, 30), name="TSE"),
            "CRYPTO": Session("UTC", time(0, 0), time(0, 0), weekdays=tuple(range(7)),
                              name="CRYPTO"),
        }
        made["NYSE"] = made["NASDAQ"] = made["US"]
        _SESSIONS = made
    return _SESSIONS


_SESSIONS: dict[str, Session] | None = None
# EODHD exchange codes (the symbol's suffix) -> built-in session.
_BY_SUFFIX = {"US": "US", "XETRA": "XETRA", "F": "XETRA", "LSE": "LSE", "TSE": "TSE",
              "CC": "CRYPTO", "FOREX": "CRYPTO"}


def __getattr__(name: str) -> dict[str, Session]:
    """``SESSIONS``: the built-in sessions by name (US, NYSE, NASDAQ, XETRA, LSE, TSE, CRYPTO),
    with the holidays and early closes of ``engine.calendars`` for ``BUILTIN_YEARS``."""
    if name == "SESSIONS":
        return _sessions()
    raise AttributeError(f"module 'engine.resample' has no attribute {name!r}")


def session_for(symbol: str) -> Session:
    """The built-in session for an EODHD symbol (``AAPL.US``, ``SAP.XETRA``); round-the-clock
    UTC (``CRYPTO``) when the suffix is unknown, which anchors buckets at 00:00 UTC."""
    suffix = symbol.rsplit(".", 1)[-1].upper() if "." in symbol else ""
    return _sessions()[_BY_SUFFIX.get(suffix, "CRYPTO")]


@dataclass(frozen=True, eq=False)
class Resampled:
    """Built bars; ``complete[i]`` is False only for a last bucket still forming at ``now``.
    Front ends may show that bar; analysis must not treat it as a complete bar. Bucket ``i``
    starts at ``period_start[i]`` and its first input bar is ``first_index[i]``."""

    bars: Bars
    period_start: I64
    complete: B1
    rule: str
    source: str = field(default="")
    first_index: I64 = field(default_factory=lambda: _EMPTY)  # each bucket's first input bar

    @property
    def last_complete(self) -> bool:
        return bool(self.complete[-1]) if self.complete.size else True


# ------------------------------------------------------------------------------- time zones
def _offset(zone: ZoneInfo, t: int) -> int:
    off = datetime.fromtimestamp(t, UTC).astimezone(zone).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def zone_transitions(tz: str, t0: int, t1: int) -> tuple[I64, I64]:
    """(starts, offsets): the zone's UTC offset is ``offsets[j]`` from ``starts[j]`` on, over
    ``[t0, t1]``; ``starts[0]`` is -2**63. zoneinfo is asked once per day of the span (a few
    hundred calls a year, whatever the number of bars) plus a bisection to the second on the
    days where the offset changes; this assumes no zone changes its offset twice in a day."""
    zone = ZoneInfo(tz)
    if tz == "UTC":
        return np.array([_INT64_MIN], dtype=np.int64), np.zeros(1, dtype=np.int64)
    probes = range((t0 // DAY - 1) * DAY, (t1 // DAY + 2) * DAY, DAY)
    offs = [_offset(zone, t) for t in probes]
    starts, values = [_INT64_MIN], [offs[0]]
    for k in range(1, len(offs)):
        if offs[k] != offs[k - 1]:
            lo, hi = probes[k - 1], probes[k]  # offs differ at lo and hi: find the first new
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _offset(zone, mid) == offs[k - 1] else (lo, mid)
            starts.append(hi)
            values.append(offs[k])
    return np.array(starts, dtype=np.int64), np.array(values, dtype=np.int64)


def _offsets_at(ts: I64, table: tuple[I64, I64]) -> I64:
    starts, offs = table
    out: I64 = offs[np.searchsorted(starts, ts, side="right") - 1]
    return out


# ---------------------------------------------------------------------------------- inputs
def _canonical_rule(rule: str) -> str:
    r = _ALIASES.get(rule, rule)
    if r not in RULES:
        raise ValueError(f"unknown resample rule {rule!r} (known: {', '.join(RULES)})")
    return r


def _input_seconds(bars: Bars) -> int:
    """The input bar length: from ``bars.timeframe`` when it names one, else inferred (daily
    when every stamp is a midnight at least a day apart, else the smallest step)."""
    tf = _ALIASES.get(bars.timeframe, bars.timeframe)
    if tf in _INPUT_SECONDS:
        return _INPUT_SECONDS[tf]
    if tf:
        raise ValueError(f"cannot resample {tf} bars (inputs: {', '.join(_INPUT_SECONDS)})")
    ts = bars.ts
    steps = np.diff(ts)
    if not (ts % DAY).any() and (steps.size == 0 or int(steps.min()) >= DAY):
        return DAY
    return int(steps.min()) if steps.size else 60


def _check_rule(bars: Bars, rule: str, base: int) -> None:
    width = INTRADAY_RULES.get(rule, DAY)
    if (base == DAY and rule in INTRADAY_RULES) or width % base or (base == DAY and rule == "1d"):
        raise ValueError(f"resample {rule}: cannot build {rule} bars from "
                         f"{bars.timeframe or f'{base}-second'} bars")


def _input_error(bars: Bars, rule: str, base: int, err: I64) -> ValueError:
    i, kind = int(err[0]), int(err[1])
    ts = bars.ts
    if kind == 1:
        return ValueError(f"resample {rule}: timestamps must be sorted ascending and unique "
                          f"(bar {i}: ts={int(ts[i])} follows ts={int(ts[i - 1])})")
    what = "daily bars stamped at 00:00 UTC" if base == DAY else f"{base}-second bars"
    return ValueError(f"resample {rule}: mixed input timeframes: bar {i} (ts={int(ts[i])}, "
                      f"{int(ts[i] - ts[i - 1]) if i else 0} s after the previous bar) is "
                      f"not one of the {what}")


# --------------------------------------------------------------------------------- resample
def resample(bars: Bars, rule: str, *, session: Session | None = None,
             now: float | None = None, keep_outside: bool = False) -> Resampled:
    """Build ``rule`` bars from ``bars`` (intraday or daily).

    ``session`` defaults to the built-in one for ``bars.symbol`` (``session_for``). Intraday
    bars outside the session (pre/post market, holidays, after an early close, non-trading
    weekdays) are dropped unless ``keep_outside``; daily bars are all kept. ``now`` (UTC epoch
    seconds) decides whether the last bucket has ended; by default it is the data's own clock,
    the last bar's ts plus the input bar length. A bucket ends at the end of its grid step or at
    the session close (early closes included), whichever is first; a day at its session close;
    a week/month/quarter/year at the close of its last trading day (daily input: 00:00 UTC after
    that date). ``ValueError`` names the rule and the bar for an unknown rule, unsorted ``ts``
    or mixed input timeframes.
    """
    from engine.nb.resample import bucket_ids_nb, ohlcv_buckets_nb

    r = _canonical_rule(rule)
    base = _input_seconds(bars)
    _check_rule(bars, rule, base)
    sess = session or session_for(bars.symbol)
    if len(bars) == 0:
        return Resampled(Bars.empty(symbol=bars.symbol, timeframe=r), _EMPTY,
                         np.zeros(0, dtype=np.bool_), r, bars.timeframe)
    daily = base == DAY
    table = _table(bars, sess, daily)
    sp_day, sp_close = (_EMPTY, _EMPTY) if daily else sess.special_days()
    width = INTRADAY_RULES.get(r, 1)
    unit = _UNITS.get(r, 0)
    weekdays = 127 if daily else sum(1 << d for d in sess.weekdays)
    (ids,) = staggered_empty([((len(bars),), np.int64)])
    err = np.zeros(2, dtype=np.int64)
    count = bucket_ids_nb(bars.ts, base, *table, sp_day, sp_close,
                          0 if daily else sess.open_s, DAY if daily else sess.close_s,
                          weekdays, width, unit, daily or keep_outside, ids, err)
    if count < 0:
        raise _input_error(bars, rule, base, err)
    if count == 0:  # every bar outside the session
        return Resampled(Bars.empty(symbol=bars.symbol, timeframe=r), _EMPTY,
                         np.zeros(0, dtype=np.bool_), r, bars.timeframe)
    outs = staggered_empty([((count,), np.int64)] * 3 + [((count,), np.float64)] * 5)
    got = ohlcv_buckets_nb(ids, bars.open, bars.high, bars.low, bars.close, bars.volume, *outs)
    del ids
    start, first, last, opn, high, low, close, volume = outs
    assert got == count, (got, count)
    stamps = start
    if r in ("1w", "1mo", "1q", "1y"):  # date of the last session, at 00:00 UTC
        t_last = bars.ts[last]
        stamps = t_last if daily else (t_last + _offsets_at(t_last, table)) // DAY * DAY
    end = _last_end(r, int(start[-1]), sess, table, daily, keep_outside)
    clock = float(bars.ts[-1]) + base if now is None else float(now)
    complete = np.ones(count, dtype=np.bool_)
    complete[-1] = clock >= end
    for a in (*outs, complete):
        a.flags.writeable = False
    stamps.flags.writeable = False
    # Valid by construction (aggregates of validated bars; ids strictly increase), so the
    # columns are frozen as they are instead of being copied and validated again.
    built = Bars(stamps, opn, high, low, close, volume, symbol=bars.symbol, timeframe=r,
                 _validated=True)
    return Resampled(built, start, complete, r, bars.timeframe, first)


def _table(bars: Bars, sess: Session, daily: bool) -> tuple[I64, I64]:
    if daily:
        return zone_transitions("UTC", 0, 0)
    # A year past the last bar: the end of its quarter or year is looked up in the table too.
    return zone_transitions(sess.tz, int(bars.ts[0]), int(bars.ts[-1]) + 370 * DAY)


def _close_local(sess: Session, day: int) -> int:
    """Seconds after local midnight at which local day number ``day`` closes (open on a
    holiday or a non-trading weekday)."""
    d = date.fromordinal(_EPOCH_ORDINAL + day)
    if d in sess.holidays or d.weekday() not in sess.weekdays:
        return sess.open_s
    early = sess.early_close(d)
    return _seconds(early) if early is not None else sess.close_s


def _last_trading_day(sess: Session, first: int, after_last: int) -> int:
    """The last trading day in ``[first, after_last)`` (``first`` itself when none trades)."""
    for day in range(after_last - 1, first - 1, -1):
        if _close_local(sess, day) > sess.open_s:
            return day
    return first


def _period_after(rule: str, first: int) -> int:
    """The day number after the period of ``rule`` that starts on day ``first``."""
    if rule == "1d":
        return first + 1
    if rule == "1w":
        return first + 7
    months = {"1mo": 1, "1q": 3, "1y": 12}[rule]
    m = np.datetime64(first, "D").astype("datetime64[M]") + months
    return int(m.astype("datetime64[D]").astype(np.int64))


def _last_end(rule: str, start: int, sess: Session, table: tuple[I64, I64], daily: bool,
              keep_outside: bool) -> float:
    """UTC epoch second at which the last bucket (starting at ``start``) ends."""
    if rule in INTRADAY_RULES:
        off = int(_offsets_at(np.array([start], dtype=np.int64), table)[0])
        local = start + off
        day = local // DAY
        el = local - day * DAY - sess.open_s
        end = local + INTRADAY_RULES[rule]
        close = _close_local(sess, day)
        if not keep_outside and 0 <= el < close - sess.open_s:
            end = min(end, day * DAY + close)
        return float(end - off)
    first = start // DAY
    if daily:
        return float((_last_trading_day(sess, first, _period_after(rule, first)) + 1) * DAY)
    last_day = _last_trading_day(sess, first, _period_after(rule, first))
    if keep_outside:
        end_local = (last_day + 1) * DAY
    else:
        end_local = last_day * DAY + _close_local(sess, last_day)
    off = int(_offsets_at(np.array([end_local - 43_200], dtype=np.int64), table)[0])
    return float(end_local - off)
