"""``drummond scan`` end to end: CLI -> ScanService -> the market store (SQLite file and
PostgreSQL) and the user store (watchlists, saved scans)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.store import open_market_store
from engine.drummond import State, analyze
from engine.scan import scan
from tests.services.test_scanner import SYMBOLS, _bars
from tests.store.conftest import pg_admin_url, pg_database, store_url  # noqa: F401 (fixtures)


@pytest.fixture
def db_url(store_url, tmp_path) -> Iterator[str]:  # noqa: F811
    url = store_url or f"sqlite:///{tmp_path / 'market.sqlite'}"
    with open_market_store(url) as store:
        for i, (symbol, n) in enumerate(SYMBOLS.items()):
            store.bars.upsert(symbol, "1d", _bars(symbol, i, n))
    yield url


@pytest.fixture
def ctx(db_url) -> Iterator[AppContext]:
    c = AppContext(db_url=db_url)
    yield c
    c.close()


def run(ctx, *argv):
    return cli.main(list(argv), context=ctx)


def _universe():
    return [_bars(s, i, n) for i, (s, n) in enumerate(SYMBOLS.items())]


def test_table_lists_symbol_close_state_and_terms(ctx, capsys):
    expr = "push_up or cwave_up"
    assert run(ctx, "scan", "--expr", expr, "--lookback", "3") == 0
    out = capsys.readouterr().out
    want = scan(_universe(), expr, "1d", lookback=3)
    assert want, "the test needs matches"
    lines = out.splitlines()
    assert lines[0] == expr and f"{len(SYMBOLS)} symbols (all, 1d), {len(want)} match" in lines[1]
    assert lines[2].split() == ["symbol", "close", "state", "signal", "push_up", "cwave_up"]
    for hit, line in zip(want, lines[3:], strict=True):
        cells = line.split()
        assert cells[0] == hit.symbol and float(cells[1]) == pytest.approx(hit.close, 1e-5)
        assert cells[2] == hit.state.name.lower()
        assert cells[-2:] == ["yes" if hit.values[k] else "no" for k in ("push_up", "cwave_up")]


def test_json_output_matches_the_engine(ctx, capsys):
    expr = "rsi(14) > 50 and close > pldot"
    assert run(ctx, "scan", "--expr", expr, "--json", "--universe", "all",
               "--interval", "1d") == 0
    data = json.loads(capsys.readouterr().out)
    want = scan(_universe(), expr, "1d")
    assert data["scanned"] == len(SYMBOLS) and data["terms"] == ["rsi(14)", "close", "pldot"]
    assert [m["symbol"] for m in data["matches"]] == [h.symbol for h in want]
    for m, h in zip(data["matches"], want, strict=True):
        assert m["values"] == dict(h.values) and m["ts"] == h.ts and m["bars_ago"] == 0
        assert m["state"] == h.state.name.lower()
        b = next(x for x in _universe() if x.symbol == h.symbol)
        assert State[m["state"].upper()] == State(analyze(b).state[-1])


def test_no_matches_exits_0_and_says_so(ctx, capsys):
    assert run(ctx, "scan", "--expr", "close < 0") == 0
    assert capsys.readouterr().out.endswith("no matches\n")
    assert run(ctx, "scan", "--expr", "close < 0", "--json") == 0
    assert json.loads(capsys.readouterr().out)["matches"] == []


@pytest.mark.parametrize(("expr", "column", "token"), [
    ("close within pldot", 14, "pldot"),
    ("rsi(14) < 30 and", 17, ""),
    ("weekly.trend_up and clsoe > 1", 21, "clsoe"),
])
def test_a_bad_expression_exits_2_naming_the_position(ctx, capsys, expr, column, token):
    assert run(ctx, "scan", "--expr", expr) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    first, shown, caret = err.splitlines()[:3]
    assert first.startswith(f"drummond: scan: bad expression: column {column}")
    if token:
        assert f"at {token!r}" in first
    assert shown == "  " + expr and caret == "  " + " " * (column - 1) + "^"


def test_bad_universe_interval_and_watchlist_exit_2(ctx, capsys):
    assert run(ctx, "scan", "--expr", "push_up", "--universe", "some") == 2
    assert "neither 'all' nor 'watchlist:<name>'" in capsys.readouterr().err
    assert run(ctx, "scan", "--expr", "push_up", "--interval", "3d") == 2
    assert "not one of" in capsys.readouterr().err
    assert run(ctx, "scan", "--expr", "push_up", "--universe", "watchlist:Nope") == 2
    assert "no watchlist named" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        run(ctx, "scan")  # neither --expr, --saved nor --list
    assert info.value.code == 2


def test_watchlist_save_list_and_run_saved(ctx, capsys):
    ctx.user_store().watchlists.create("Few", ["S01.US", "S04.US"])
    assert run(ctx, "scan", "--expr", "close > 0", "--universe", "watchlist:Few",
               "--save", "Positive") == 0
    out = capsys.readouterr().out
    assert "2 symbols (watchlist:Few, 1d), 2 match(es)" in out
    assert run(ctx, "scan", "--list") == 0
    assert capsys.readouterr().out == "Positive\twatchlist:Few\t1d\tclose > 0\n"
    assert run(ctx, "scan", "--saved", "Positive", "--json") == 0
    assert [m["symbol"] for m in json.loads(capsys.readouterr().out)["matches"]] == [
        "S01.US", "S04.US"]
    assert run(ctx, "scan", "--expr", "close > pldot", "--save", "Positive") == 2
    assert "already exists" in capsys.readouterr().err
    assert run(ctx, "scan", "--saved", "Missing") == 2
    assert "no saved scan" in capsys.readouterr().err


def test_weekly_zone_values_print_as_ranges(ctx, capsys):
    expr = "weekly.close > 0 and close within weekly.zone"
    want = scan(_universe(), expr, "1d", lookback=20)
    assert want, "the test needs matches"
    assert run(ctx, "scan", "--expr", expr, "--lookback", "20") == 0
    out = capsys.readouterr().out
    for h in want:
        lo, hi = h.values["weekly.zone"]  # type: ignore[misc]
        assert f"{lo:.6g}..{hi:.6g}" in out
    assert np.isfinite([h.close for h in want]).all()


def test_help_documents_the_grammar(capsys):
    with pytest.raises(SystemExit):
        cli.main(["scan", "--help"])
    out = capsys.readouterr().out
    for words in ("condition = or_expr", '"within" zone_term', "weekly.", "support_zone",
                  "rsi(14)", "COMPLETED"):
        assert words in out
