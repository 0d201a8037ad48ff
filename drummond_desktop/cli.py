"""``drummond``: the headless front end. The same services as the desktop app, from a terminal.

    drummond analyze --csv FILE [--symbol NAME] [--tz ZONE] [--out OUT.csv] [--json]
    drummond analyze SYMBOL [--interval 1d] [--out OUT.csv] [--json]     (bars from the store)
    drummond demo [--symbol CODE] [--json]
    drummond sync SYMBOL... [--interval 1d|1h|5m|1m] [--from DATE] [--to DATE]
    drummond import PATH --symbol SYM [--interval 1d] [--tz ZONE]
    drummond export bars SYM [--interval 1d] [--adjust none|splits|all] --out FILE.csv
    drummond data coverage | drummond data quota [--online]
    drummond key set [--stdin] | drummond key clear | drummond key status
    drummond self-test [--db-url URL]       (the same checks as ``drummond-desktop --self-test``)
    drummond --version

Market-data commands take ``--db-url URL`` (PostgreSQL); otherwise ``DRUMMOND_MARKET_DB_URL``,
then the settings file, then the embedded SQLite store in the user data directory.

Exit codes: 0 success; 2 bad input or usage (one line on stderr naming the file, line and rule);
1 a failed sync symbol (one stderr line each) or an unexpected error (a short message; the
traceback only with ``--debug``); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from drummond_desktop import (
    __version__,
    cli_alerts,
    cli_indicators,
    cli_keys,
    cli_market,
    cli_scan,
)
from drummond_desktop.bootstrap import AppContext, run_self_test
from drummond_desktop.core.errors import AppError
from drummond_desktop.feeds import demo
from drummond_desktop.services.analysis import (
    AnalysisReport,
    AnalysisService,
    AnalyzeDemoRequest,
    AnalyzeFileRequest,
)
from drummond_desktop.services.report import (
    format_text,
    format_universe,
    to_json,
    universe_rows,
    write_result_csv,
)

PROG = "drummond"
EXIT_OK, EXIT_UNEXPECTED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

Command = Callable[[argparse.Namespace, AppContext, TextIO], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Drummond Geometry analysis from the command line.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an unexpected error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db-url", metavar="URL",
                    help="market store URL, e.g. postgresql+psycopg://user@host/db "
                         "(default: the embedded SQLite file)")
    analyze = sub.add_parser("analyze", parents=[db],
                             help="next-bar report for a CSV file or a stored symbol",
                             description="Print the Drummond Geometry map for the next bar, "
                                         "from a CSV file (--csv) or from the store (SYMBOL).")
    analyze.add_argument("symbol_or_none", nargs="?", metavar="SYMBOL",
                         help="a stored symbol, e.g. AAPL.US (instead of --csv)")
    analyze.add_argument("--interval", default="1d", help="with SYMBOL: the stored timeframe")
    analyze.add_argument("--csv", type=Path, metavar="PATH",
                         help="bars: Date,Open,High,Low,Close[,Adj Close][,Volume] or "
                              "Date,Time,Open,High,Low,Close[,Volume][,OpenInterest]")
    analyze.add_argument("--symbol", default="", help="name for the bars (default: file name)")
    analyze.add_argument("--tz", default="UTC", metavar="ZONE",
                         help="time zone of the file's times, e.g. America/New_York "
                              "(default UTC; dates without a time are never shifted)")
    analyze.add_argument("--out", type=Path, metavar="OUT.csv",
                         help="also write every DG value per bar, plus the projections, as CSV")
    analyze.add_argument("--json", action="store_true", help="print JSON instead of text")
    analyze.set_defaults(run=_cmd_analyze)

    demo_cmd = sub.add_parser("demo", help="report on the synthetic demo universe",
                              description="Next-bar report on a synthetic demo symbol and a "
                                          "summary of the daily demo universe. The data are "
                                          "generated, not market prices.")
    demo_cmd.add_argument("--symbol", metavar="CODE",
                          help="demo symbol (default: the first daily code)")
    demo_cmd.add_argument("--json", action="store_true", help="print JSON instead of text")
    demo_cmd.set_defaults(run=_cmd_demo)
    cli_market.add_commands(sub, db)
    cli_scan.add_parser(sub, db)
    cli_keys.add_commands(sub)
    cli_indicators.add_commands(sub)
    cli_alerts.add_commands(sub, db)
    self_test = sub.add_parser(
        "self-test", parents=[db], help="check this installation, one line per check",
        description="Resources, engine kernels against the golden vectors, both databases, an "
                    "offscreen chart and the keyring: one PASS/FAIL line each; exit 0 only when "
                    "every check passed (the same as `drummond-desktop --self-test`).")
    self_test.set_defaults(run=_cmd_self_test)
    return parser


def main(argv: Sequence[str] | None = None, *, context: AppContext | None = None,
         service: AnalysisService | None = None, stdout: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code. ``context`` (services built on first use) and
    ``service`` (the analysis service) let the composition root or a test supply them."""
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Command | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    out = stdout if stdout is not None else sys.stdout
    ctx = context if context is not None else AppContext(db_url=getattr(args, "db_url", None))
    if service is not None:
        ctx._cache["analysis"] = service
    try:
        return run(args, ctx, out)
    except AppError as exc:
        _error(exc.user_message)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `drummond ... | head`: the reader left; not our failure
        _silence(out)
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the top of the front end: report, never crash
        if args.debug:
            traceback.print_exc()
        _error(f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the "
               "traceback)")
        return EXIT_UNEXPECTED
    finally:
        if context is None:
            ctx.close()


