"""``drummond scan``: run a scanner expression over the stored universe or a watchlist.

    drummond scan --expr "weekly.trend_up and state == cong_exit" [--universe all|watchlist:NAME]
                  [--interval 1d] [--lookback K] [--json] [--db-url URL]
    drummond scan --saved NAME            (a saved scan)     drummond scan --list
    drummond scan --expr "..." --save NAME [--universe ...] [--interval ...]   (store it)

Exit codes: 0 with matches and 0 without (``no matches``); 2 for a bad expression (stderr names
the column and the token and points at it), universe, interval or unknown watchlist.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext
    from drummond_desktop.services.scanner import ScanResult, ScanService

EXIT_OK, EXIT_BAD_INPUT = 0, 2

GRAMMAR = """\
expressions:
  condition = or_expr ;  or_expr = and_expr { "or" and_expr } ;
  and_expr  = not_expr { "and" not_expr } ;  not_expr = "not" not_expr | relation ;
  relation  = sum [ ("<"|"<="|">"|">="|"=="|"!=") sum | "within" zone_term ] ;
  sum = product { ("+"|"-") product } ;  product = unary { ("*"|"/") unary } ;
  unary = "-" unary | atom ;  atom = NUMBER | "(" condition ")" | term ;
  term = [ ("daily"|"weekly"|"monthly") "." ] NAME [ "(" NUMBER { "," NUMBER } ")" ] ;

terms:
  bars        open high low close volume
  DG levels   pldot etop ebot ar3 one_one_dot one_one_high one_one_low slope dot_shape
              line_hh line_ll line_lh line_hl (the values plotted on the bar)
  DG states   state trend_dir prior_dir run_len side dotted block conf_hi conf_lo
              and the flags trend_up trend_down congestion; compare state with
              undef trend cong_entrance cong_action cong_exit reversal
  patterns    push_up push_down refresh_from_above refresh_from_below exhaust_up
              exhaust_down exhaust_up_confirmed exhaust_down_confirmed cwave_up cwave_down
              dot_crest dot_valley ...
  indicators  sma(20) ema(20) wma dema tema rsi(14) roc(10) atr(14) natr cci willr mfi obv
              macd macd_signal macd_hist bb_upper(20,2) bb_middle bb_lower stoch_k(14,3,3)
              stoch_d stochrsi_k stochrsi_d adx(14) plus_di minus_di (arguments optional);
              any other indicator of the catalog by name (multi-output: name_output)
  zones       support_zone resistance_zone zone, only after 'within'
  weekly. / monthly. / daily. read the last COMPLETED bar of that timeframe (its levels
  for the bar in progress); a forming bar is never used.
  Unknown values (warm-up, no completed bar) make a comparison unknown; a symbol matches only
  where its condition is true.

examples:
  drummond scan --expr "weekly.trend_up and daily.state == cong_exit and daily.trend_dir == 1
                        and close within weekly.support_zone"
  drummond scan --expr "rsi(14) < 30 and close > pldot" --universe watchlist:Tech
  drummond scan --expr "push_up or cwave_up" --lookback 3 --json
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               db: argparse.ArgumentParser | None = None) -> None:
    """Register ``scan``; ``db`` is the parent parser holding --db-url (added here if None)."""
    scan = sub.add_parser(
        "scan", parents=[db] if db is not None else [], help="scan the stored symbols",
        description="Evaluate a condition at the last bar(s) of every stored symbol (or a "
                    "watchlist) and list the symbols where it holds.",
        epilog=GRAMMAR, formatter_class=argparse.RawDescriptionHelpFormatter)
    if db is None:
        scan.add_argument("--db-url", metavar="URL", help="market store URL (PostgreSQL)")
    what = scan.add_mutually_exclusive_group(required=True)
    what.add_argument("--expr", metavar="EXPRESSION", help="the condition (see below)")
    what.add_argument("--saved", metavar="NAME", help="run the saved scan NAME")
    what.add_argument("--list", action="store_true", help="list the saved scans")
    scan.add_argument("--universe", default=None, metavar="all|watchlist:NAME",
                      help="the symbols to scan (default: all)")
    scan.add_argument("--interval", default=None, help="bar interval (default 1d)")
    scan.add_argument("--lookback", type=int, default=1, metavar="K",
                      help="match when the condition held at one of the last K bars")
    scan.add_argument("--save", metavar="NAME", help="store --expr as a saved scan, then run it")
    scan.add_argument("--json", action="store_true", help="print JSON instead of a table")
    scan.set_defaults(run=cmd_scan)


