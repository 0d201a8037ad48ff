"""AlertDeliveryService against real local servers: a webhook retried after a 500 and delivered,
refused for good on a 400, its tokened URL never logged or stored; e-mail through a real SMTP
conversation with the password from the keyring never in a log record or an error text; tray and
sound notices popped and acknowledged by the app."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring.backend
import pytest

from drummond_desktop.core import log_setup
from drummond_desktop.core.secrets import SecretStore
from drummond_desktop.services.alert_delivery import (
    SMTP_PASSWORD,
    AlertDeliveryService,
    DeliveryConfig,
    DeliveryRequest,
    SmtpConfig,
    WebhookConfig,
)
from drummond_desktop.store import UserStore, open_user_store
from drummond_desktop.store.alert_outbox import RetryPolicy
from drummond_desktop.store.alert_spec import AlertRuleSpec
from drummond_desktop.store.alerts import AlertRepository, NewEvent
from tests.services.local_servers import HttpScript, SmtpScript, http_server, smtp_server

NOW = 1_767_225_600.0
TOKEN_PATH = "/hooks/T0KEN-path-8f3a9c"
TOKEN_QUERY = "key=Q-secret-77d1e0"
PASSWORD = "s3cret-Pa55-word!"
POLICY = RetryPolicy(max_attempts=3, base_delay_s=60, max_delay_s=600)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.data.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.data[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.data.pop((service, username), None)


@pytest.fixture
def user(tmp_path: Path) -> Iterator[UserStore]:
    with open_user_store(f"sqlite:///{tmp_path / 'user.sqlite'}") as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo(user: UserStore, clock: Clock) -> AlertRepository:
    return AlertRepository(user.engine, user.where, clock)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def secrets(monkeypatch) -> Iterator[SecretStore]:
    monkeypatch.setattr("drummond_desktop.core.secrets.is_secure_backend", lambda b: True)
    store = SecretStore(MemoryKeyring(), environ={})
    yield store
    log_setup.forget_secret(PASSWORD)


def fire(repo: AlertRepository, channels: list[str]) -> int:
    rule = repo.create(AlertRuleSpec("AAA over 100", "symbol", "AAA.US", "price_cross",
                                     {"level": 100}, channels))
    (event,) = repo.record_evaluation(rule, {}, [NewEvent(
        "AAA.US", 1_704_067_200, "AAA.US: closed through 100 from below (close 101)",
        {"close": 101.0, "level": 100.0})])
    return event.id


def clean(caplog, *secrets: str) -> None:
    """No log record, formatted or with its exception, carries any of ``secrets``."""
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in secrets:
            assert secret not in text, (secret, text)


# -- webhook ---------------------------------------------------------------------------------
def webhook_service(repo, http, base: str) -> AlertDeliveryService:
    url = f"{base}{TOKEN_PATH}?{TOKEN_QUERY}"
    return AlertDeliveryService(repo.outbox, DeliveryConfig(webhook=WebhookConfig(url),
                                                            retry=POLICY), http=http)


def test_webhook_500_is_retried_after_the_backoff_then_delivered(repo, http, clock, caplog):
    caplog.set_level(logging.DEBUG, logger="drummond_desktop")
    event_id = fire(repo, ["webhook"])
    script = HttpScript([(500, "boom", {}), (200, "ok", {})])
    with http_server(script) as base:
        service = webhook_service(repo, http, base)
        first = service.deliver()
        assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
        (row,) = repo.outbox.deliveries(event_id=event_id)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.last_error.startswith(f"HTTP 500 Internal Server Error from {base}")
        assert service.deliver().sent == 0  # not due before the backoff
        clock.now += 60
        assert service.deliver().sent == 1
    (row,) = repo.outbox.deliveries(event_id=event_id)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(script.posts) == 2
    path, body = script.posts[-1]
    assert path == f"{TOKEN_PATH}?{TOKEN_QUERY}"
    assert (body["symbol"], body["rule"]["name"], body["payload"]["level"]) == \
        ("AAA.US", "AAA over 100", 100.0)
    assert body["bar_time"] == "2024-01-01T00:00:00Z"
    warning = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warning) == 1 and "via webhook" in warning[0].getMessage()
    assert "HTTP 500" in warning[0].getMessage()
    clean(caplog, TOKEN_PATH, TOKEN_QUERY, "T0KEN", "Q-secret")


def test_webhook_400_fails_for_good_at_once_with_the_reason(repo, http, caplog):
    caplog.set_level(logging.DEBUG, logger="drummond_desktop")
    event_id = fire(repo, ["webhook"])
    echo = f"unknown hook {TOKEN_PATH}"  # a server that echoes the secret path back
    with http_server(HttpScript([(400, echo, {})])) as base:
        report = webhook_service(repo, http, base).deliver()
    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    (row,) = repo.outbox.deliveries(event_id=event_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith(f"HTTP 400 Bad Request from {base}: unknown hook")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "via webhook failed for good" in errors[0].getMessage()
    clean(caplog, TOKEN_PATH, TOKEN_QUERY, "T0KEN")
    assert "T0KEN" not in row.last_error and "T0KEN" not in repr(report)


def test_webhook_429_waits_for_retry_after_and_a_dead_server_is_retried_then_given_up(
        repo, http, clock, caplog):
    fire(repo, ["webhook"])
    with http_server(HttpScript([(429, "", {"Retry-After": "300"})])) as base:
        service = webhook_service(repo, http, base)
        service.deliver()
    (row,) = repo.outbox.deliveries()
    assert row.status == "pending" and row.next_attempt_at - row.updated_at == 300_000_000
    for _ in range(2):  # the server is gone now: connection refused, twice more
        clock.now += 600
        service.deliver()
    (row,) = repo.outbox.deliveries()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("ConnectError reaching http://127.0.0.1:")


def test_an_unconfigured_channel_fails_its_rows_permanently(repo, http):
    fire(repo, ["webhook", "email"])
    service = AlertDeliveryService(repo.outbox, DeliveryConfig(retry=POLICY), http=http)
    report = service.deliver()
    assert report.failed == 2
    reasons = sorted(r.last_error for r in repo.outbox.deliveries(status="failed"))
    assert reasons == ["e-mail is not configured", "no webhook URL is configured"]


def test_webhook_config_refuses_a_bad_url_without_showing_it():
    with pytest.raises(ValueError) as caught:
        WebhookConfig("ftp://hooks.test/T0KEN")
    assert "T0KEN" not in str(caught.value)
    assert "T0KEN" not in repr(WebhookConfig("https://hooks.test/T0KEN"))


# -- e-mail ----------------------------------------------------------------------------------
def email_service(repo, http, port: int, secrets: SecretStore, **kw) -> AlertDeliveryService:
    cfg = SmtpConfig(host="127.0.0.1", port=port, security=kw.pop("security", "none"),
                     username="alerts@example.test", sender="alerts@example.test",
                     recipients=("trader@example.test", "desk@example.test"))
    return AlertDeliveryService(repo.outbox, DeliveryConfig(email=cfg, retry=POLICY), http=http,
                                password=lambda: secrets.get(SMTP_PASSWORD))


def test_email_is_sent_with_the_keyring_password_and_it_is_never_logged(
        repo, http, secrets, caplog):
    caplog.set_level(logging.DEBUG)
    secrets.set(SMTP_PASSWORD, PASSWORD)
    event_id = fire(repo, ["email"])
    script = SmtpScript(password=PASSWORD)
    with smtp_server(script) as port:
        report = email_service(repo, http, port, secrets).deliver()
    assert report.sent == 1
    assert script.logins == [("alerts@example.test", PASSWORD)]
    (msg,) = script.messages
    assert msg["Subject"] == "[Drummond] AAA over 100: AAA.US"
    assert msg["To"] == "trader@example.test, desk@example.test"
    body = msg.get_content()
    assert "AAA.US: closed through 100 from below (close 101)" in body
    assert "Bar: 2024-01-01T00:00:00Z" in body
    assert script.envelopes == [("alerts@example.test",
                                 ["trader@example.test", "desk@example.test"])]
    assert repo.outbox.deliveries(event_id=event_id)[0].status == "sent"
    clean(caplog, PASSWORD)


def test_a_refused_login_fails_at_once_and_the_password_stays_out_of_every_text(
        repo, http, secrets, caplog):
    caplog.set_level(logging.DEBUG)
    secrets.set(SMTP_PASSWORD, PASSWORD)
    fire(repo, ["email"])
    script = SmtpScript(password="something-else")  # its refusal echoes what it was sent
    with smtp_server(script) as port:
        report = email_service(repo, http, port, secrets).deliver()
    assert report.failed == 1 and script.logins == [("alerts@example.test", PASSWORD)]
    (row,) = repo.outbox.deliveries()
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith("SMTP login refused: 535")
    assert PASSWORD not in row.last_error and PASSWORD not in repr(report)
    clean(caplog, PASSWORD)
    assert any("via email failed for good" in r.getMessage() for r in caplog.records)


def test_a_temporary_smtp_refusal_is_retried_and_then_delivered(repo, http, secrets, clock):
    secrets.set(SMTP_PASSWORD, PASSWORD)
    fire(repo, ["email"])
    script = SmtpScript(password=PASSWORD, mail_replies=["451 4.3.0 try again later", "250 OK"])
    with smtp_server(script) as port:
        service = email_service(repo, http, port, secrets)
        assert service.deliver().retrying == 1
        (row,) = repo.outbox.deliveries()
        assert row.last_error == "SMTP refused: 451 4.3.0 try again later"
        clock.now += 60
        assert service.deliver().sent == 1
    assert len(script.messages) == 1


def test_missing_password_is_retried_and_missing_starttls_fails(repo, http, secrets, clock):
    fire(repo, ["email"])
    script = SmtpScript(password=PASSWORD)
    with smtp_server(script) as port:
        email_service(repo, http, port, secrets).deliver()  # nothing in the keyring yet
        (row,) = repo.outbox.deliveries()
        assert row.status == "pending" and "no SMTP password is stored" in row.last_error
        secrets.set(SMTP_PASSWORD, PASSWORD)
        clock.now += 60
        email_service(repo, http, port, secrets, security="starttls").deliver()
    (row,) = repo.outbox.deliveries()
    assert row.status == "failed" and "STARTTLS" in row.last_error
    assert script.messages == [] and script.logins == []


def test_an_smtp_server_that_is_not_there_is_a_transient_failure(repo, http, secrets):
    secrets.set(SMTP_PASSWORD, PASSWORD)
    fire(repo, ["email"])
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    email_service(repo, http, port, secrets).deliver()
    (row,) = repo.outbox.deliveries()
    assert row.status == "pending" and row.last_error.startswith("SMTP ConnectionRefusedError")


# -- tray and sound --------------------------------------------------------------------------
def test_the_app_pops_tray_and_sound_notices_and_acknowledges_them(repo, http, clock, caplog):
    fire(repo, ["tray", "sound", "webhook"])
    service = AlertDeliveryService(repo.outbox, DeliveryConfig(retry=POLICY), http=http)
    notices = service.take_notices()
    assert sorted(n.channel for n in notices) == ["sound", "tray"]
    assert service.take_notices() == []  # leased to the app until acknowledged
    by = {n.channel: n for n in notices}
    assert service.acknowledge(by["tray"].id).status == "sent"
    failed = service.acknowledge(by["sound"].id, "no audio device")
    assert (failed.status, failed.last_error) == ("pending", "no audio device")
    assert any("via sound failed" in r.getMessage() for r in caplog.records)
    clock.now += 60
    assert [n.channel for n in service.take_notices()] == ["sound"]
    assert service.deliver(DeliveryRequest(("tray", "sound"))).sent == 0  # the app's, not ours