def _silence(out: TextIO) -> None:
    """Point a closed pipe at devnull so the interpreter's final flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    except (OSError, ValueError):  # not a real file (a test's StringIO): nothing to flush
        pass


def _error(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def _emit(text: str, out: TextIO) -> None:
    """Write ``text``; a console that cannot show a character gets a replacement instead."""
    try:
        out.write(text)
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "ascii"
        out.write(text.encode(encoding, "replace").decode(encoding))
    out.flush()


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def _cmd_analyze(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    if (args.csv is None) == (args.symbol_or_none is None):
        _error("analyze needs either a stored SYMBOL or --csv PATH (not both)")
        return EXIT_BAD_INPUT
    if args.csv is not None:
        request = AnalyzeFileRequest(path=args.csv, symbol=args.symbol, tz=args.tz)
        report = ctx.analysis().analyze_file(request)
    else:
        bars = ctx.market_data().load(args.symbol_or_none, args.interval)
        report = ctx.analysis().analyze_bars(bars, f"store: {args.symbol_or_none} "
                                                   f"{args.interval}")
    if args.out is not None:
        write_result_csv(report.result, args.out)
    _emit(_dump(to_json(report)) if args.json else format_text(report), out)
    if args.out is not None and not args.json:
        _emit(f"\nWrote {len(report.bars) + 1} rows to {args.out}\n", out)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    _emit(demo_text(ctx.analysis(), args.symbol, as_json=args.json), out)
    return EXIT_OK


def _cmd_self_test(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    return run_self_test(ctx, out)


def demo_text(service: AnalysisService, code: str | None = None, *, as_json: bool = False
              ) -> str:
    """The demo report on ``code`` (default: the first daily code) and the universe table."""
    universe = service.analyze_demo_universe()
    chosen = code or demo.daily_codes()[0]
    report = next((r for r in universe if r.symbol == chosen), None)
    if report is None:  # an intraday code, or one outside the universe (an error names it)
        report = service.analyze_demo(AnalyzeDemoRequest(chosen))
    if as_json:
        return _dump({**to_json(report), "label": demo.DEMO_LABEL,
                      "universe": universe_rows(universe)})
    return _demo_plain(report, universe)


def _demo_plain(report: AnalysisReport, universe: Sequence[AnalysisReport]) -> str:
    banner = f"*** {demo.DEMO_LABEL} ***"
    table = format_universe(universe, f"Daily demo universe ({demo.DEMO_LABEL})")
    return f"{banner}\n\n{format_text(report)}\n{table}\n{banner}\n"
