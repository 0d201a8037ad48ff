"""The three-timeframe workspace's words: the confluence rows, the coordination flags of a bar
and the text summary (``services.mtf_data`` builds them; the next-bar panel shows them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from drummond_desktop.services import timeframes
from drummond_desktop.services.analysis import AnalysisReport
from drummond_desktop.services.report import format_text, price_decimals
from engine.drummond import DGResult, State, Zone, next_bar_map
from engine.mtf import Ladder, MTFResult

if TYPE_CHECKING:
    from drummond_desktop.services.mtf_data import Frame


def tf_label(tf: str) -> str:
    """The app's name of an engine timeframe (``1mo`` -> ``1M``)."""
    return timeframes.canonical(tf)


@dataclass(frozen=True)
class ConfluenceRow:
    """A pooled zone as the confluence list shows it: ``timeframes`` it holds levels of (app
    names, focal first) and ``sources`` as ``tf:source`` (e.g. ``1w:PL``)."""

    lo: float
    hi: float
    kind: str
    strength: int
    tf_count: int
    weight: float
    nearby: bool
    timeframes: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Flags:
    """The coordination flags (spec §B9) at base bar ``bar``, and each timeframe's flow."""

    bar: int
    htf: str
    coordinated_up: bool
    coordinated_down: bool
    conflicting: bool
    htf_support_test: bool
    htf_resistance_test: bool
    flows: tuple[tuple[str, int], ...]

    def lines(self) -> list[str]:
        flow = {1: "up", -1: "down", 0: "congestion"}
        yes = {True: "yes", False: "no"}
        return [f"flow: {', '.join(f'{tf} {flow[v]}' for tf, v in self.flows)}",
                f"coordinated up: {yes[self.coordinated_up]}   coordinated down: "
                f"{yes[self.coordinated_down]}   conflicting: {yes[self.conflicting]}",
                f"{self.htf} support test: {yes[self.htf_support_test]}   {self.htf} "
                f"resistance test: {yes[self.htf_resistance_test]}"]


def flags_at(result: MTFResult, i: int) -> Flags:
    """The coordination flags of base bar ``i`` (known at its close)."""
    c = result.coordination
    return Flags(bar=i, htf=tf_label(c.htf), coordinated_up=bool(c.coordinated_up[i]),
                 coordinated_down=bool(c.coordinated_down[i]),
                 conflicting=bool(c.conflicting[i]),
                 htf_support_test=bool(c.htf_support_test[i]),
                 htf_resistance_test=bool(c.htf_resistance_test[i]),
                 flows=tuple((tf_label(tf), int(c.flow[k][i]))
                             for k, tf in enumerate(c.timeframes)))


def confluence_rows(pooled: tuple[Zone, ...], ladder: Ladder) -> tuple[ConfluenceRow, ...]:
    """The zones as rows, highest first; ``Level.tf`` counts steps above the focal."""
    names = [tf_label(tf) for tf in ladder.timeframes[ladder.focal_index:]]
    rows = []
    for z in reversed(pooled):
        steps = sorted({lv.tf for lv in z.sources})
        rows.append(ConfluenceRow(lo=z.lo, hi=z.hi, kind=z.kind, strength=z.strength,
                                  tf_count=z.tf_count, weight=z.weight, nearby=z.nearby,
                                  timeframes=tuple(names[s] for s in steps),
                                  sources=tuple(f"{names[lv.tf]}:{lv.source}"
                                                for lv in z.sources)))
    return tuple(rows)


def state_words(result: DGResult) -> str:
    """``TREND up``, ``CONG_ACTION``...: the state the last bar left."""
    if len(result) == 0:
        return "no bars"
    state = State(int(result.state[-1]))
    way = {1: " up", -1: " down"}.get(int(result.trend_dir[-1]), "")
    return f"{state.name}{way if state == State.TREND else ''}"


def price_text(row: ConfluenceRow, decimals: int) -> str:
    lo, hi = f"{row.lo:.{decimals}f}", f"{row.hi:.{decimals}f}"
    return lo if lo == hi else f"{lo} - {hi}"


def summary_text(symbol: str, frames: tuple[Frame, ...], ladder: Ladder, flags: Flags,
                 rows: tuple[ConfluenceRow, ...], source: str) -> str:
    """The workspace as text: ladder, each timeframe's state, the flags, the confluence."""
    focal = next(f for f in frames if f.role == "focal")
    d = price_decimals(float(focal.bars.close[-1]))
    names = " / ".join(f.label + (" (focal)" if f.role == "focal" else "") for f in frames)
    lines = [f"{symbol}  {ladder.name} ladder: {names}", f"source: {source}", "",
             "States (last complete bar):"]
    lines += [f"  {f.label:>4} {f.role:<6} {len(f.bars):>6} bars  {state_words(f.result)}"
              for f in frames]
    lines += ["", f"Coordination at the last {frames[0].label} bar:"]
    lines += [f"  {line}" for line in flags.lines()]
    lines += ["", f"Confluence for the next {focal.label} bar (highest first):"]
    lines += [f"  {price_text(r, d):>24}  {r.kind}  strength {r.strength}  weight "
              f"{r.weight:.2f}  {' '.join(r.timeframes)}" for r in rows] or ["  none"]
    return "\n".join(lines)


def focal_report(frames: tuple[Frame, ...], source: str, synthetic: bool) -> str:
    """The focal timeframe's own next-bar map (the single-chart panel's text), if any."""
    focal = next(f for f in frames if f.role == "focal")
    try:
        bar_map = next_bar_map(focal.result)
    except ValueError:  # too few focal bars for a map: the summary says enough
        return ""
    report = AnalysisReport(focal.bars, focal.result, bar_map, source, synthetic)
    return f"\n\n{focal.label} (focal) on its own:\n{format_text(report)}"
