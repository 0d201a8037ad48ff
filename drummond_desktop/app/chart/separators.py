"""Session and day separators: a light vertical line before the first bar of each new day
(intraday) or month (daily bars), coarsened to weeks, months or years when zoomed out so far that
the lines would be closer than ``MIN_GAP_PX``.

``SessionBreaks`` finds the first bar of every day, week, month and year once per data set and
time zone (Qt-free, vectorised); ``SeparatorItem`` draws the visible ones of one level, so a frame
costs O(log N + lines drawn).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
from PySide6 import QtCore, QtGui

from drummond_desktop.app.chart.base import ChartItem, DrawList
from drummond_desktop.app.chart.style import DARK, ChartStyle, opaque_over

I64 = npt.NDArray[np.int64]
DAY = 86_400
HOUR = 3_600
MIN_GAP_PX = 6.0  # finer separators than this would grey the chart out: use a coarser level
INTRADAY_LEVELS = ("day", "week", "month", "year")
DAILY_LEVELS = ("month", "year")
LINE_ALPHA = 70


def zone(tz_name: str) -> ZoneInfo:
    """``ZoneInfo(tz_name)`` with an error that names the bad value."""
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz_name!r} for the chart's day separators "
                         "(an IANA name such as 'UTC' or 'America/New_York')") from exc


def local_days(ts: I64, tz: ZoneInfo) -> I64:
    """The local calendar day number (days since 1970-01-01) of each UTC epoch second in ``ts``.
    The UTC offset is looked up once per distinct hour (offsets change on whole hours or half
    hours at most in practice, never mid-hour at bar resolution)."""
    if ts.size == 0:
        return np.zeros(0, dtype=np.int64)
    if tz.key == "UTC":
        return ts // DAY
    hours = ts // HOUR
    starts = np.flatnonzero(np.diff(hours, prepend=hours[0] - 1))  # ts is sorted
    offsets = np.array([_offset_s(int(h) * HOUR, tz) for h in hours[starts]], dtype=np.int64)
    per_bar = np.repeat(offsets, np.diff(np.append(starts, ts.size)))
    return (ts + per_bar) // DAY


def _offset_s(epoch: int, tz: ZoneInfo) -> int:
    off = datetime.fromtimestamp(epoch, tz=UTC).astimezone(tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


class SessionBreaks:
    """The first bar index of each new day/week/month/year of one series (bar 0 excluded)."""

    def __init__(self, ts: I64, intraday: bool, tz: ZoneInfo) -> None:
        self.intraday = intraday
        self.levels = INTRADAY_LEVELS if intraday else DAILY_LEVELS
        days = local_days(ts, tz)
        day_starts = np.flatnonzero(np.diff(days)) + 1
        first_days = days[day_starts]
        weeks = (first_days + 3) // 7  # ISO weeks start on Monday; 1970-01-01 was a Thursday
        months = first_days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        years = months // 12
        prev = days[day_starts - 1]
        prev_months = prev.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        self.index: dict[str, I64] = {
            "day": day_starts.astype(np.int64),
            "week": day_starts[weeks != (prev + 3) // 7].astype(np.int64),
            "month": day_starts[months != prev_months].astype(np.int64),
            "year": day_starts[years != prev_months // 12].astype(np.int64),
        }

    def level_for(self, i0: int, i1: int, px_per_bar: float) -> str | None:
        """The finest level whose lines over bars ``i0..i1-1`` are ``MIN_GAP_PX`` apart on
        average (None: even years would be too dense, or nothing to separate)."""
        bars = max(i1 - i0, 1)
        for level in self.levels:
            idx = self.index[level]
            a, b = np.searchsorted(idx, [i0, i1])
            count = int(b - a)
            if count == 0:
                continue
            if bars / count * px_per_bar >= MIN_GAP_PX:
                return level
        return None

    def visible(self, level: str, i0: int, i1: int) -> I64:
        idx = self.index[level]
        a, b = np.searchsorted(idx, [i0, i1])
        return idx[a:b]


class SeparatorItem(ChartItem):
    """Vertical separator lines across one pane, from a shared ``SessionBreaks``."""

    def __init__(self, style: ChartStyle = DARK) -> None:
        super().__init__()
        self.breaks: SessionBreaks | None = None
        self.n = 0
        self.last_level: str | None = None
        self.last_lines: I64 = np.zeros(0, dtype=np.int64)
        self.setZValue(-900.0)  # over the grid, under the data
        self.set_style(style)

    def set_style(self, style: ChartStyle) -> None:
        self._brush = QtGui.QBrush(opaque_over((*style.foreground[:3], LINE_ALPHA),
                                               style.background))
        self.invalidate()

    def set_breaks(self, breaks: SessionBreaks | None, n: int) -> None:
        self.breaks, self.n = breaks, n
        self._set_bounds((-0.5, n - 0.5) if n and breaks is not None else None,
                         None)

    def dataBounds(self, ax: int, frac: float = 1.0,  # noqa: N802 (pyqtgraph API)
                   orthoRange: object = None) -> None:
        return None  # never part of the auto-range

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802
        vr = self.viewRect()
        return QtCore.QRectF(vr) if vr is not None else QtCore.QRectF()

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self.prepareGeometryChange()

    def draw(self, d: DrawList) -> None:
        self.last_level, self.last_lines = None, np.zeros(0, dtype=np.int64)
        if self.breaks is None:
            return
        span = self.last_span = self.visible_span(self.n)
        vr = self.viewRect()
        if span is None or vr is None:
            return
        px = self.pixelWidth() or 0.0
        level = self.breaks.level_for(span.i0, span.i1, 1.0 / px if px else math.inf)
        if level is None:
            return
        idx = self.breaks.visible(level, span.i0, span.i1)
        self.last_level, self.last_lines = level, idx
        x = idx.astype(np.float64) - 0.5
        d.vlines(self._brush, x, vr.top(), vr.bottom())
