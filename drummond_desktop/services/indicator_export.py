"""``drummond indicators``: every catalog indicator (or the chosen ones) at its default
parameters for the bars of a CSV file, written as one CSV: ``ts`` and one column per output
(``engine.indicators.catalog`` names them), NaN as an empty cell, patterns as TA-Lib's
-100/0/100. Written atomically: a failure leaves no partial file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drummond_desktop.core.errors import DataError
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.feeds.csv_bars import read_csv_bars
from drummond_desktop.services.csv_out import atomic_text, cells, is_intraday, rows_text, ts_text
from engine.bars import Bars

ReadBars = Callable[..., Bars]  # read_csv_bars(path, *, symbol=..., tz=...)
_CHUNK = 65_536


@dataclass(frozen=True)
class IndicatorExportRequest:
    path: Path
    out: Path
    only: tuple[str, ...] = ()  # catalog names; empty = all
    tz: str = "UTC"


@dataclass(frozen=True)
class IndicatorExportReport:
    rows: int
    columns: tuple[str, ...]


def parse_only(text: str | None) -> tuple[str, ...]:
    """``"sma,RSI, bbands"`` -> ``("sma", "rsi", "bbands")``; unknown names raise a
    ``DataError`` naming them and the known ones."""
    from engine.indicators.catalog import catalog

    if not text:
        return ()
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    known = catalog()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        listed = ", ".join(known)
        raise DataError(f"--only: unknown indicator {', '.join(unknown) or '(none given)'}",
                        user_message=f"--only: unknown indicator "
                                     f"{', '.join(unknown) or '(none given)'} (known: {listed})")
    return names


def export_indicators(request: IndicatorExportRequest, cancel: CancelToken | None = None,
                      progress: Progress = no_progress, read_bars: ReadBars = read_csv_bars
                      ) -> IndicatorExportReport:
    """Read the bars (``BadFile`` names a bad line), compute, write ``request.out``."""
    from engine.indicators.catalog import catalog, get

    token = cancel if cancel is not None else CancelToken()
    bars = read_bars(request.path, symbol=request.path.stem, tz=request.tz)
    specs = [get(n) for n in request.only] if request.only else list(catalog().values())
    cols = {k: getattr(bars, k) for k in ("ts", "open", "high", "low", "close", "volume")}
    columns: dict[str, object] = {}
    for i, spec in enumerate(specs):
        token.raise_if_cancelled()
        progress(i, len(specs) + 1, f"computing {spec.name}")
        columns.update(spec.compute(cols))
    progress(len(specs), len(specs) + 1, f"writing {request.out}")
    _write(request.out, bars, columns)
    return IndicatorExportReport(len(bars), tuple(columns))


def _write(out: Path, bars: Bars, columns: dict[str, object]) -> None:
    intraday = is_intraday(bars.ts)
    with atomic_text(out) as fh:
        fh.write(",".join(["ts", *columns]) + "\n")
        for i in range(0, len(bars), _CHUNK):
            part = slice(i, min(i + _CHUNK, len(bars)))
            text = [ts_text(bars.ts[part], intraday),
                    *(cells(values[part]) for values in columns.values())]  # type: ignore[index]
            fh.write(rows_text(text))
