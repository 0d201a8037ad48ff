"""``analyze_ladder``: every timeframe of a ladder from one set of input bars, their overlays on
the ladder's lowest timeframe, and the coordination flags (spec §B9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond import DGParams, DGResult, analyze
from engine.mtf.coordination import Coordination, coordinate
from engine.mtf.ladder import DEFAULT_LADDER, Ladder, as_ladder, canonical, length
from engine.mtf.overlay import Overlay, build, check_params, complete_bars, period_index
from engine.resample import (
    _INPUT_SECONDS,
    DAY,
    INTRADAY_RULES,
    RULES,
    Resampled,
    Session,
    resample,
)
from engine.resample import _input_seconds as input_seconds

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class MTFResult:
    """A ladder analysed on N base bars (its lowest timeframe, complete bars only).

    ``base`` is the lowest timeframe's DG result; ``overlays[tf]`` every higher timeframe on the
    base bars (N+1 elements, element N for the next base bar); ``coordination`` the §B9 flags
    (N elements); ``forming`` the base bar still forming, if any (never analysed).
    """

    ladder: Ladder
    params: DGParams
    base: DGResult
    overlays: Mapping[str, Overlay]
    coordination: Coordination
    forming: Bars | None = field(default=None)

    def __len__(self) -> int:
        return len(self.base)

    def result(self, tf: str) -> DGResult:
        """The DG result of timeframe ``tf`` on its own (complete) bars."""
        tf = canonical(tf)
        return self.base if tf == self.ladder.base else self._overlay(tf).htf

    def period(self, tf: str) -> I64:
        """N+1 indices into ``result(tf)``: the period holding each base target bar."""
        tf = canonical(tf)
        if tf == self.ladder.base:
            out: I64 = np.arange(len(self.base) + 1, dtype=np.int64)
            out.flags.writeable = False
            return out
        return self._overlay(tf).period

    @property
    def focal(self) -> DGResult:
        return self.result(self.ladder.focal)

    def _overlay(self, tf: str) -> Overlay:
        if tf not in self.overlays:
            raise ValueError(f"{tf} is not a timeframe of the ladder {self.ladder.timeframes}")
        return self.overlays[tf]


def analyze_ladder(bars: Bars | Mapping[str, Bars],
                   ladder: str | Sequence[str] | Ladder = DEFAULT_LADDER, *,
                   params: DGParams | None = None, session: Session | None = None,
                   now: float | None = None, live: bool = False) -> MTFResult:
    """Analyse every timeframe of ``ladder`` (a preset name, timeframes, or a ``Ladder``).

    ``bars`` are the input: bars of the ladder's lowest timeframe or finer (e.g. the lowest
    stored timeframe), from which every timeframe is resampled (``session``, ``now`` as in
    ``engine.resample``). A mapping ``{timeframe: Bars}`` takes its finest entry as the input
    and the others, which must be higher timeframes of the ladder, as *history*: their periods
    before the input's first period (that one too, when it has ended) are analysed ahead of the
    periods built from the input, so the HTF levels are defined from the first base bar on.
    ``live=True`` adds each overlay's provisional next-period dot (UI only).
    """
    ld = as_ladder(ladder)
    p = check_params(params)
    source, history = _inputs(bars, ld)
    base_res = _base(source, ld.base, session, now)
    if base_res is None:
        all_base, first = source, np.arange(len(source), dtype=np.int64)
    else:
        all_base, first = base_res.bars, base_res.first_index
    base_bars = complete_bars(base_res) if base_res is not None else source
    n = len(base_bars)
    base = analyze(base_bars, p)
    overlays: dict[str, Overlay] = {}
    for tf in ld.timeframes[1:]:
        res = resample(source, tf, session=session, now=now)
        htf_bars, offset = _with_history(res, history.get(tf), tf)
        htf = analyze(htf_bars, p)
        idx = period_index(first, res.first_index)
        period = np.empty(n + 1, dtype=np.int64)
        period[:n] = idx[:n]
        # The next base bar: the forming one sits in its own period; else it starts after the
        # data, in the last period while that is still forming, else in the next one.
        period[n] = idx[n] if n < len(all_base) else len(res.bars) - 1 + int(res.last_complete)
        period[period >= 0] += offset
        overlays[tf] = build(tf, res, htf, period, base_bars, live)
    k = ld.focal_index
    pooled = [base if tf == ld.base else overlays[tf].htf for tf in ld.timeframes[k:]]
    periods = [np.arange(n + 1, dtype=np.int64) if tf == ld.base else overlays[tf].period
               for tf in ld.timeframes[k:]]
    completed = [(overlays[tf].state, overlays[tf].trend_dir) for tf in ld.timeframes[1:]]
    flags = coordinate(ld.timeframes, ld.focal, base, completed, pooled, periods)
    forming = all_base[n:] if n < len(all_base) else None
    return MTFResult(ladder=ld, params=p, base=base, overlays=overlays, coordination=flags,
                     forming=forming)


def _inputs(bars: Bars | Mapping[str, Bars], ld: Ladder) -> tuple[Bars, dict[str, Bars]]:
    if isinstance(bars, Bars):
        return bars, {}
    if not isinstance(bars, Mapping) or not bars:
        raise TypeError(f"analyze_ladder() needs engine.Bars or a non-empty mapping "
                        f"{{timeframe: Bars}}, got {type(bars).__name__}")
    by_tf: dict[str, Bars] = {}
    for key, value in bars.items():
        if not isinstance(value, Bars):
            raise TypeError(f"bars[{key!r}] must be engine.Bars, got {type(value).__name__}")
        by_tf[canonical(key)] = value
    lowest = min(by_tf, key=length)
    source = by_tf.pop(lowest)
    for tf in by_tf:
        if tf not in ld.timeframes[1:]:
            raise ValueError(f"bars given for {tf}: only the ladder's higher timeframes "
                             f"{ld.timeframes[1:]} take history besides the input ({lowest})")
    return source, by_tf


def _base(source: Bars, tf: str, session: Session | None,
          now: float | None) -> Resampled | None:
    """The base timeframe built from ``source`` (None: ``source`` is already it, as daily
    input for a daily base, or an input-only timeframe such as 1m that resample cannot build).
    Intraday bases are resampled even from bars of the same length, so bars outside the
    session are left out as they are from every higher timeframe."""
    if tf not in RULES:
        if input_seconds(source) != _INPUT_SECONDS[tf]:
            raise ValueError(f"ladder base {tf} needs {tf} input bars, got "
                             f"{source.timeframe or 'bars of another length'}")
        return None
    if tf == "1d" and input_seconds(source) == DAY:
        return None
    return resample(source, tf, session=session, now=now)


def period_keys(ts: I64, tf: str) -> I64:
    """The start of the ``tf`` period holding each stamp, as ``Resampled.period_start`` has
    it: the stamp itself for intraday buckets, else the period's first date at 00:00 UTC."""
    if tf in INTRADAY_RULES:
        return ts
    days = ts // DAY
    if tf == "1w":
        days = days - (days + 3) % 7  # 1970-01-01 was a Thursday
    elif tf in ("1mo", "1q", "1y"):
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        months -= months % {"1mo": 1, "1q": 3, "1y": 12}[tf]
        days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    out: I64 = days * DAY
    return out


def _with_history(res: Resampled, given: Bars | None, tf: str) -> tuple[Bars, int]:
    """(HTF bars to analyse, index of the first period built from the input in them)."""
    done = complete_bars(res)
    if given is None or len(given) == 0 or len(res.bars) == 0:
        return done, 0
    keys = period_keys(given.ts, tf)
    if np.any(np.diff(keys) <= 0):
        j = int(np.argmax(np.diff(keys) <= 0)) + 1
        raise ValueError(f"history bars for {tf}: bar {j} (ts={int(given.ts[j])}) lies in the "
                         f"same {tf} period as the bar before it")
    first = int(res.period_start[0])
    before = int(np.searchsorted(keys, first, side="left"))
    # The input may start inside its first period; the given bar of that period, when it has
    # ended, is whole, so it replaces the input's (it only feeds later periods' projections).
    replace = before < len(keys) and int(keys[before]) == first and len(done) > 0
    used = before + int(replace)
    tail = done[int(replace):]
    cols = {name: np.concatenate([getattr(given, name)[:used], getattr(tail, name)])
            for name in ("ts", "open", "high", "low", "close", "volume")}
    return Bars.from_arrays(**cols, symbol=done.symbol, timeframe=tf), before
