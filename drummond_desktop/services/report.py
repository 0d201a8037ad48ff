"""Front-end neutral renderings of an ``AnalysisReport``: the trader's next-bar report as text,
the same content as JSON-ready data, and the per-bar result table as CSV.

Every Drummond value shown here comes from ``engine.drummond.next_bar_map`` or the ``DGResult``
arrays; nothing is recomputed, so the CLI, the GUI and an export can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drummond_desktop.services.analysis import AnalysisReport
from drummond_desktop.services.csv_out import atomic_text, cells, is_intraday, rows_text, ts_text
from engine.bars import Bars
from engine.drummond import PER_BAR_FIELDS, REPORT_FIELDS, DGResult, State, Zone

_DAY = 86_400
_STATE_WORDS = {
    State.UNDEF: "undefined: too few bars", State.TREND: "",
    State.CONG_ENTRANCE: "congestion entrance", State.CONG_ACTION: "congestion action",
    State.CONG_EXIT: "congestion exit", State.TREND_REVERSAL: "trend reversal",
}
_DIRECTION = {1: "up", -1: "down", 0: "none"}
_SHAPE = {1: "rising", -1: "falling", 0: "flat"}
_KIND = {"R": "resistance", "S": "support", "P": "at price"}
_CSV_CHUNK = 65_536  # rows formatted at a time: bounds the memory of the string columns


# ---------------------------------------------------------------------------------- helpers


def price_decimals(reference: float) -> int:
    """Decimals for prices near ``reference``: more for small prices, fewer for large ones."""
    size = abs(reference) if math.isfinite(reference) else 1.0
    if size < 1:
        return 6
    if size < 1_000:
        return 4
    return 2 if size < 100_000 else 0


def _is_intraday(bars: Bars) -> bool:
    return is_intraday(bars.ts)


def _when(ts: int, intraday: bool) -> str:
    moment = datetime.fromtimestamp(int(ts), UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if intraday else moment.strftime("%Y-%m-%d")


def _num(value: float) -> float | None:
    """JSON has no NaN: a missing value is null."""
    return float(value) if math.isfinite(value) else None


# -------------------------------------------------------------------------------- text report


def format_text(report: AnalysisReport) -> str:
    """The next-bar report a trader reads before the bar opens."""
    bars, m = report.bars, report.map
    fmt = _PriceFormat(price_decimals(float(bars.close[-1])))
    out = _header(report, fmt)
    out += ["", "State after the last bar",
            f"  {_state_words(m.state)}   trend: {_DIRECTION[m.trend_dir]}"
            f"   prior trend: {_DIRECTION[m.prior_dir]}   run: {_run_words(report)}"]
    out += ["", "Projection for the next bar",
            f"  PLdot       {fmt(m.pldot)}   slope {fmt(m.slope, sign=True)}"
            f" ({_SHAPE[m.dot_shape]})",
            f"  Envelope    top {fmt(m.etop)}   bottom {fmt(m.ebot)}   AR3 {fmt(m.ar3)}",
            f"  Last close  {fmt(m.last_close)}   {_position_words(m.position)}",
            f"  1-1         dot {fmt(m.one_one_dot)}   high {fmt(m.one_one_high)}"
            f"   low {fmt(m.one_one_low)}"]
    out += ["", "Line terminations (R above the last close, S below, P at it)"]
    out += [f"  {t.line:<3} {fmt(t.price):>12}  {t.role}" for t in m.terminations] or ["  none"]
    out += ["", *_zone_lines(report, fmt)]
    out += ["", *_congestion_lines(report, fmt)]
    return "\n".join(out) + "\n"


class _PriceFormat:
    def __init__(self, decimals: int) -> None:
        self.decimals = decimals

    def __call__(self, value: float, sign: bool = False) -> str:
        if not math.isfinite(value):
            return "-"
        return f"{value:+.{self.decimals}f}" if sign else f"{value:.{self.decimals}f}"


def _header(report: AnalysisReport, fmt: _PriceFormat) -> list[str]:
    bars = report.bars
    intraday = _is_intraday(bars)
    source = f"*** {report.source} ***" if report.synthetic else report.source
    o, h, lo, c = (float(a[-1]) for a in (bars.open, bars.high, bars.low, bars.close))
    return [
        f"Drummond Geometry next-bar report: {bars.symbol or '(no symbol)'}",
        f"  Source      {source}",
        f"  Bars        {len(bars)} x {bars.timeframe or '?'}, "
        f"{_when(bars.ts[0], intraday)} .. {_when(bars.ts[-1], intraday)}",
        f"  Last bar    {_when(bars.ts[-1], intraday)}   O {fmt(o)}   H {fmt(h)}   L {fmt(lo)}"
        f"   C {fmt(c)}",
    ]


def _state_words(state: State) -> str:
    words = _STATE_WORDS[state]
    return f"{state.name} ({words})" if words else state.name


def _run_side(report: AnalysisReport) -> int:
    return int(report.result.run_side[report.map.t - 1])


def _run_words(report: AnalysisReport) -> str:
    n = report.map.run_len
    side = {1: " above the dot", -1: " below the dot"}.get(_run_side(report), "")
    return f"{n} close{'' if n == 1 else 's'}{side}"


def _position_words(position: str) -> str:
    return {"above": "above the envelope", "below": "below the envelope",
            "inside": "inside the envelope"}.get(position, position)


def _ordered_zones(zones: Iterable[Zone], close: float) -> list[Zone]:
    """Price-inside zones, then resistance nearest first, then support nearest first."""
    zs = list(zones)
    inside = [z for z in zs if z.kind == "P"]
    above = sorted((z for z in zs if z.kind == "R"), key=lambda z: z.lo - close)
    below = sorted((z for z in zs if z.kind == "S"), key=lambda z: close - z.hi)
    return inside + above + below


def _zone_lines(report: AnalysisReport, fmt: _PriceFormat) -> list[str]:
    m = report.map
    out = ["Zones for the next bar (nearest first on each side)",
           f"  {'side':<11} {'area':<8} {'low':>12} {'high':>12}  str  sources"]
    for z in _ordered_zones(m.zones, m.last_close):
        sources = ", ".join(lv.source for lv in z.sources)
        out.append(f"  {_KIND[z.kind]:<11} {z.area:<8} {fmt(z.lo):>12} {fmt(z.hi):>12}"
                   f"  {z.strength:>3}  {sources}")
    if not m.zones:
        out.append("  none")
    out.append(f"  Air above: {'yes' if m.air_above else 'no'}"
               f"   Air below: {'yes' if m.air_below else 'no'}")
    return out


def _congestion_lines(report: AnalysisReport, fmt: _PriceFormat) -> list[str]:
    cong = report.map.congestion
    if cong is None:
        return ["Last congestion: none yet (no trend has been followed by congestion)"]
    intraday = _is_intraday(report.bars)
    ts = report.bars.ts
    entered = _when(ts[cong.entrance_index], intraday)
    status = (f"active, entered {entered}" if cong.active else
              f"ended, last congestion bar {_when(ts[cong.index], intraday)}, "
              f"entered {entered}")
    return [f"Last congestion: {status} (prior trend {_DIRECTION[cong.prior_dir]})",
            f"  Dotted line {fmt(cong.dotted)}   block level {fmt(cong.block)}",
            f"  Confines    {fmt(cong.conf_lo)} - {fmt(cong.conf_hi)}"
            f"   expanded: {'yes' if cong.expanded else 'no'}"]


# ------------------------------------------------------------------------------------- JSON


def to_json(report: AnalysisReport) -> dict[str, Any]:
    """The report's content as JSON-ready data (NaN becomes null)."""
    bars, m = report.bars, report.map
    intraday = _is_intraday(bars)
    cong = m.congestion
    return {
        "symbol": bars.symbol, "source": report.source, "synthetic": report.synthetic,
        "timeframe": bars.timeframe, "bars": len(bars),
        "first": _when(bars.ts[0], intraday), "last": _when(bars.ts[-1], intraday),
        "last_bar": {"ts": _when(bars.ts[-1], intraday),
                     **{k: _num(float(getattr(bars, k)[-1]))
                        for k in ("open", "high", "low", "close", "volume")}},
        "state": {"name": m.state.name, "code": int(m.state), "trend_dir": m.trend_dir,
                  "prior_dir": m.prior_dir, "run_len": m.run_len,
                  "run_side": _run_side(report)},
        "next_bar": {"t": m.t, "pldot": _num(m.pldot), "slope": _num(m.slope),
                     "dot_shape": _SHAPE[m.dot_shape], "etop": _num(m.etop),
                     "ebot": _num(m.ebot), "ar3": _num(m.ar3),
                     "one_one_dot": _num(m.one_one_dot), "one_one_high": _num(m.one_one_high),
                     "one_one_low": _num(m.one_one_low), "last_close": _num(m.last_close),
                     "position": m.position},
        "terminations": [{"line": t.line, "price": _num(t.price), "role": t.role}
                         for t in m.terminations],
        "zones": [_zone_json(z) for z in _ordered_zones(m.zones, m.last_close)],
        "air": {"above": m.air_above, "below": m.air_below},
        "congestion": None if cong is None else {
            "active": cong.active, "since": _when(bars.ts[cong.entrance_index], intraday),
            "last": _when(bars.ts[cong.index], intraday), "prior_dir": cong.prior_dir,
            "dotted": _num(cong.dotted), "block": _num(cong.block),
            "conf_lo": _num(cong.conf_lo), "conf_hi": _num(cong.conf_hi),
            "expanded": cong.expanded},
        "params": report.result.params.to_dict(),
    }


