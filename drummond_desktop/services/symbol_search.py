"""``SymbolSearchService``: find a symbol to chart, in the local store and (with a key) on EODHD.

Local matches come from the store's symbols table (or the demo universe in demo mode), case
insensitive, ranked: the exact code, then code prefixes, then names starting with the query,
then names containing it (the exchange code matches too, ranked last). With an EODHD key and a
request that allows it, ``/search/{query}`` is asked through the injected client factory (the
service never builds HTTP) and its hits are merged in; a ticker found in both is listed once,
marked local. EODHD failures (offline, refused key, spent quota) never lose the local results:
they come back with ``remote_error`` set to the user message.

Each search is ``(request, cancel, progress) -> SearchResults`` for the task runner's I/O pool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, overload

from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.feeds import demo
from drummond_desktop.feeds.eodhd import EodhdClient
from drummond_desktop.feeds.eodhd_models import SearchHit
from drummond_desktop.feeds.errors import FeedError
from drummond_desktop.store import MarketStore, SymbolInfo

LocalSymbols = Callable[[], Sequence[SymbolInfo]]
ClientFactory = Callable[[], EodhdClient]
KeySet = Callable[[], bool]

MIN_REMOTE_CHARS = 2  # every EODHD search costs an API call: not for one letter
_REMOTE_CACHE_SIZE = 64
_PROVIDER_RANK = 5  # an EODHD hit none of our rules explains (an ISIN, a former name...)


@dataclass(frozen=True)
class SearchRequest:
    """Search ``query``; ``demo`` searches the demo universe only; ``remote`` allows EODHD."""

    query: str
    demo: bool = False
    remote: bool = True
    limit: int = 50


@dataclass(frozen=True)
class SearchResult:
    """One symbol found. ``ticker`` (``CODE.EXCHANGE``) is what the chart loads."""

    code: str
    exchange: str
    name: str = ""
    type: str = ""
    local: bool = False
    remote: bool = False

    @property
    def ticker(self) -> str:
        return f"{self.code}.{self.exchange}"

    @property
    def source(self) -> str:
        """``local`` (in the local store or the demo universe) or ``EODHD``."""
        return "local" if self.local else "EODHD"


@dataclass(frozen=True)
class SearchResults(Sequence[SearchResult]):
    """The ranked results of one search, plus what happened on the EODHD side:
    ``remote_error`` is the user message of a failed EODHD request (empty when it worked or
    was not asked), ``remote_asked`` whether it was asked at all."""

    query: str
    results: tuple[SearchResult, ...] = ()
    remote_error: str = ""
    remote_asked: bool = False

    def __len__(self) -> int:
        return len(self.results)

    @overload
    def __getitem__(self, index: int) -> SearchResult: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SearchResult]: ...

    def __getitem__(self, index: int | slice) -> SearchResult | Sequence[SearchResult]:
        return self.results[index]

    def __iter__(self) -> Iterator[SearchResult]:
        return iter(self.results)


def rank(result: SearchResult, query: str) -> int:
    """0 exact code or ticker, 1 code or ticker prefix, 2 name prefix, 3 name contains,
    4 exchange code, ``_PROVIDER_RANK`` none of these (a match only the provider knows)."""
    q = query.strip().upper()
    code, ticker, name = result.code.upper(), result.ticker.upper(), result.name.upper()
    if q in (code, ticker):
        return 0
    if code.startswith(q) or ticker.startswith(q):
        return 1
    if name.startswith(q):
        return 2
    if q in name:
        return 3
    if q == result.exchange.upper():
        return 4
    return _PROVIDER_RANK


def demo_symbols() -> tuple[SymbolInfo, ...]:
    """The demo universe as symbols (``SYN01.DEMO`` is code ``SYN01`` on exchange ``DEMO``)."""
    out = []
    for sym in demo.demo_universe():
        code, _, exchange = sym.code.rpartition(".")
        out.append(SymbolInfo(code, exchange, sym.name, f"synthetic {sym.timeframe}"))
    return tuple(out)


class SearchSource(Protocol):
    """What ``SymbolSearchService.from_context`` needs of ``bootstrap.AppContext``."""

    def market_store(self) -> MarketStore: ...

    def eodhd(self) -> EodhdClient: ...

    def secret_store(self) -> SecretStore: ...


class SymbolSearchService:
    """Searches ``local_symbols`` (e.g. ``lambda: store.symbols.all()``) and, when ``key_set``
    says a key is configured, EODHD through ``client`` (called on first use, on the worker
    thread). Successful EODHD answers are remembered for the session: typing the same query
    again costs no API call."""

    def __init__(self, local_symbols: LocalSymbols, client: ClientFactory | None = None, *,
                 key_set: KeySet = lambda: False, demo_universe: LocalSymbols = demo_symbols
                 ) -> None:
        self._local_symbols = local_symbols
        self._client = client
        self._key_set = key_set
        self._demo_universe = demo_universe
        self._cache: dict[tuple[str, int], tuple[SearchHit, ...]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_context(cls, ctx: SearchSource) -> SymbolSearchService:
        """The app's search: the store's symbols, EODHD when a key is set. Nothing is opened
        here; the store, the key and the client are reached on the worker thread."""
        return cls(lambda: ctx.market_store().symbols.all(), ctx.eodhd,
                   key_set=lambda: ctx.secret_store().get_eodhd_key() is not None)

    def search(self, request: SearchRequest, cancel: CancelToken | None = None,
               progress: Progress = no_progress) -> SearchResults:
        """Local matches first by rank, EODHD hits merged in; see the module docstring."""
        token = cancel or CancelToken()
        query = request.query.strip()
        progress(0, 2, f"searching for {query!r}")
        symbols = self._demo_universe() if request.demo else self._local_symbols()
        found = {r.ticker.upper(): r for r in _local_matches(symbols, query)}
        token.raise_if_cancelled()
        remote_error, asked = "", self._remote_allowed(request, query)
        if asked:
            progress(1, 2, f"asking EODHD for {query!r}")
            try:
                hits = self._remote(query, request.limit)
            except FeedError as exc:  # offline, refused key, spent quota: keep the local ones
                remote_error = exc.user_message
            else:
                _merge(found, hits)
            token.raise_if_cancelled()
        ordered = sorted(enumerate(found.values()),
                         key=lambda item: (rank(item[1], query), not item[1].local,
                                           _local_order(item[1], query), item[0]))
        results = tuple(r for _, r in ordered)[: max(request.limit, 0)]
        progress(2, 2, f"{len(results)} symbols found")
        return SearchResults(query, results, remote_error, asked)

    def _remote_allowed(self, request: SearchRequest, query: str) -> bool:
        return (request.remote and not request.demo and self._client is not None
                and len(query) >= MIN_REMOTE_CHARS and self._key_set())

    def _remote(self, query: str, limit: int) -> tuple[SearchHit, ...]:
        key = (query.upper(), limit)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        assert self._client is not None
        hits = self._client().search(query, limit=limit)
        with self._lock:
            if len(self._cache) >= _REMOTE_CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = hits
        return hits


def _local_matches(symbols: Sequence[SymbolInfo], query: str) -> list[SearchResult]:
    """Every symbol the query matches (all of them for an empty query)."""
    out = []
    for s in symbols:
        result = SearchResult(s.code, s.exchange, s.name, s.type, local=True)
        if not query or rank(result, query) < _PROVIDER_RANK:
            out.append(result)
    return out


def _merge(found: dict[str, SearchResult], hits: Sequence[SearchHit]) -> None:
    """Add EODHD hits to ``found`` (keyed ``CODE.EXCHANGE``); a local entry stays local and
    gains the provider's name and type when it had none."""
    for hit in hits:
        remote = SearchResult(hit.code, hit.exchange, hit.name, hit.type or "", remote=True)
        key = remote.ticker.upper()
        mine = found.get(key)
        if mine is None:
            found[key] = remote
        else:
            found[key] = SearchResult(mine.code, mine.exchange, mine.name or remote.name,
                                      mine.type or remote.type, local=True, remote=True)


def _local_order(result: SearchResult, query: str) -> tuple[int, str, str]:
    """Within a rank, local symbols: shorter codes first (``AA`` before ``AAPL`` for ``AA``),
    then alphabetical. Remote hits keep EODHD's order (the enumerate index decides)."""
    if not result.local:
        return (0, "", "")
    return (len(result.code), result.code.upper(), result.exchange.upper())