def _service(ctx: AppContext) -> ScanService:
    from drummond_desktop.services.scanner import ScanService

    return ScanService(ctx.market_store(), ctx.user_store())


def _bad(message: str, pointer: str = "") -> int:
    print(f"drummond: scan: {message}", file=sys.stderr)
    if pointer:
        print("  " + pointer.replace("\n", "\n  "), file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_scan(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.scanner import ScanRequest
    from drummond_desktop.store.scans import InvalidScan, ScanRepository
    from engine.scan import ScanSyntaxError

    try:
        if args.list:
            return _list(ScanRepository(ctx.user_store().engine, ctx.user_store().where), out)
        if args.saved:
            saved = _service(ctx).saved(args.saved)
            request = ScanRequest(saved.expr, args.universe or saved.universe,
                                  args.interval or saved.interval, args.lookback)
        else:
            request = ScanRequest(args.expr, args.universe or "all", args.interval or "1d",
                                  args.lookback)
            request.parsed()  # refuse a bad expression before opening the market store
            if args.save:
                ScanRepository(ctx.user_store().engine, ctx.user_store().where).create(
                    args.save, request.expr, request.universe, request.interval)
        result = _service(ctx).run(request)
    except InvalidScan as exc:
        cause = exc.__cause__
        if isinstance(cause, ScanSyntaxError):
            return _bad(f"bad expression: {cause}", cause.pointer())
        return _bad(exc.user_message)
    out.write(_json(result) if args.json else _table(result))
    return EXIT_OK


def _list(repo: Any, out: TextIO) -> int:
    scans = repo.all()
    if not scans:
        out.write("no saved scans\n")
    for s in scans:
        out.write(f"{s.name}\t{s.universe}\t{s.interval}\t{s.expr}\n")
    return EXIT_OK


def _date(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00")


def _cell(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, tuple):
        return f"{v[0]:.6g}..{v[1]:.6g}"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def _table(result: ScanResult) -> str:
    head = (f"{result.request.expr}\n{result.scanned} symbols ({result.request.universe}, "
            f"{result.request.interval}), {len(result.hits)} match(es)")
    if result.without_data:
        head += f"; {len(result.without_data)} without {result.request.interval} bars"
    if not result.hits:
        return head + "\nno matches\n"
    cols = ["symbol", "close", "state", "signal", *result.terms]
    rows = [[h.symbol, _cell(h.close), h.state.name.lower(),
             _date(h.ts) + (f" ({h.bars_ago} ago)" if h.bars_ago else ""),
             *(_cell(h.values.get(t)) for t in result.terms)] for h in result.hits]
    widths = [max(len(c), *(len(r[k]) for r in rows)) for k, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return head + "\n" + "\n".join(line.rstrip() for line in lines) + "\n"


def _jsonable(v: object) -> object:
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _json(result: ScanResult) -> str:
    r = result.request
    data = {
        "expr": r.expr, "universe": r.universe, "interval": r.interval, "lookback": r.lookback,
        "scanned": result.scanned, "without_data": list(result.without_data),
        "terms": list(result.terms),
        "matches": [{"symbol": h.symbol, "close": _jsonable(h.close),
                     "state": h.state.name.lower(), "ts": h.ts, "date": _date(h.ts),
                     "bars_ago": h.bars_ago,
                     "values": {k: _jsonable(v) for k, v in h.values.items()}}
                    for h in result.hits],
    }
    return json.dumps(data, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