def _zone_json(z: Zone) -> dict[str, Any]:
    return {"kind": z.kind, "area": z.area, "lo": _num(z.lo), "hi": _num(z.hi),
            "mid": _num(z.mid), "strength": z.strength, "tf_count": z.tf_count,
            "weight": _num(z.weight),
            "sources": [{"source": lv.source, "price": _num(lv.price), "tf": lv.tf}
                        for lv in z.sources]}


# --------------------------------------------------------------------------- universe table


def universe_rows(reports: Iterable[AnalysisReport]) -> list[dict[str, Any]]:
    """One summary row per report: code, last close, state, projected PLdot, envelope position."""
    return [{"code": r.symbol, "last_close": _num(r.map.last_close), "state": r.map.state.name,
             "trend_dir": r.map.trend_dir, "pldot": _num(r.map.pldot),
             "position": r.map.position} for r in reports]


def format_universe(reports: Iterable[AnalysisReport], title: str) -> str:
    """A compact table of many symbols, under ``title`` (e.g. the synthetic-data label)."""
    lines = [title, f"  {'code':<12} {'last close':>12}  {'state':<18} {'PLdot':>12}  "
                    "close vs envelope"]
    for r in reports:
        m = r.map
        fmt = _PriceFormat(price_decimals(m.last_close))
        state = m.state.name + (f" {_DIRECTION[m.trend_dir]}" if m.trend_dir else "")
        lines.append(f"  {r.symbol:<12} {fmt(m.last_close):>12}  {state:<18} "
                     f"{fmt(m.pldot):>12}  {m.position}")
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------- CSV


