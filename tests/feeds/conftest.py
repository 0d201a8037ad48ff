"""Fixtures for the feed tests: a client factory that closes what it opened, and a redaction
registry restored after each test (keys registered here must not mask other tests' logs)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drummond_desktop.core import log_setup
from tests.feeds.fakes import Rig, rig


@pytest.fixture(autouse=True)
def _restore_secret_registry() -> Iterator[None]:
    before = set(log_setup._secrets)
    yield
    for value in set(log_setup._secrets) - before:
        log_setup.forget_secret(value)


@pytest.fixture
def make_rig() -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(*args: Any, **kwargs: Any) -> Rig:
        made.append(rig(*args, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.client.close()
