"""The market-data commands of ``drummond``: sync, import, export, data coverage/quota.

Each handler takes the parsed arguments, the ``AppContext`` (services built on first use) and
the output stream, and returns the exit code. Failures that concern one symbol of a sync go to
stderr as ``drummond: sync SYMBOL: why``; nothing here prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from drummond_desktop.core.errors import AppError

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext
    from drummond_desktop.feeds.csv_import import ImportPreview

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
INTERVALS = ("1d", "1h", "5m", "1m")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                 db: argparse.ArgumentParser) -> None:
    """Register the market-data subcommands; ``db`` is the parent parser holding --db-url."""
    sync = sub.add_parser("sync", parents=[db], help="fetch bars from EODHD into the store")
    sync.add_argument("symbols", nargs="+", metavar="SYMBOL", help="e.g. AAPL.US")
    sync.add_argument("--interval", choices=INTERVALS, default="1d")
    sync.add_argument("--from", dest="start", type=iso_date, metavar="DATE")
    sync.add_argument("--to", dest="end", type=iso_date, metavar="DATE")
    sync.set_defaults(run=cmd_sync)

    imp = sub.add_parser("import", parents=[db], help="store the bars of a CSV file")
    imp.add_argument("path", type=Path)
    imp.add_argument("--symbol", required=True)
    imp.add_argument("--interval", default="1d")
    imp.add_argument("--tz", default="UTC", metavar="ZONE",
                     help="zone of times without a UTC offset (IANA name; default UTC)")
    imp.add_argument("--preview", action="store_true",
                     help="show how the file would be read (columns, first rows); store nothing")
    imp.add_argument("--map", metavar="FIELD=COL,...",
                     help="columns by number from 0 or by header name, overriding detection, "
                          "e.g. date=0,time=1,open=2,high=3,low=4,close=5,volume=6 "
                          "(volume=- for none)")
    imp.add_argument("--date-format", metavar="FORMAT",
                     help="YYYY-MM-DD, YYYYMMDD, YYYY.MM.DD, YYYY/MM/DD, MM/DD/YYYY, "
                          "DD/MM/YYYY or DD.MM.YYYY")
    imp.add_argument("--no-header", action="store_true", help="the first line is a data row")
    imp.set_defaults(run=cmd_import)

    export = sub.add_parser("export", help="write stored data to a file")
    what = export.add_subparsers(dest="what", metavar="WHAT", required=True)
    bars = what.add_parser("bars", parents=[db], help="bars as CSV: ts,open,high,low,close,volume",
                           description="Write stored bars as CSV. An interval that is not "
                           "stored (5m ... 4h, 1d, 1w, 1M) is built from the finest "
                           "stored one, in the exchange's session.")
    bars.add_argument("symbol")
    bars.add_argument("--interval", default="1d",
                      help="1m 5m 15m 30m 1h 4h 1d 1w 1M (default 1d)")
    bars.add_argument("--adjust", choices=("none", "splits", "all"), default="none")
    bars.add_argument("--from", dest="start", type=iso_date, metavar="DATE")
    bars.add_argument("--to", dest="end", type=iso_date, metavar="DATE")
    bars.add_argument("--out", type=Path, required=True, metavar="FILE.csv")
    bars.set_defaults(run=cmd_export_bars)

    data = sub.add_parser("data", help="what the store holds")
    which = data.add_subparsers(dest="what", metavar="WHAT", required=True)
    cov = which.add_parser("coverage", parents=[db], help="symbols x timeframes: range, gaps")
    cov.set_defaults(run=cmd_coverage)
    quota = which.add_parser("quota", parents=[db], help="EODHD calls used today (ledger)")
    quota.add_argument("--online", action="store_true",
                       help="also ask EODHD (one call) for the account's own counter")
    quota.set_defaults(run=cmd_quota)


def _err(message: str) -> None:
    print(f"drummond: {message}", file=sys.stderr)


def cmd_sync(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.market_sync import SyncRequest

    try:
        request = SyncRequest(tuple(args.symbols), args.interval, args.start, args.end)
    except ValueError as exc:
        _err(str(exc))
        return EXIT_BAD_INPUT
    report = ctx.market_sync().sync(request)
    for r in report.results:
        if not r.ok:
            _err(f"sync {r.symbol}: {r.error}")
        elif r.resumed:
            out.write(f"{r.symbol} {report.interval}: already synced by this job\n")
        else:
            note = " (full re-fetch after a new split or dividend)" if r.full_refetch else ""
            flags = f", {len(r.anomalies)} flagged" if r.anomalies else ""
            out.write(f"{r.symbol} {report.interval}: {r.received} bars received, "
                      f"{r.inserted} new, {r.updated} updated{flags}{note}\n")
    from drummond_desktop.cli_alerts import run_after_sync

    run_after_sync(report, ctx, out)  # the alert rules on what changed
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_import(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.market_data import ImportRequest, preview_import

    request = ImportRequest(args.path, args.symbol, args.interval, args.tz, args.map,
                            args.date_format, args.no_header)
    if args.preview:
        _write_preview(preview_import(request), args.symbol, out)
        return EXIT_OK
    rep = ctx.market_data().import_file(request)
    out.write(f"{rep.symbol} {rep.interval}: {rep.received} bars read, {rep.inserted} new, "
              f"{rep.updated} updated, {rep.unchanged} unchanged\n")
    return EXIT_OK


def _write_preview(p: ImportPreview, symbol: str, out: TextIO) -> None:
    m = p.mapping
    out.write(f"{p.path}: {p.format}, {p.total_rows} data rows\n")
    out.write(f"  columns:     --map {m.option()}\n")
    if p.names:
        out.write(f"  header:      {', '.join(n or '?' for n in p.names)}\n")
    out.write(f"  dates:       {m.date_format}; delimiter {m.delimiter!r}; decimal {m.decimal!r}; "
              f"header line {'yes' if m.has_header else 'no'}; time zone "
              f"{'offset in each row' if m.offsets else m.tz}\n")
    for w in p.warnings:
        out.write(f"  note:        {w}\n")
    out.write(f"  {'line':>6}  {'time (stored as UTC)':<23} {'open':>12} {'high':>12} {'low':>12} "
              f"{'close':>12} {'volume':>14}\n")
    for r in p.rows:
        out.write(f"  {r.line:>6}  {r.when:<23} {r.open:>12.10g} {r.high:>12.10g} "
                  f"{r.low:>12.10g} {r.close:>12.10g} {r.volume:>14.12g}\n")
    out.write(f"Preview only: nothing was stored for {symbol}.\n")


def cmd_export_bars(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.market_data import ExportRequest

    try:
        rep = ctx.market_data().export_bars(ExportRequest(args.symbol, args.out, args.interval,
                                                          args.adjust, args.start, args.end))
    except ValueError as exc:  # an interval that cannot be built from what is stored
        _err(f"export bars {args.symbol}: {exc}")
        return EXIT_BAD_INPUT
    how = {"none": "raw", "splits": "split-adjusted", "all": "split- and dividend-adjusted"}
    built = f" (built from {rep.built_from} bars)" if rep.built_from else ""
    out.write(f"Wrote {rep.rows} {how[args.adjust]} {args.interval} bars of {args.symbol}"
              f"{built} to {args.out}\n")
    if not rep.last_complete:
        out.write(f"note: the last {args.interval} bar is still forming\n")
    return EXIT_OK


def _when(ts: int, timeframe: str) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    daily = timeframe.endswith(("d", "w", "mo", "y"))
    return moment.strftime("%Y-%m-%d") if daily else moment.strftime("%Y-%m-%d %H:%M")


def cmd_coverage(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    rows = ctx.market_data().coverage()
    if not rows:
        out.write("The store holds no bars yet (drummond sync / drummond import).\n")
        return EXIT_OK
    flags = ctx.market_data().flag_counts()
    out.write(f"{'symbol':<16} {'tf':<4} {'first':<16} {'last':<16} {'bars':>9} {'gaps':>5} "
              f"{'flags':>6}\n")
    for c in rows:
        out.write(f"{c.symbol:<16} {c.timeframe:<4} {_when(c.first_ts, c.timeframe):<16} "
                  f"{_when(c.last_ts, c.timeframe):<16} {c.count:>9} {len(c.gaps):>5} "
                  f"{flags.get((c.symbol, c.timeframe), 0):>6}\n")
    return EXIT_OK


def cmd_quota(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    rep = ctx.market_data().quota(ctx.settings().eodhd_daily_budget)
    out.write(f"EODHD calls used today (UTC, local ledger): {rep.used_today} of "
              f"{rep.budget} budgeted; {rep.remaining} left\n")
    for d in rep.days:
        out.write(f"  {d.day}  {d.requests:>6} requests  {d.cost:>7} calls  "
                  f"{d.failed:>4} failed\n")
    if args.online:
        try:
            user = ctx.eodhd().user()
        except AppError as exc:
            _err(f"quota --online: {exc.user_message}")
            return EXIT_FAILED
        out.write(f"EODHD account: {user.api_requests} calls used today of "
                  f"{user.daily_rate_limit} (remaining {user.remaining_calls})\n")
    return EXIT_OK