def csv_header() -> list[str]:
    return ["ts", "open", "high", "low", "close", *REPORT_FIELDS]


def write_result_csv(result: DGResult, path: str | Path) -> None:
    """One row per bar plus a final row (empty ts) carrying the projections for the next bar.

    Written atomically (``csv_out.atomic_text``): a failure never leaves a half-written file.
    Booleans are 0/1, NaN is an empty cell, floats round-trip exactly.
    """
    with atomic_text(path) as fh:
        fh.write(",".join(csv_header()) + "\n")
        for start in range(0, len(result), _CSV_CHUNK):
            fh.write(_csv_rows(result, start, min(start + _CSV_CHUNK, len(result))))
        fh.write(_projection_row(result))


def _csv_rows(result: DGResult, start: int, stop: int) -> str:
    bars = result.bars
    cols: list[Any] = [ts_text(bars.ts[start:stop], _is_intraday(bars))]
    cols += [cells(getattr(bars, k)[start:stop]) for k in ("open", "high", "low", "close")]
    cols += [cells(getattr(result, k)[start:stop]) for k in REPORT_FIELDS]
    return rows_text(cols)


def _projection_row(result: DGResult) -> str:
    n = len(result)
    row = ["", "", "", "", ""]
    row += ["" if k in PER_BAR_FIELDS else str(cells(getattr(result, k)[n:n + 1])[0])
            for k in REPORT_FIELDS]
    return ",".join(row) + "\n"
