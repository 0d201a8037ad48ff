"""``drummond alerts``: alert rules, evaluation on demand, history and delivery.

    drummond alerts add --name "AAPL over 200" --symbol AAPL.US --kind price_cross \\
        --params '{"level": 200, "direction": "up"}' [--channels panel,email,webhook]
    drummond alerts list | remove ID | enable ID | disable ID
    drummond alerts run [SYMBOL...]     # evaluate now, then deliver e-mail and webhooks
    drummond alerts history [--limit 20] [--unseen]
    drummond alerts deliver             # retry what is due (also done by run and sync)

``drummond sync`` evaluates the rules on the symbols it changed (``run_after_sync``).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext
    from drummond_desktop.services.alerts import AlertRun
    from drummond_desktop.services.market_sync import SyncReport

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser],
                 db: argparse.ArgumentParser) -> None:
    alerts = sub.add_parser("alerts", help="alert rules, evaluation, history, delivery",
                            description="Alert rules on a symbol or a watchlist, evaluated "
                                        "after each sync and on demand.")
    what = alerts.add_subparsers(dest="what", metavar="WHAT", required=True)
    add = what.add_parser("add", parents=[db], help="add a rule")
    add.add_argument("--name", required=True)
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--symbol", metavar="SYM")
    target.add_argument("--watchlist", metavar="NAME")
    add.add_argument("--kind", required=True,
                     help="price_cross, price_reach, zone, state, pattern, mtf or scan")
    add.add_argument("--params", default="{}", metavar="JSON",
                     help='e.g. {"level": 200, "direction": "up"} (see README: Alerts)')
    add.add_argument("--channels", default="panel", metavar="LIST",
                     help="panel, tray, sound, email, webhook (comma-separated)")
    add.set_defaults(run=cmd_add)
    for name, fn, helptext in (("remove", cmd_remove, "delete a rule and its history"),
                               ("enable", cmd_enable, "enable a rule"),
                               ("disable", cmd_disable, "disable a rule")):
        p = what.add_parser(name, help=helptext)
        p.add_argument("rule_id", metavar="ID")
        p.set_defaults(run=fn)
    what.add_parser("list", help="the rules").set_defaults(run=cmd_list)
    run = what.add_parser("run", parents=[db], help="evaluate now, then deliver")
    run.add_argument("symbols", nargs="*", metavar="SYMBOL", help="only these (default: all)")
    run.set_defaults(run=cmd_run)
    hist = what.add_parser("history", help="the latest firings")
    hist.add_argument("--limit", type=int, default=20)
    hist.add_argument("--unseen", action="store_true")
    hist.set_defaults(run=cmd_history)
    what.add_parser("deliver", help="send the e-mails and webhooks that are due").set_defaults(
        run=cmd_deliver)


def _err(message: str) -> None:
    print(f"drummond: {message}", file=sys.stderr)


def cmd_add(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.store.alert_spec import AlertRuleSpec

    try:
        params = json.loads(args.params)
    except ValueError as exc:
        _err(f"alerts add: --params is not JSON ({exc})")
        return EXIT_BAD_INPUT
    if args.watchlist is not None:
        found = [w for w in ctx.user_store().watchlists.all() if w.name == args.watchlist]
        if not found:
            _err(f"alerts add: no watchlist named {args.watchlist!r}")
            return EXIT_BAD_INPUT
        kind, target = "watchlist", str(found[0].id)
    else:
        kind, target = "symbol", args.symbol
    channels = [c.strip() for c in args.channels.split(",") if c.strip()]
    spec = AlertRuleSpec(args.name, kind, target, args.kind, params, channels)
    rule = ctx.alert_repo().create(spec)
    out.write(f"Added rule {rule.id}: {rule.name}\n")
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    ctx.alert_repo().delete(args.rule_id)
    out.write(f"Removed rule {args.rule_id}\n")
    return EXIT_OK


def _set_enabled(ctx: AppContext, rule_id: str, on: bool, out: TextIO) -> int:
    rule = ctx.alert_repo().set_enabled(rule_id, on)
    out.write(f"{'Enabled' if on else 'Disabled'} rule {rule.id}: {rule.name}\n")
    return EXIT_OK


def cmd_enable(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    return _set_enabled(ctx, args.rule_id, True, out)


def cmd_disable(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    return _set_enabled(ctx, args.rule_id, False, out)


def cmd_list(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    rules = ctx.alert_repo().rules()
    if not rules:
        out.write("No alert rules (drummond alerts add ...).\n")
        return EXIT_OK
    for r in rules:
        state = "on " if r.enabled else "off"
        params = json.dumps(dict(r.params), sort_keys=True)
        out.write(f"{r.id}  {state}  {r.name:<28} {r.spec.target_kind}:{r.spec.target:<14} "
                  f"{r.kind:<12} {params}  [{','.join(r.channels)}]\n")
    return EXIT_OK


def _when(ts: int) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%d" if ts % 86_400 == 0 else "%Y-%m-%d %H:%M")


def _report_run(run: AlertRun, out: TextIO) -> None:
    for e in run.fired:
        out.write(f"alert: {e.symbol} {_when(e.bar_ts)} {e.rule_name}: {e.message}\n")
    for p in run.problems:
        _err(f"alert {p.rule_name}{' ' + p.symbol if p.symbol else ''}: {p.reason}")


def _deliver(ctx: AppContext, out: TextIO) -> bool:
    rep = ctx.alert_delivery().deliver()
    if rep.sent or rep.retrying or rep.failed:
        out.write(f"delivered {rep.sent}, retrying {rep.retrying}, failed {rep.failed}\n")
    for _, channel, reason in rep.failures:
        _err(f"alert {channel}: {reason}")
    return rep.failed == 0


def cmd_run(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    from drummond_desktop.services.alerts import AlertRequest

    request = AlertRequest(symbols=tuple(args.symbols) or None, params=ctx.settings().dg())
    run = ctx.alerts().evaluate(request)
    _report_run(run, out)
    out.write(f"{len(run.fired)} fired ({run.rules} rules, {run.checks} checks)\n")
    delivered = _deliver(ctx, out)
    return EXIT_OK if delivered and not run.problems else EXIT_FAILED


def cmd_history(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    events = ctx.alert_repo().latest(args.limit, unseen_only=args.unseen)
    if not events:
        out.write("No alerts have fired.\n")
    for e in events:
        fired = datetime.fromtimestamp(e.fired_at / 1e6, UTC).strftime("%Y-%m-%d %H:%M:%S")
        out.write(f"{fired}Z  {e.symbol:<12} {_when(e.bar_ts)}  {e.rule_name}: {e.message}\n")
    return EXIT_OK


def cmd_deliver(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    return EXIT_OK if _deliver(ctx, out) else EXIT_FAILED


def run_after_sync(report: SyncReport, ctx: AppContext, out: TextIO) -> Any:
    """Evaluate the rules on the symbols a sync changed and deliver; returns the run (None
    when the sync changed nothing or there are no rules)."""
    from drummond_desktop.services.alerts import request_after_sync

    if not ctx.alert_repo().rules():
        return None
    request = request_after_sync(report, ctx.settings().dg())
    if request is None:
        return None
    run = ctx.alerts().evaluate(request)
    _report_run(run, out)
    _deliver(ctx, out)
    return run
