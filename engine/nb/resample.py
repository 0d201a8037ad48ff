"""Resampling kernels: bucket ids per bar, then OHLCV per bucket in one pass.

Two kernels, so the session rules (time zone, hours, holidays, early closes) stay out of the
memory-bound aggregation loop:

* ``bucket_ids_nb`` gives every bar an int64 bucket id: the bucket's start (UTC epoch seconds
  for intraday buckets, the period's first date at 00:00 UTC for days and longer), or ``SKIP``
  for a bar outside the session. Ids never decrease across kept bars.
* ``ohlcv_buckets_nb`` aggregates bars with equal ids: open=first, high=max, low=min,
  close=last, volume=sum, plus the bucket id and its first and last bar index.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from engine._jit import inline_helper, kernel

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY = 86_400
SKIP = np.iinfo(np.int64).min  # the id of a bar that belongs to no bucket
NO_BUCKET = -(1 << 60)  # "no current intraday bucket" (far below any seconds-after-open)

# Bucket units (the ``unit`` argument of bucket_ids_nb).
UNIT_FIXED = 0  # ``width`` seconds on a grid anchored to the session open
UNIT_DAY = 1
UNIT_WEEK = 2  # ISO week, Monday first
UNIT_MONTH = 3
UNIT_QUARTER = 4
UNIT_YEAR = 5


@inline_helper
def _civil(d: int) -> tuple[int, int]:
    """(year, month) of day number ``d`` (days since 1970-01-01), proleptic Gregorian
    (H. Hinnant's civil_from_days: integer arithmetic, no tables)."""
    z = d + 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    m = mp + 3 if mp < 10 else mp - 9
    y = yoe + era * 400 + (1 if m <= 2 else 0)
    return y, m


@inline_helper
def _days_from_civil(y: int, m: int) -> int:
    """Day number of the first of month ``m`` of year ``y`` (inverse of ``_civil``)."""
    y -= 1 if m <= 2 else 0
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    mp = m - 3 if m > 2 else m + 9
    doy = (153 * mp + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


@inline_helper
def period_start_day(d: int, unit: int) -> int:
    """First day of the day/week/month/quarter/year that contains day ``d``."""
    if unit == UNIT_DAY:
        return d
    if unit == UNIT_WEEK:
        return d - (d + 3) % 7  # 1970-01-01 was a Thursday
    y, m = _civil(d)
    if unit == UNIT_QUARTER:
        m = ((m - 1) // 3) * 3 + 1
    elif unit == UNIT_YEAR:
        m = 1
    return _days_from_civil(y, m)


@kernel
def bucket_ids_nb(
    ts: I64, base: int, tr_ts: I64, tr_off: I64, sp_day: I64, sp_close: I64,
    open_s: int, close_s: int, weekdays: int, width: int, unit: int, keep_outside: bool,
    ids: I64, err: I64,
) -> int:
    """Fill ``ids`` (one per bar of ``ts``) and return the number of distinct buckets, or -1
    with ``err = [bar index, 1 (not strictly ascending) or 2 (off the input grid)]``.

    The input grid: with ``base == DAY`` every ts is a midnight; otherwise every step between
    bars is a multiple of ``base`` seconds. ``tr_ts``/``tr_off``: the zone's UTC offset is
    ``tr_off[j]`` from ``tr_ts[j]`` on (sorted, ``tr_ts[0]`` at or before ``ts[0]``). A local
    day's session is ``[open_s, close)`` seconds after local midnight, where ``close`` is
    ``sp_close[k]`` on the special day ``sp_day[k]`` (sorted; an early close, or ``open_s`` for
    a holiday) and ``close_s`` otherwise; only days whose weekday bit (Monday = bit 0) is set in
    ``weekdays`` trade. Bars outside the session get ``SKIP`` unless ``keep_outside``. A bar
    whose bucket would start before the previous kept bar's (a clock going back in the night)
    joins that bucket, so ids never decrease.

    Speed: bars are walked in segments (same local day, offset, session status and bucket) that
    end at a known UTC second, so a bar inside a segment costs a compare and a store; divisions
    happen once per segment or day (an integer division per bar cost more than the memory
    traffic of the bar).
    """
    n = ts.shape[0]
    m = tr_ts.shape[0]
    ns = sp_day.shape[0]
    daily = base == DAY
    j = 0
    k = 0
    day_hi_t = SKIP  # the cached local day (and offset) holds for ts < day_hi_t
    el_base = 0
    day_len = 0
    day_id = 0
    lo = NO_BUCKET
    seg_hi = SKIP  # bars with ts < seg_hi share seg_id: the fast path, no division
    seg_id = SKIP
    prev = SKIP
    prev_t = ts[0] - 2 * base if n else 0  # not one step: the first bar is checked too
    count = 0
    for i in range(n):
        t = ts[i]
        step = t - prev_t
        if step != base:
            if step <= 0:
                err[0] = i
                err[1] = 1
                return -1
            if (t % DAY != 0) if daily else (step % base != 0):
                err[0] = i
                err[1] = 2
                return -1
        prev_t = t
        if t < seg_hi:
            ids[i] = seg_id
            continue
        # A new segment: same offset, local day, session status and bucket until seg_hi.
        if t >= day_hi_t:  # a new local day or offset: once per day, the divisions
            while j + 1 < m and t >= tr_ts[j + 1]:
                j += 1
            off = tr_off[j]
            day = (t + off) // DAY
            while k < ns and sp_day[k] < day:
                k += 1
            close = sp_close[k] if k < ns and sp_day[k] == day else close_s
            day_len = close - open_s if (weekdays >> ((day + 3) % 7)) & 1 else 0
            el_base = day * DAY + open_s - off  # UTC second of the local open
            day_hi_t = el_base + DAY - open_s  # the next local midnight ...
            if j + 1 < m and tr_ts[j + 1] < day_hi_t:
                day_hi_t = tr_ts[j + 1]  # ... or the next offset change
            day_id = period_start_day(day, unit) * DAY if unit != UNIT_FIXED else 0
            lo = NO_BUCKET
        el = t - el_base
        hi = DAY - open_s  # local midnight, as seconds after the open
        if not keep_outside:
            if not 0 <= el < day_len:
                if el < 0 and day_len > 0:
                    hi = 0
                seg_hi = _segment_end(t, el, hi, day_hi_t)
                seg_id = SKIP
                ids[i] = SKIP
                continue
            hi = day_len
        if unit == UNIT_FIXED:
            if lo <= el < lo + 2 * width:  # the next grid step (contiguous bars): no division
                lo = lo + width if el >= lo + width else lo
            else:
                lo = (el // width) * width
            if lo + width < hi:
                hi = lo + width
            b = t - (el - lo)
        else:
            b = day_id
        if b <= prev:
            b = prev
        else:
            count += 1
        prev = b
        seg_id = b
        seg_hi = _segment_end(t, el, hi, day_hi_t)
        ids[i] = b
    return count


@inline_helper
def _segment_end(t: int, el: int, hi: int, day_hi_t: int) -> int:
    """UTC second where the segment starting at ``t`` (``el`` seconds after the open) ends:
    ``hi`` seconds after the open, or the end of the day's offset if that comes first."""
    end = t + (hi - el)
    return end if end < day_hi_t else day_hi_t


@kernel
def ohlcv_buckets_nb(
    ids: I64, opn: F64, high: F64, low: F64, close: F64, volume: F64,
    out_id: I64, out_first: I64, out_last: I64,
    out_open: F64, out_high: F64, out_low: F64, out_close: F64, out_volume: F64,
) -> int:
    """Aggregate runs of equal ``ids`` (non-decreasing; ``SKIP`` bars ignored) in one pass and
    return the number of buckets written: ``out_open`` first open, ``out_high`` max high,
    ``out_low`` min low, ``out_close`` last close, ``out_volume`` summed volume (in bar order),
    ``out_id`` the bucket's id, ``out_first``/``out_last`` its first and last bar.

    The running high, low and volume stay in registers and each bucket is stored once, when the
    next one starts. (Finding each run first and reducing it with several accumulators measured
    slower here: a second mispredicted loop exit per bucket costs more than the dependency
    chain it removes.)
    """
    n = ids.shape[0]
    k = -1
    cur = SKIP
    hi = 0.0
    lo = 0.0
    vol = 0.0
    last = 0
    for i in range(n):
        b = ids[i]
        if b == SKIP:
            continue
        if b != cur:
            if k >= 0:
                _store(k, hi, lo, close[last], vol, last,
                       out_high, out_low, out_close, out_volume, out_last)
            k += 1
            cur = b
            out_id[k] = b
            out_first[k] = i
            out_open[k] = opn[i]
            hi = high[i]
            lo = low[i]
            vol = 0.0
        h = high[i]
        lo_i = low[i]
        hi = h if h > hi else hi
        lo = lo_i if lo_i < lo else lo
        vol += volume[i]
        last = i
    if k >= 0:
        _store(k, hi, lo, close[last], vol, last, out_high, out_low, out_close, out_volume,
               out_last)
    return k + 1


@inline_helper
def _store(
    k: int, hi: float, lo: float, cl: float, vol: float, last: int,
    out_high: F64, out_low: F64, out_close: F64, out_volume: F64, out_last: I64,
) -> None:
    out_high[k] = hi
    out_low[k] = lo
    out_close[k] = cl
    out_volume[k] = vol
    out_last[k] = last
