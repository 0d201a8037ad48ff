"""``drummond alerts`` and the alerts a sync fires, end to end: CLI -> services -> real SQLite
stores, EODHD over MockTransport, the webhook through a real local HTTP server."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from drummond_desktop import cli
from drummond_desktop.bootstrap import AppContext
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.services.alert_setup import WEBHOOK_URL
from tests.services.local_servers import HttpScript, http_server
from tests.services.vendor import Vendor, daily_rows


@pytest.fixture
def vendor() -> Vendor:
    return Vendor()


@pytest.fixture
def ctx(vendor, monkeypatch):
    monkeypatch.setenv("DRUMMOND_EODHD_API_KEY", "TESTKEY-cli-0001")
    c = AppContext(transport=httpx.MockTransport(vendor), secrets=SecretStore())
    yield c
    c.close()


def run(ctx, *argv) -> int:
    return cli.main(list(argv), context=ctx)


def rule_id(out: str) -> str:
    return out.split("Added rule ")[1].split(":")[0]


def test_a_sync_fires_a_cross_once_and_the_webhook_gets_it(ctx, vendor, capsys):
    rows = daily_rows(date(2024, 1, 1), 40)
    vendor.daily["AAPL.US"] = rows
    assert run(ctx, "sync", "AAPL.US") == 0
    last = rows[-1]["close"]
    level = round(last + 5.0, 2)
    script = HttpScript([(200, "ok", {})])
    with http_server(script) as base:
        ctx.secret_store().set(WEBHOOK_URL, f"{base}/hook/SECRET-TOKEN")
        assert run(ctx, "alerts", "add", "--name", "AAPL over", "--symbol", "AAPL.US",
                   "--kind", "price_cross", "--params", f'{{"level": {level}, '
                   '"direction": "up"}', "--channels", "panel,webhook") == 0
        capsys.readouterr()
        # the next session closes 10 above the last: a cross of the level
        jump = {**rows[-1], "date": "2024-02-27", "open": last, "high": last + 10.5,
                "low": last - 0.5, "close": last + 10.0, "adjusted_close": last + 10.0}
        vendor.daily["AAPL.US"] = [*rows, jump]
        assert run(ctx, "sync", "AAPL.US") == 0
        out, err = capsys.readouterr()
        assert "alert: AAPL.US 2024-02-27 AAPL over:" in out and "delivered 1" in out
        assert len(script.posts) == 1 and script.posts[0][0] == "/hook/SECRET-TOKEN"
        assert script.posts[0][1]["symbol"] == "AAPL.US"
        assert "SECRET-TOKEN" not in out + err
        assert run(ctx, "alerts", "run") == 0  # the same data again: nothing new
        assert "0 fired" in capsys.readouterr().out and len(script.posts) == 1
    assert run(ctx, "alerts", "history") == 0
    assert "AAPL.US      2024-02-27  AAPL over: AAPL.US: closed through" in capsys.readouterr().out


def test_rules_are_listed_disabled_and_removed(ctx, capsys):
    assert run(ctx, "alerts", "add", "--name", "state", "--symbol", "MSFT.US", "--kind",
               "state", "--params", '{"to": "trend"}') == 0
    rid = rule_id(capsys.readouterr().out)
    assert run(ctx, "alerts", "disable", rid) == 0
    assert run(ctx, "alerts", "list") == 0
    out = capsys.readouterr().out
    assert f"{rid}  off  state" in out and '"to": "trend"' in out
    assert run(ctx, "alerts", "remove", rid) == 0
    capsys.readouterr()
    assert run(ctx, "alerts", "list") == 0
    assert "No alert rules" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "message"), [
    (["--kind", "price_cross", "--params", "{level"], "--params is not JSON"),
    (["--kind", "moon_phase"], "kind"),
    (["--kind", "price_cross", "--params", '{"direction": "up"}'], "params.level"),
    (["--kind", "price_cross", "--params", '{"level": 1}', "--channels", "pigeon"],
     "channels"),
])
def test_a_bad_rule_is_refused_naming_the_field_and_nothing_is_stored(ctx, capsys, argv,
                                                                      message):
    assert run(ctx, "alerts", "add", "--name", "x", "--symbol", "A.US", *argv) == 2
    assert message in capsys.readouterr().err
    assert run(ctx, "alerts", "list") == 0
    assert "No alert rules" in capsys.readouterr().out


def test_an_unknown_watchlist_is_named(ctx, capsys):
    assert run(ctx, "alerts", "add", "--name", "x", "--watchlist", "Nope", "--kind",
               "state") == 2
    assert "no watchlist named 'Nope'" in capsys.readouterr().err
