"""``SymbolSearchService``: local ranking over a real store, EODHD hits through an httpx
MockTransport (the OpenAPI example payload), merging and deduplication, and EODHD failures that
keep the local results."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import keyring.backend
import pytest

from drummond_desktop.core.errors import Cancelled, StoreUnavailable
from drummond_desktop.core.secrets import ENV_EODHD_API_KEY, SecretStore
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.feeds import demo
from drummond_desktop.services.symbol_search import (
    SearchRequest,
    SearchResult,
    SymbolSearchService,
    rank,
)
from drummond_desktop.store import SymbolInfo
from tests.feeds.fakes import EXAMPLES, Rig, ok, raw, rig

LOCAL = [
    SymbolInfo("AAPL", "US", "Apple Inc", "Common Stock"),
    SymbolInfo("AA", "US", "Alcoa Corp", "Common Stock"),
    SymbolInfo("AAL", "US", "American Airlines Group", "Common Stock"),
    SymbolInfo("PINE", "US", "Pineapple Energy", "Common Stock"),
    SymbolInfo("APC", "XETRA", "Apple Inc", "Common Stock"),
    SymbolInfo("MSFT", "US", "Microsoft Corporation", "Common Stock"),
]


class EmptyKeyring(keyring.backend.KeyringBackend):
    """A keyring holding nothing: only the environment can supply a key."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the search never stores a key")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the search never deletes a key")


@pytest.fixture
def local_store(store):
    store.symbols.upsert(LOCAL)
    return store


@pytest.fixture
def make_rig() -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(*steps: object, key: str | None = "TESTKEY-search-0123") -> Rig:
        made.append(rig(list(steps), key=key))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for r in made:
        r.client.close()


def service(store, r: Rig | None = None, key_set: bool = True) -> SymbolSearchService:
    return SymbolSearchService(lambda: store.symbols.all(),
                               (lambda: r.client) if r is not None else None,
                               key_set=lambda: key_set)


def tickers(results) -> list[str]:
    return [r.ticker for r in results]


# ---------------------------------------------------------------------------------- local


def test_local_results_rank_exact_code_then_prefix_then_name(local_store):
    found = service(local_store).search(SearchRequest("aa"))
    assert tickers(found) == ["AA.US", "AAL.US", "AAPL.US"]
    assert all(r.local and not r.remote and r.source == "local" for r in found)
    assert not found.remote_asked and found.remote_error == ""


def test_name_prefix_ranks_before_name_contains(local_store):
    found = service(local_store).search(SearchRequest("APPLE"))
    # names starting with "Apple" (shorter code first), then "Pineapple"
    assert tickers(found) == ["APC.XETRA", "AAPL.US", "PINE.US"]
    assert [rank(r, "apple") for r in found] == [2, 2, 3]


def test_a_full_ticker_and_an_exchange_match(local_store):
    assert tickers(service(local_store).search(SearchRequest("apc.xetra"))) == ["APC.XETRA"]
    assert tickers(service(local_store).search(SearchRequest("xetra"))) == ["APC.XETRA"]


def test_an_empty_query_lists_the_local_symbols_up_to_the_limit(local_store):
    found = service(local_store).search(SearchRequest("", limit=4))
    assert len(found) == 4 and found[0].ticker == "AA.US"


def test_demo_mode_searches_the_demo_universe_only(local_store, make_rig):
    r = make_rig(ok(EXAMPLES["search"]))
    found = service(local_store, r).search(SearchRequest("minute", demo=True))
    assert tickers(found) == list(demo.intraday_codes())
    assert found[0].type == "synthetic 1m" and found[0].local
    assert r.server.sent == [] and not found.remote_asked


# --------------------------------------------------------------------------------- EODHD


