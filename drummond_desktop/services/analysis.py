"""``AnalysisService``: bars in (a CSV file or a demo symbol), Drummond Geometry and the next-bar
map out, as one frozen ``AnalysisReport`` that every front end formats the same way.

The service holds its data sources as plain callables, so tests and the composition root can hand
it other readers without patching modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drummond_desktop.core.errors import AppError, BadFile, DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.feeds import demo
from drummond_desktop.feeds.csv_bars import read_csv_bars
from engine.bars import Bars
from engine.drummond import DGParams, DGResult, NextBarMap, analyze, next_bar_map

ReadBars = Callable[..., Bars]  # read_csv_bars(path, *, symbol=..., tz=...)
DemoBars = Callable[[str], Bars]

_STEPS = 3  # load, analyse, map


@dataclass(frozen=True)
class AnalyzeFileRequest:
    """Analyse a CSV file. An empty ``symbol`` names the bars after the file."""

    path: Path
    symbol: str = ""
    tz: str = "UTC"
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True)
class AnalyzeDemoRequest:
    """Analyse one symbol of the synthetic demo universe."""

    code: str
    params: DGParams = field(default_factory=DGParams)


@dataclass(frozen=True, eq=False)
class AnalysisReport:
    """What a front end shows: the bars, every DG series, the map for the next bar, and where
    the bars came from (a file path, or the demo label when ``synthetic``)."""

    bars: Bars
    result: DGResult
    map: NextBarMap
    source: str
    synthetic: bool = False

    @property
    def symbol(self) -> str:
        return self.bars.symbol


class AnalysisService:
    """Runs the engine on bars from a file or from the demo universe."""

    def __init__(self, read_bars: ReadBars = read_csv_bars,
                 demo_bars: DemoBars = demo.demo_bars) -> None:
        self._read_bars = read_bars
        self._demo_bars = demo_bars

    def analyze_file(self, request: AnalyzeFileRequest, cancel: CancelToken | None = None,
                     progress: Progress = no_progress) -> AnalysisReport:
        """Read, validate and analyse ``request.path``; ``BadFile`` names any bad line."""
        token = cancel if cancel is not None else CancelToken()
        progress(0, _STEPS, f"reading {request.path}")
        symbol = request.symbol or Path(request.path).stem
        bars = self._read_bars(request.path, symbol=symbol, tz=request.tz)
        token.raise_if_cancelled()
        if len(bars) < request.params.win:
            raise BadFile(request.path, 0, f"too few bars for a next-bar map: {len(bars)}, "
                          f"needs at least {request.params.win}")
        return self._analyze(bars, str(request.path), False, request.params, token, progress)

    def analyze_demo(self, request: AnalyzeDemoRequest | str, cancel: CancelToken | None = None,
                     progress: Progress = no_progress) -> AnalysisReport:
        """Analyse a demo symbol (a code or an ``AnalyzeDemoRequest``)."""
        req = AnalyzeDemoRequest(request) if isinstance(request, str) else request
        token = cancel if cancel is not None else CancelToken()
        progress(0, _STEPS, f"generating {req.code}")
        try:
            bars = self._demo_bars(req.code)
        except KeyError as exc:  # demo_symbol names the code and the valid ones
            raise AppError(str(exc), user_message=str(exc.args[0]) if exc.args else str(exc)
                           ) from None
        token.raise_if_cancelled()
        return self._analyze(bars, demo.DEMO_LABEL, True, req.params, token, progress)

    def analyze_bars(self, bars: Bars, source: str, params: DGParams | None = None,
                     cancel: CancelToken | None = None,
                     progress: Progress = no_progress) -> AnalysisReport:
        """Analyse bars from anywhere (the store, a feed); ``source`` says where they came from."""
        token = cancel if cancel is not None else CancelToken()
        return self._analyze(bars, source, False, params or DGParams(), token, progress)

    def analyze_demo_universe(self, params: DGParams | None = None,
                              cancel: CancelToken | None = None,
                              progress: Progress = no_progress) -> tuple[AnalysisReport, ...]:
        """Every daily demo symbol, in the universe's order."""
        token = cancel if cancel is not None else CancelToken()
        codes = demo.daily_codes()
        reports = []
        for i, code in enumerate(codes):
            progress(i, len(codes), f"analysing {code}")
            reports.append(self.analyze_demo(AnalyzeDemoRequest(code, params or DGParams()),
                                             token))
        progress(len(codes), len(codes), "done")
        return tuple(reports)

    @staticmethod
    def _analyze(bars: Bars, source: str, synthetic: bool, params: DGParams,
                 cancel: CancelToken, progress: Progress) -> AnalysisReport:
        progress(1, _STEPS, f"analysing {len(bars)} bars")
        result = analyze(bars, params)
        cancel.raise_if_cancelled()
        progress(2, _STEPS, "mapping the next bar")
        try:
            bar_map = next_bar_map(result)
        except ValueError as exc:  # too few bars, or a variant without a projection
            raise DataError(str(exc), user_message=f"{source}: no next-bar map: {exc}") from None
        progress(_STEPS, _STEPS, "done")
        return AnalysisReport(bars=bars, result=result, map=bar_map, source=source,
                              synthetic=synthetic)
