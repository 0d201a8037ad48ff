"""``drummond indicators``: classic indicators and candlestick patterns of a CSV file's bars."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ind = sub.add_parser(
        "indicators", help="indicators and candlestick patterns of a CSV file, as CSV",
        description="Compute every indicator (or those named by --only) at its default "
                    "parameters and write ts plus one column per output, named "
                    "<function>_<params joined by _>[_<output>] with TA-Lib's names lower-cased "
                    "(sma_20, macd_12_26_9_macdsignal, bbands_20_2_upperband, obv, cdldoji). "
                    "NaN (the warm-up) is an empty cell.")
    ind.add_argument("--csv", type=Path, metavar="PATH",
                     help="bars: Date,Open,High,Low,Close[,Adj Close][,Volume] or "
                          "Date,Time,Open,High,Low,Close[,Volume][,OpenInterest]")
    ind.add_argument("--out", type=Path, metavar="OUT.csv")
    ind.add_argument("--only", metavar="NAME,...",
                     help="comma-separated indicator names, e.g. sma,rsi,bbands,cdlengulfing")
    ind.add_argument("--tz", default="UTC", metavar="ZONE",
                     help="time zone of the file's times (default UTC)")
    ind.add_argument("--list", action="store_true",
                     help="list the indicators with their parameters and columns, then exit")
    ind.set_defaults(run=cmd_indicators)


def cmd_indicators(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.indicator_export import (
        IndicatorExportRequest,
        export_indicators,
        parse_only,
    )

    if args.list:
        _list(out)
        return EXIT_OK
    if args.csv is None or args.out is None:
        print("drummond: indicators needs --csv PATH and --out OUT.csv (or --list)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    request = IndicatorExportRequest(args.csv, args.out, parse_only(args.only), args.tz)
    rep = export_indicators(request)
    out.write(f"Wrote {rep.rows} rows x {len(rep.columns)} indicator columns to {args.out}\n")
    return EXIT_OK


def _list(out: TextIO) -> None:
    from engine.indicators.catalog import catalog

    for spec in catalog().values():
        params = ", ".join(f"{p.name}={p.default}" for p in spec.params) or "-"
        out.write(f"{spec.name:<18} {spec.title:<40} {params}\n")
        out.write(f"{'':<18} columns: {' '.join(spec.columns())}\n")
