"""``MTFDataService``: what the three-timeframe workspace shows, built off the GUI thread.

One request names a symbol and a ladder (spec §B9: a preset ``intraday``, ``swing``,
``position``, ``auto`` or the timeframes of a custom one). ``build`` loads the finest series
the ladder can be built from (the demo universe, or the store: for an intraday ladder the
finest stored intraday series that divides its lowest timeframe, else the stored daily bars or
the finest intraday ones), runs ``engine.mtf.analyze_ladder`` on it (the engine resamples every
timeframe in the exchange's session) and returns one frozen ``MTFData``:

* ``frames``: bars, DG result and next-bar zones of each timeframe, lowest first, each with
  ``base_index`` (the bar of that timeframe holding each base bar: the workspace maps a bar of
  one pane onto the others through it, so the crosshair and the visible span line up in time);
* ``htf``: every timeframe above the focal one on the *focal* bars (period, PLdot, ETop, EBot:
  constant through each higher period, without look-ahead, as ``engine.mtf`` defines them);
* ``zones``/``confluence``: the zones of the next focal bar pooled over the focal and higher
  timeframes (``engine.mtf.confluence``), with the timeframes each holds;
* ``flags``: the coordination flags of the last base bar; ``summary``: all of it as text.

A higher timeframe's frame holds its complete periods only: a period still forming is the
chart's next-bar slot. Qt-free, shaped ``(request, cancel, progress) -> result``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.errors import AppError, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.feeds import demo
from drummond_desktop.services import timeframes
from drummond_desktop.services.mtf_text import (
    ConfluenceRow,
    Flags,
    confluence_rows,
    flags_at,
    focal_report,
    summary_text,
    tf_label,
)
from drummond_desktop.services.sessions import UTC_SESSION, SessionLookup, default_session
from engine.bars import Bars
from engine.drummond import DGParams, DGResult, Zone, zones
from engine.mtf import Ladder, MTFResult, analyze_ladder, as_ladder, confluence
from engine.resample import Session

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: loaded on the worker that first reads it
    from drummond_desktop.services.market_data import MarketDataService

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
MarketDataProvider = Callable[[], "MarketDataService"]
DemoBars = Callable[[str], Bars]

AUTO = "auto"  # swing on daily data, intraday on minute data
PRESETS = (AUTO, "intraday", "swing", "position")
ROLES = ("lower", "focal", "higher")


@dataclass(frozen=True)
class MTFRequest:
    """``symbol`` through ``ladder`` (``auto``, a preset name, or timeframes lowest first with
    ``focal`` one of them; default focal: the preset's, or the lowest)."""

    symbol: str
    ladder: str | tuple[str, ...] = AUTO
    focal: str = ""
    demo: bool = True
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True, eq=False)
class Frame:
    """One timeframe as its pane draws it. ``zones``: its own next-bar zones (the focal frame:
    the pooled confluence zones). ``base_index`` (N_base + 1): this timeframe's bar holding each
    base target bar (its length of bars for the next-bar slot)."""

    tf: str
    label: str
    role: str
    bars: Bars
    result: DGResult
    zones: tuple[Zone, ...]
    base_index: I64

    def first_base(self, i: int) -> int:
        """The first base target bar lying in bar ``i`` of this timeframe."""
        k = int(np.searchsorted(self.base_index, i, side="left"))
        return min(k, int(self.base_index.shape[0]) - 1)

    def last_base(self, i: int) -> int:
        """The last base target bar lying in bar ``i`` of this timeframe."""
        k = int(np.searchsorted(self.base_index, i, side="right")) - 1
        return max(k, 0)


@dataclass(frozen=True, eq=False)
class HTFLevels:
    """A timeframe above the focal one on the focal bars: M+1 elements (element M: the next
    focal bar). ``period`` indexes that timeframe's result (-1: before its first period, values
    NaN); the levels are its projections for the period, constant through it."""

    tf: str
    label: str
    period: I64
    pldot: F64
    etop: F64
    ebot: F64


