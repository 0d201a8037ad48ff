"""Test doubles for the EODHD client: a virtual clock, a scripted MockTransport server, the
OpenAPI example payloads, and a client factory wired to all three (no test really sleeps)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from drummond_desktop.feeds.eodhd import EodhdClient
from drummond_desktop.feeds.eodhd_limits import DailyBudget, RateLimiter, RequestRecord

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLES: dict[str, Any] = json.loads((FIXTURES / "openapi_examples.json").read_text())
KEY = "TESTKEY-0123456789abcdef"
WALL_START = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: every example date is in the past

Step = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic and wall clocks that only move when the client sleeps (or a test advances)."""

    def __init__(self, wall_start: float = WALL_START) -> None:
        self.mono = 1_000.0
        self._offset = wall_start - self.mono
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.mono + self._offset

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, seconds
        self.sleeps.append(seconds)
        self.mono += seconds

    def advance(self, seconds: float) -> None:
        self.mono += seconds


@dataclass
class Sent:
    """One request the fake server saw, with the virtual times it arrived."""

    request: httpx.Request
    mono: float
    wall: float

    @property
    def params(self) -> dict[str, str]:
        return dict(self.request.url.params)

    @property
    def path(self) -> str:
        return self.request.url.path


@dataclass
class FakeServer:
    """A MockTransport handler that plays ``steps`` in order (the last one repeats): a response,
    an exception to raise (given the request), or a function of the request."""

    clock: FakeClock
    steps: list[Step] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(Sent(request, self.clock.monotonic(), self.clock.time()))
        step = self.steps[min(len(self.sent), len(self.steps)) - 1]
        if isinstance(step, type) and issubclass(step, Exception):
            raise step("injected", request=request)  # type: ignore[call-arg]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            return step(request)
        return _copy(step)


def _copy(response: httpx.Response) -> httpx.Response:
    # A Response can be read only once; hand out a fresh one each time a step repeats.
    return httpx.Response(response.status_code, headers=response.headers,
                          content=response.content)


def ok(payload: Any) -> httpx.Response:
    return httpx.Response(200, json=payload)


def raw(body: bytes | str, status: int = 200, content_type: str = "application/json",
        headers: dict[str, str] | None = None) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    return httpx.Response(status, content=data,
                          headers={"content-type": content_type, **(headers or {})})


@dataclass
class Rig:
    """A client wired to a fake server, a virtual clock and a list ledger."""

    client: EodhdClient
    server: FakeServer
    clock: FakeClock
    ledger: list[RequestRecord]

    def used_today(self) -> int:
        return sum(r.cost for r in self.ledger)


def rig(steps: Iterable[Step] = (), *, key: str | None = KEY, budget_limit: int | None = None,
        limiter: tuple[float, int] | None = None, seed: int = 7) -> Rig:
    clock = FakeClock()
    server = FakeServer(clock, list(steps))
    ledger: list[RequestRecord] = []
    http = httpx.Client(transport=httpx.MockTransport(server))
    budget = None
    if budget_limit is not None:
        budget = DailyBudget(budget_limit, lambda: sum(r.cost for r in ledger))
    rate = None
    if limiter is not None:
        rate = RateLimiter(limiter[0], limiter[1], clock=clock.monotonic, sleep=clock.sleep)
    client = EodhdClient(http, lambda: key, base_url="https://eodhd.test/api",
                         clock=clock.monotonic, wall_clock=clock.time, sleep=clock.sleep,
                         ledger=ledger.append, budget=budget, rng=random.Random(seed),
                         limiter=rate, owns_http=True)
    return Rig(client, server, clock, ledger)
