"""``drummond key set|clear|status``: the EODHD API key in the OS keyring, from a terminal.

The key is read without echo (or from stdin with ``--stdin``) and never printed; ``status``
says only where a key would come from and whether the keyring is secure.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from drummond_desktop.bootstrap import AppContext


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    key = sub.add_parser("key", help="the EODHD API key in the OS keyring")
    which = key.add_subparsers(dest="what", metavar="ACTION", required=True)
    put = which.add_parser("set", help="store the key (prompted without echo)")
    put.add_argument("--stdin", action="store_true", help="read the key from standard input")
    put.set_defaults(run=cmd_set)
    which.add_parser("clear", help="remove the stored key").set_defaults(run=cmd_clear)
    which.add_parser("status", help="where the key comes from").set_defaults(run=cmd_status)


def cmd_set(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    value = sys.stdin.readline() if args.stdin else getpass.getpass("EODHD API key: ")
    value = value.strip()
    if not value:
        print("drummond: no key given; nothing stored", file=sys.stderr)
        return 2
    store = ctx.secret_store()
    store.set_eodhd_key(value)
    if store.session_only:
        out.write(f"{store.user_message}\n")
    else:
        out.write("EODHD API key stored in the OS keyring.\n")
    return 0


def cmd_clear(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    ctx.secret_store().delete_eodhd_key()
    out.write("EODHD API key removed from the keyring.\n")
    return 0


def cmd_status(args: argparse.Namespace, ctx: AppContext, out: TextIO) -> int:
    store = ctx.secret_store()
    source = store.eodhd_key_source()
    where = {"environment": "DRUMMOND_EODHD_API_KEY", "keyring": "the OS keyring",
             "session": "this session only"}.get(source or "", "nowhere: no key is set "
                                                             "(the app runs on demo data)")
    out.write(f"EODHD API key: {where}\n")
    if store.session_only:
        out.write(f"{store.user_message}\n")
    return 0