@dataclass(frozen=True, eq=False)
class MTFData:
    """Everything the three-timeframe workspace shows; ``generation`` is the runner's stamp."""

    symbol: str
    ladder: Ladder
    mtf: MTFResult
    frames: tuple[Frame, ...]  # lowest first
    htf: tuple[HTFLevels, ...]  # from the timeframe just above the focal up
    zones: tuple[Zone, ...]  # confluence of the next focal bar, lowest first
    confluence: tuple[ConfluenceRow, ...]  # the same zones as rows, highest first
    flags: Flags
    summary: str
    source: str
    synthetic: bool
    generation: int = 0

    def frame(self, tf: str) -> Frame:
        for f in self.frames:
            if f.tf == tf or f.label == tf:
                return f
        raise KeyError(f"{tf} is not a timeframe of the ladder {self.ladder.timeframes}")

    @property
    def focal(self) -> Frame:
        return self.frame(self.ladder.focal)

    def map_index(self, src: str, i: int, dst: str) -> int:
        """The bar of ``dst`` holding the start of bar ``i`` of ``src`` (the next-bar slot and
        beyond map onto ``dst``'s next-bar slot)."""
        a, b = self.frame(src), self.frame(dst)
        return int(b.base_index[a.first_base(max(i, 0))])

    def map_range(self, src: str, x0: float, x1: float, dst: str) -> tuple[float, float]:
        """The x-range of ``dst`` covering the same time as ``x0..x1`` of ``src`` (bar
        indices), keeping the margins before the first bar and after the last one in bars."""
        a, b = self.frame(src), self.frame(dst)
        na, nb = len(a.bars), len(b.bars)
        if na == 0 or nb == 0:
            return x0, x1
        lo = min(max(math.floor(x0 + 0.5), 0), na - 1)
        hi = min(max(math.ceil(x1 - 0.5), 0), na - 1)
        y0 = float(b.base_index[a.first_base(lo)]) - 0.5
        y1 = min(float(b.base_index[a.last_base(hi)]), nb - 1.0) + 0.5
        if x0 < -0.5:
            y0 = x0
        if x1 > na - 0.5:
            y1 = nb - 0.5 + (x1 - (na - 0.5))
        return min(max(y0, -0.5), nb - 0.5), y1


def resolve_ladder(request: MTFRequest, native: str) -> Ladder:
    """The request's ladder; ``auto`` is intraday on intraday data, else swing.
    ``DataError`` with the engine's message for a ladder it refuses."""
    spec: str | tuple[str, ...] = request.ladder
    if spec == AUTO:
        spec = "intraday" if native in timeframes.INTRADAY_SECONDS else "swing"
    try:
        return as_ladder(spec, request.focal)
    except ValueError as exc:
        raise DataError(str(exc), user_message=str(exc)) from None


def input_candidates(base: str) -> tuple[str, ...]:
    """The stored intervals a ladder whose lowest timeframe is ``base`` can be built from, in
    the order tried: intraday ones that divide it (finest first); for a day or longer the
    daily bars, then intraday ones (``engine.resample`` builds from intraday or daily bars)."""
    seconds = timeframes.INTRADAY_SECONDS
    size = {"2h": 7_200}.get(base, seconds.get(base, 0))
    if size:
        return tuple(tf for tf, s in seconds.items() if s <= size and size % s == 0)
    return ("1d", *(tf for tf in seconds if tf != "4h"))


