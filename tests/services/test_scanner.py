"""ScanService over real stores (market on SQLite and PostgreSQL, the user store on its local
SQLite file): universes, progress, cancel, bad expressions, built weekly bars, saved scans."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pytest

from drummond_desktop.core.errors import Cancelled, DataError
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.services.scanner import ScanRequest, ScanService
from drummond_desktop.store import MarketStore, UserStore, open_market_store, open_user_store
from drummond_desktop.store.scans import InvalidScan, ScanRepository
from engine import Bars
from engine.drummond import State, analyze
from engine.resample import resample
from engine.scan import ScanSyntaxError, scan
from tests.store.conftest import pg_admin_url, pg_database, store_url  # noqa: F401 (fixtures)

EXPRS = ("push_up or cwave_up", "state == cong_action and close > pldot",
         "weekly.trend_up and close within weekly.support_zone", "rsi(14) > 55")


def _weekdays(start: date, n: int) -> np.ndarray:
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append((d - date(1970, 1, 1)).days * 86_400)
        d += timedelta(days=1)
    return np.array(out, dtype=np.int64)


def _bars(symbol: str, seed: int, n: int) -> Bars:
    rng = np.random.default_rng(seed)
    close = np.round(100 * np.exp(np.cumsum(rng.standard_normal(n) * 0.015)), 4)
    open_ = np.r_[close[0], close[:-1]]
    high = np.round(np.maximum(open_, close) * (1 + rng.random(n) * 0.01), 4)
    low = np.round(np.minimum(open_, close) * (1 - rng.random(n) * 0.01), 4)
    # the last bar is a Wednesday: its week is still forming
    return Bars.from_arrays(_weekdays(date(2023, 1, 2), n), open_, high, low, close,
                            np.round(rng.random(n) * 1e5), symbol=symbol, timeframe="1d")


SYMBOLS = {f"S{i:02d}.US": 300 + 11 * i for i in range(14)}


@pytest.fixture
def market(store_url: str | None, tmp_path) -> Iterator[MarketStore]:  # noqa: F811
    url = store_url or f"sqlite:///{tmp_path / 'market.sqlite'}"
    with open_market_store(url) as store:
        for i, (symbol, n) in enumerate(SYMBOLS.items()):
            store.bars.upsert(symbol, "1d", _bars(symbol, i, n))
        yield store


@pytest.fixture
def user() -> Iterator[UserStore]:
    with open_user_store() as store:  # the test's own data dir
        yield store


@pytest.fixture
def service(market, user) -> ScanService:
    return ScanService(market, user)


def _stored(market: MarketStore) -> list[Bars]:
    return [market.bars.load(s, "1d") for s in SYMBOLS]


@pytest.mark.parametrize("expr", EXPRS)
def test_all_symbols_equal_the_engine_scan_of_the_stored_bars(service, market, expr):
    result = service.run(ScanRequest(expr, "all", "1d", lookback=3))
    want = scan([_bars(s, i, n) for i, (s, n) in enumerate(SYMBOLS.items())], expr, "1d",
                lookback=3)
    assert result.hits == want  # the store gave back exactly the bars that went in
    assert result.scanned == len(SYMBOLS) and result.without_data == ()
    assert result.terms == tuple(t.label for t in ScanRequest(expr).parsed().terms
                                 if t.info.constant is None)


def test_some_scans_match_so_the_comparison_means_something(service):
    counts = [len(service.run(ScanRequest(e, lookback=3)).hits) for e in EXPRS]
    assert sum(c > 0 for c in counts) >= 3, counts


def test_progress_runs_from_loading_to_evaluating_and_ends_at_done(service):
    seen: list[tuple[float, float, str]] = []
    service.run(ScanRequest("push_up or not push_up"), progress=lambda d, t, m="":
                seen.append((d, t, m)))
    fractions = [d / t for d, t, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("loading S00.US" in m for *_, m in seen)
    assert any(m.startswith("evaluating") for *_, m in seen)
    assert seen[-1][2] == f"{len(SYMBOLS)} match(es)"


def test_cancel_before_and_during_the_scan(service):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        service.run(ScanRequest("push_up"), token)
    late = CancelToken()

    def progress(done: float, total: float, message: str = "") -> None:
        if message.startswith("evaluating 2 "):
            late.cancel()

    with pytest.raises(Cancelled):
        service.run(ScanRequest("push_up or not push_up"), late, progress)


def test_watchlist_universe_and_symbols_without_data(service, user, market):
    user.watchlists.create("Tech", ["S03.US", "NONE.US", "S01.US"])
    result = service.run(ScanRequest("close > 0", "watchlist:Tech"))
    assert [h.symbol for h in result.hits] == ["S03.US", "S01.US"]  # the list's order
    assert result.without_data == ("NONE.US",) and result.scanned == 2
    last = market.bars.load("S03.US", "1d")
    assert result.hits[0].close == last.close[-1]
    assert result.hits[0].state == State(analyze(last).state[-1])
    with pytest.raises(DataError, match="no watchlist named 'Nope'"):
        service.run(ScanRequest("close > 0", "watchlist:Nope"))


def test_a_bad_request_is_refused_before_anything_is_read(service):
    with pytest.raises(InvalidScan) as info:
        service.run(ScanRequest("close within pldot"))
    assert isinstance(info.value.__cause__, ScanSyntaxError)
    assert "column 14 at 'pldot'" in str(info.value)
    with pytest.raises(InvalidScan, match="universe"):
        ScanRequest("push_up", "some")
    with pytest.raises(InvalidScan, match="interval"):
        ScanRequest("push_up", "all", "3d")
    with pytest.raises(InvalidScan, match="lookback"):
        ScanRequest("push_up", lookback=0)
    with pytest.raises(InvalidScan, match="daily terms need bars of 1d"):
        service.run(ScanRequest("daily.close > 0", "all", "1w"))


def test_weekly_scans_build_completed_weeks_from_stored_days(service, market):
    symbol = "S02.US"
    days = market.bars.load(symbol, "1d")
    built = resample(days, "1w")
    assert not built.last_complete  # the series ends on a Wednesday
    weeks = service.load(symbol, "1w")
    np.testing.assert_array_equal(weeks.close, built.bars.close[:-1])
    result = service.run(ScanRequest("close > 0", f"watchlist:{_watch(service, symbol)}", "1w"))
    assert result.hits[0].ts == built.bars.ts[-2]  # the last COMPLETED week
    market.bars.upsert(symbol, "1w", weeks[:10])  # stored weeks win over built ones
    assert len(service.load(symbol, "1w")) == 10


def _watch(service: ScanService, symbol: str) -> str:
    user = service._user
    assert user is not None
    user.watchlists.create("One", [symbol])
    return "One"


def test_saved_scans_run_by_name_or_id(service, user):
    repo = ScanRepository(user.engine, user.where)
    saved = repo.create("Cong", "state == cong_action or state == cong_entrance", "all", "1d")
    by_name = service.run_saved("Cong")
    assert by_name.request == ScanRequest(saved.expr, "all", "1d")
    assert service.run_saved(saved.id).hits == by_name.hits
    with pytest.raises(DataError, match="no saved scan 'missing'"):
        service.run_saved("missing")


def test_matches_for_alert_rules(service, user, market):
    from drummond_desktop.services.alerts import ScanQuery as _Query

    symbols = tuple(SYMBOLS)[:5]
    got = service.matches(_Query("", "close > 0", "1d", symbols), CancelToken())
    assert got == {s: int(market.bars.load(s, "1d").ts[-1]) for s in symbols}
    saved = ScanRepository(user.engine, user.where).create("P", "push_up or cwave_up")
    via_id = service.matches(_Query(saved.id, "", "1d", symbols), CancelToken())
    direct = scan([market.bars.load(s, "1d") for s in symbols], "push_up or cwave_up", "1d")
    assert via_id == {h.symbol: h.ts for h in direct}


def test_without_a_user_store_only_all_is_possible(market):
    service = ScanService(market)
    assert service.run(ScanRequest("close > 0")).scanned == len(SYMBOLS)
    with pytest.raises(DataError, match="no user store"):
        service.run(ScanRequest("close > 0", "watchlist:X"))


def test_the_universe_is_scanned_in_groups_with_the_same_hits(service, monkeypatch):
    from drummond_desktop.services import scanner

    whole = service.run(ScanRequest("push_up or cwave_up", lookback=3))
    monkeypatch.setattr(scanner, "CHUNK", 4)
    seen: list[float] = []
    grouped = service.run(ScanRequest("push_up or cwave_up", lookback=3),
                          progress=lambda d, t, m="": seen.append(d / t))
    assert grouped.hits == whole.hits and grouped.scanned == whole.scanned
    assert seen == sorted(seen) and seen[-1] == 1.0