def test_eodhd_hits_are_merged_and_deduplicated_by_ticker(local_store, make_rig):
    r = make_rig(ok(EXAMPLES["search"]))  # AAPL.US and AMZN.US
    found = service(local_store, r).search(SearchRequest("a"))  # too short for EODHD
    assert r.server.sent == [] and not found.remote_asked
    found = service(local_store, r).search(SearchRequest("ap"))
    assert r.server.sent[0].path.endswith("/search/ap")
    assert r.server.sent[0].params["limit"] == "50"
    assert found.remote_asked and found.remote_error == ""
    by_ticker = {x.ticker: x for x in found}
    assert tickers(found).count("AAPL.US") == 1
    assert by_ticker["AAPL.US"].local and by_ticker["AAPL.US"].remote
    amzn = by_ticker["AMZN.US"]
    assert (amzn.local, amzn.remote, amzn.source, amzn.name) == (
        False, True, "EODHD", "Amazon.com Inc")
    assert tickers(found)[0] == "APC.XETRA"  # code prefix "AP" beats what EODHD alone found
    assert tickers(found)[-1] == "AMZN.US"


def test_the_same_query_asks_eodhd_once(local_store, make_rig):
    r = make_rig(ok(EXAMPLES["search"]))
    svc = service(local_store, r)
    first = svc.search(SearchRequest("amzn"))
    again = svc.search(SearchRequest("AMZN"))
    assert len(r.server.sent) == 1 and tickers(first) == tickers(again) == ["AMZN.US", "AAPL.US"]


def test_without_a_key_eodhd_is_not_asked(local_store, make_rig):
    r = make_rig(ok(EXAMPLES["search"]))
    found = service(local_store, r, key_set=False).search(SearchRequest("apple"))
    assert r.server.sent == [] and tickers(found) == ["APC.XETRA", "AAPL.US", "PINE.US"]
    found = service(local_store, r).search(SearchRequest("apple", remote=False))
    assert r.server.sent == [] and not found.remote_asked


@pytest.mark.parametrize(("step", "said"), [
    (raw("Unauthenticated", 401, "text/plain"), "EODHD refused the request (HTTP 401)"),
    (raw("", 402, "text/plain"), "quota"),
    (httpx.ConnectError("offline"), "EODHD"),
], ids=["auth", "quota", "offline"])
def test_eodhd_failures_keep_the_local_results(local_store, make_rig, step, said):
    r = make_rig(step)
    found = service(local_store, r).search(SearchRequest("apple"))
    assert tickers(found) == ["APC.XETRA", "AAPL.US", "PINE.US"]
    assert found.remote_asked and said in found.remote_error
    assert "TESTKEY" not in found.remote_error


def test_a_failed_eodhd_search_is_not_remembered(local_store, make_rig):
    r = make_rig(raw("Unauthenticated", 401, "text/plain"), ok(EXAMPLES["search"]))
    svc = service(local_store, r)
    assert svc.search(SearchRequest("amzn")).remote_error
    assert tickers(svc.search(SearchRequest("amzn"))) == ["AMZN.US", "AAPL.US"]


# ------------------------------------------------------------------------ errors and wiring


def test_a_store_failure_is_raised_for_the_controller():
    def broken() -> list[SymbolInfo]:
        raise StoreUnavailable("market.sqlite", "disk gone")

    with pytest.raises(StoreUnavailable):
        SymbolSearchService(broken).search(SearchRequest("aa"))


def test_a_cancelled_search_stops(local_store):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        service(local_store).search(SearchRequest("aa"), token)


def test_from_context_uses_the_store_the_key_and_the_client(local_store, make_rig):
    r = make_rig(ok(EXAMPLES["search"]))

    class Context:
        def __init__(self, environ: dict[str, str]) -> None:
            self.secrets = SecretStore(EmptyKeyring(), environ=environ)

        def market_store(self):
            return local_store

        def eodhd(self):
            return r.client

        def secret_store(self) -> SecretStore:
            return self.secrets

    with_key = SymbolSearchService.from_context(Context({ENV_EODHD_API_KEY: "k"}))
    assert "AMZN.US" in tickers(with_key.search(SearchRequest("amzn")))
    no_key = SymbolSearchService.from_context(Context({}))
    found = no_key.search(SearchRequest("amzn"))
    assert not found.remote_asked and len(r.server.sent) == 1


def test_search_result_names():
    hit = SearchResult("BRK-B", "US", "Berkshire Hathaway", remote=True)
    assert (hit.ticker, hit.source) == ("BRK-B.US", "EODHD")