class MTFDataService:
    """Builds ``MTFData`` from the demo universe or the store (opened on first store use);
    ``sessions`` and ``clock`` as in ``ChartDataService``."""

    def __init__(self, market_data: MarketDataProvider, *, sessions: SessionLookup | None = None,
                 clock: Callable[[], float] = time.time,
                 demo_bars: DemoBars = demo.demo_bars) -> None:
        self._market_data = market_data
        self._sessions = sessions or default_session
        self._clock = clock
        self._demo_bars = demo_bars

    def build(self, request: MTFRequest, cancel: CancelToken | None = None,
              progress: Progress = no_progress) -> MTFData:
        """Load, analyse and pool ``request``; ``AppError`` with a user message for unknown
        symbols, ladders the data cannot build (naming the interval) or too few bars."""
        token = cancel or CancelToken()
        progress(0, 4, f"loading {request.symbol}")
        bars, session, ladder, source, now = self._load(request, token)
        token.raise_if_cancelled()
        progress(1, 4, f"analysing the {ladder.name} ladder")
        full, focal = self._analyse(request.symbol, bars, ladder, request.params, session, now)
        token.raise_if_cancelled()
        progress(2, 4, "pooling the timeframes")
        pooled = self._confluence(request.symbol, focal)
        frames = _frames(full, focal, pooled)
        htf = tuple(_htf_levels(focal, tf) for tf in ladder.above_focal)
        flags = flags_at(full, len(full) - 1)
        rows = confluence_rows(pooled, ladder)
        progress(3, 4, "writing the summary")
        synthetic = request.demo
        text = summary_text(request.symbol, frames, ladder, flags, rows, source)
        text += focal_report(frames, source, synthetic)
        progress(4, 4, "done")
        return MTFData(symbol=request.symbol, ladder=ladder, mtf=full, frames=frames, htf=htf,
                       zones=pooled, confluence=rows, flags=flags, summary=text, source=source,
                       synthetic=synthetic)

    # ----------------------------------------------------------------------------- loading

    def _load(self, request: MTFRequest, cancel: CancelToken
              ) -> tuple[Bars, Session, Ladder, str, float | None]:
        if request.demo:
            return self._demo(request)
        symbol = request.symbol
        found: dict[str, Bars | None] = {}

        def stored(interval: str) -> Bars | None:
            if interval not in found:
                cancel.raise_if_cancelled()
                found[interval] = self._stored(symbol, interval)
            return found[interval]

        native = "1d"
        if request.ladder == AUTO:  # what is stored decides: daily first
            native = next((tf for tf in ("1d", *timeframes.INTRADAY_SECONDS) if stored(tf)), "")
            if not native:
                raise DataError(f"no data for {symbol}", user_message=f"no data for {symbol}")
        ladder = resolve_ladder(request, native)
        for interval in input_candidates(ladder.base):
            bars = stored(interval)
            if bars is not None:
                return (_named(bars, interval), self._session(symbol), ladder, "local store",
                        self._clock())
        need = tf_label(ladder.base)
        raise DataError(f"{symbol}: nothing stored to build {need} from",
                        user_message=f"{symbol}: the {ladder.name} ladder needs {need} bars or "
                                     f"finer ({', '.join(input_candidates(ladder.base))}); "
                                     f"none are stored")

    def _demo(self, request: MTFRequest) -> tuple[Bars, Session, Ladder, str, float | None]:
        code = request.symbol
        try:
            info = demo.demo_symbol(code)
            bars = self._demo_bars(code)
        except KeyError as exc:  # demo_symbol names the code and the valid ones
            message = str(exc.args[0]) if exc.args else str(exc)
            raise AppError(str(exc), user_message=message) from None
        ladder = resolve_ladder(request, info.timeframe)
        if info.timeframe == "1d" and ladder.base not in ("1d", "1w", "1mo", "1q", "1y"):
            raise DataError(f"{code}: daily demo bars cannot build {ladder.base}",
                            user_message=f"{code} has daily bars only: the {ladder.name} ladder "
                                         f"needs {tf_label(ladder.base)} bars")
        cal = info.calendar
        session = Session(cal.timezone, cal.session_open, cal.session_close, name="DEMO")
        return _named(bars, info.timeframe), session, ladder, demo.DEMO_LABEL, None

    def _stored(self, symbol: str, interval: str) -> Bars | None:
        try:
            return self._market_data().load(symbol, timeframes.store_name(interval))
        except DataError:  # nothing stored at this interval
            return None

    def _session(self, symbol: str) -> Session:
        try:
            return self._sessions(symbol)
        except (ValueError, AppError):  # an unknown time zone, an unreadable store
            return UTC_SESSION

    # --------------------------------------------------------------------------- analysing

    @staticmethod
    def _analyse(symbol: str, bars: Bars, ladder: Ladder, params: DGParams, session: Session,
                 now: float | None) -> tuple[MTFResult, MTFResult]:
        """The whole ladder on the base bars, and (when the focal timeframe is not the lowest)
        the ladder from the focal up, whose overlays lie on the focal bars."""
        try:
            full = analyze_ladder(bars, ladder, params=params, session=session, now=now)
            if ladder.focal == ladder.base:
                return full, full
            upper = Ladder(ladder.timeframes[ladder.focal_index:], ladder.focal, ladder.name)
            return full, analyze_ladder(bars, upper, params=params, session=session, now=now)
        except ValueError as exc:  # a timeframe the input cannot build, or bad parameters
            raise DataError(f"{symbol}: {exc}", user_message=f"{symbol}: {exc}") from None

    @staticmethod
    def _confluence(symbol: str, focal: MTFResult) -> tuple[Zone, ...]:
        if len(focal) == 0:
            raise DataError(f"{symbol}: no complete {focal.ladder.base} bars",
                            user_message=f"{symbol}: no complete {tf_label(focal.ladder.base)} "
                                         f"bars to analyse")
        try:
            return confluence(focal)
        except ValueError as exc:  # the focal AR3 is not defined yet: too few focal bars
            raise DataError(f"{symbol}: {exc}", user_message=(
                f"{symbol}: too few {tf_label(focal.ladder.focal)} bars for the "
                f"{focal.ladder.name} ladder ({len(focal)})")) from None


def _frames(full: MTFResult, focal: MTFResult, pooled: tuple[Zone, ...]) -> tuple[Frame, ...]:
    ld = full.ladder
    out = []
    for k, tf in enumerate(ld.timeframes):
        role = ROLES[1 + (k > ld.focal_index) - (k < ld.focal_index)]
        result = focal.base if tf == ld.focal else full.result(tf)
        own = pooled if tf == ld.focal else _own_zones(result)
        out.append(Frame(tf=tf, label=tf_label(tf), role=role, bars=result.bars, result=result,
                         zones=own, base_index=full.period(tf)))
    return tuple(out)


def _own_zones(result: DGResult) -> tuple[Zone, ...]:
    try:
        return tuple(zones(result)) if len(result) else ()
    except ValueError:  # too few bars for a tolerance: the pane shows no zones
        return ()


def _htf_levels(focal: MTFResult, tf: str) -> HTFLevels:
    ov = focal.overlays[tf]
    return HTFLevels(tf=tf, label=tf_label(tf), period=ov.period, pldot=ov.pldot,
                     etop=ov.etop, ebot=ov.ebot)


def _named(bars: Bars, interval: str) -> Bars:
    """``bars`` named ``interval`` (how ``engine.resample`` learns the input length)."""
    if bars.timeframe == interval:
        return bars
    return Bars(ts=bars.ts, open=bars.open, high=bars.high, low=bars.low, close=bars.close,
                volume=bars.volume, symbol=bars.symbol, timeframe=interval, _validated=True)
