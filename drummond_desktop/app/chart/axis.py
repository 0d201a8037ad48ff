"""``BarIndexAxis``: the x axis counts bars (no weekend or overnight gaps) and labels them with
their dates, in a format that follows the zoom; slots right of the last bar read "next", "+2"."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg

DAY = 86_400
LABEL_GAP_PX = 10.0  # free space kept between two date labels

# (minimum seconds between ticks, strftime format): the first that fits wins.
FORMATS: tuple[tuple[float, str], ...] = (
    (300 * DAY, "%Y"),
    (25 * DAY, "%b %Y"),
    (DAY, "%d %b %y"),
    (3600, "%d %b %H:%M"),
    (0, "%H:%M"),
)


def label_format(seconds_per_tick: float, intraday: bool) -> str:
    """The strftime format for ticks ``seconds_per_tick`` apart."""
    for limit, fmt in FORMATS:
        if seconds_per_tick >= limit:
            return fmt if intraday or limit >= DAY else "%d %b %y"
    return FORMATS[-1][1]


def drop_overlapping(text_specs: list[Any], gap: float) -> list[Any]:
    """``(rect, flags, text)`` specs without the ones closer than ``gap`` px to an earlier kept
    one (greedy, in the given order)."""
    kept: list[Any] = []
    for spec in text_specs:
        r = spec[0].adjusted(-gap / 2, 0, gap / 2, 0)
        if all(not r.intersects(k[0].adjusted(-gap / 2, 0, gap / 2, 0)) for k in kept):
            kept.append(spec)
    return kept


class CachedTicksAxis(pg.AxisItem):  # type: ignore[misc]
    """An axis that remembers its last ``tickValues``: the pane's ``GridItem`` asks for the same
    ticks in the same frame (pyqtgraph's tick search is slow Python). No SI-prefix label."""

    def __init__(self, orientation: str, **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)  # it re-renders the (empty) label on every range change
        self._tick_cache: tuple[tuple[float, float, float], Any] | None = None

    def tickValues(self, minVal: float, maxVal: float, size: float) -> Any:  # noqa: N802
        key = (float(minVal), float(maxVal), float(size))
        hit = self._tick_cache
        # the axis measures itself a pixel or two longer than the view box: same ticks
        if hit is not None and hit[0][:2] == key[:2] and abs(hit[0][2] - key[2]) <= 0.02 * key[2]:
            return hit[1]
        ticks = super().tickValues(minVal, maxVal, size)
        self._tick_cache = (key, ticks)
        return ticks

    def forget_ticks(self) -> None:
        self._tick_cache = None


class BarIndexAxis(CachedTicksAxis):
    """Bottom axis over bar indices ``0..N-1`` with labels from the bars' epoch seconds."""

    def __init__(self, orientation: str = "bottom", **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self.ts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self.bar_seconds = float(DAY)
        self.intraday = False

    def set_timestamps(self, ts: npt.NDArray[np.int64]) -> None:
        """The bars' UTC epoch seconds (kept by reference)."""
        self.ts = ts
        if ts.shape[0] > 1:
            step = np.diff(ts[-min(ts.shape[0], 500):])
            self.bar_seconds = float(np.median(step))
            self.intraday = self.bar_seconds < DAY or bool((ts[-50:] % DAY).any())
        self.forget_ticks()
        self.picture = None
        self.update()

    def tickSpacing(self, minVal: float, maxVal: float,  # noqa: N802
                    size: float) -> list[tuple[float, float]]:
        """pyqtgraph's spacing levels, without steps finer than one bar."""
        levels = super().tickSpacing(minVal, maxVal, size)
        kept = [(max(s, 1.0), off) for s, off in levels if s >= 1.0]
        return kept or [(1.0, 0.0)]

    def generateDrawSpecs(self, p: Any) -> Any:  # noqa: N802 (pyqtgraph API)
        """pyqtgraph's specs with overlapping labels dropped: it always draws every label of
        the major level, so in a narrow pane long date labels ("21 Nov 14:30") ran together.
        Labels are kept in pyqtgraph's order (major level first) when they leave
        ``LABEL_GAP_PX`` to every label already kept."""
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return None
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, tick_specs, drop_overlapping(text_specs, LABEL_GAP_PX)

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802
                    spacing: float) -> list[str]:
        fmt = label_format(spacing * self.bar_seconds, self.intraday)
        return [self.slot_label(v, fmt) for v in values]

    def slot_label(self, value: float, fmt: str = "%Y-%m-%d") -> str:
        """The label of x = ``value``: a bar's date, or the future slot's offset."""
        if not math.isfinite(value) or abs(value - round(value)) > 1e-6:
            return ""
        i, n = round(value), self.ts.shape[0]
        if i < 0 or n == 0:
            return ""
        if i >= n:
            return "next" if i == n else f"+{i - n + 1}"
        return datetime.fromtimestamp(int(self.ts[i]), tz=UTC).strftime(fmt)


def compact_number(v: float) -> str:
    """1_250_000 -> '1.25M' (volume axis labels)."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"


class CompactAxis(CachedTicksAxis):
    """A value axis with K/M/B labels."""

    def tickStrings(self, values: list[float], scale: float,  # noqa: N802
                    spacing: float) -> list[str]:
        return [compact_number(v * scale) for v in values]
