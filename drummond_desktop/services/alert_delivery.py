"""``AlertDeliveryService``: the alert outbox out to its channels, retried until sent or given up.

Channels:

* ``panel`` - the alert history itself (``AlertRepository.latest``); no outbox row.
* ``tray``, ``sound`` - shown by the app: ``take_notices`` claims the due rows, the app shows
  them and calls ``acknowledge`` (with an error text when it could not).
* ``email`` - SMTP (``SmtpConfig``: host, port, STARTTLS / SSL / plain, username). The password
  lives in the OS keyring under ``SMTP_PASSWORD`` (``core.secrets.SecretStore``) and reaches
  this service as a callable; it is registered for log redaction when read, and scrubbed from
  every failure text this module writes.
* ``webhook`` - an HTTP POST of the event as JSON (``WebhookConfig``). The URL may carry a
  token: logs and stored errors name only its scheme and host.

``deliver(request, cancel, progress)`` sends the due ``email``/``webhook`` rows. A failure is
logged with the channel and reason and counted in the outbox: transient ones (connection errors,
timeouts, HTTP 5xx and 429, SMTP 4xx) are retried with exponential backoff (``RetryPolicy``);
permanent ones (other HTTP 4xx, SMTP 5xx, a refused login, a channel not configured) fail at
once. A row that runs out of attempts is ``failed``, logged as an error, and kept.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx

from drummond_desktop.core import log_setup
from drummond_desktop.core.tasks import CancelToken, Progress, no_progress
from drummond_desktop.store.alert_outbox import AlertOutbox, Delivery, RetryPolicy

log = logging.getLogger(__name__)

SMTP_PASSWORD = "alert-smtp-password"  # the keyring name of the SMTP password
SENT_BY_SERVICE = ("email", "webhook")
SHOWN_BY_APP = ("tray", "sound")
SECURITY = ("starttls", "ssl", "none")
_MAX_SNIPPET = 200


@dataclass(frozen=True)
class SmtpConfig:
    """Where e-mail goes. ``security``: ``starttls`` (port 587), ``ssl`` (port 465) or
    ``none`` (a local relay only: a login would cross the network in clear text)."""

    host: str
    sender: str
    recipients: tuple[str, ...]
    port: int = 587
    security: str = "starttls"
    username: str = ""
    timeout_s: float = 20.0

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise ValueError("SmtpConfig.host: must not be blank")
        if isinstance(self.port, bool) or not 0 < self.port < 65_536:
            raise ValueError(f"SmtpConfig.port: must be 1-65535, got {self.port!r}")
        if self.security not in SECURITY:
            raise ValueError(f"SmtpConfig.security: must be one of {', '.join(SECURITY)}, "
                             f"got {self.security!r}")
        if "@" not in self.sender:
            raise ValueError(f"SmtpConfig.sender: must be an e-mail address, got {self.sender!r}")
        if isinstance(self.recipients, str) or not self.recipients or \
                not all("@" in r for r in self.recipients):
            raise ValueError("SmtpConfig.recipients: must be one or more e-mail addresses")


@dataclass(frozen=True)
class WebhookConfig:
    url: str = field(repr=False)  # may carry a token: never shown whole
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"WebhookConfig.url: must be an http(s) URL with a host, got one "
                             f"starting {parts.scheme or '?'}://{parts.hostname or '?'}")

    @property
    def shown(self) -> str:
        """What logs and errors may name: the scheme and host (and a non-default port)."""
        return safe_url(self.url)


@dataclass(frozen=True)
class DeliveryConfig:
    """What the service may use; a channel without its config fails its rows permanently."""

    email: SmtpConfig | None = None
    webhook: WebhookConfig | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    batch: int = 50
    lease_s: float = 300.0


@dataclass(frozen=True)
class DeliveryRequest:
    channels: tuple[str, ...] = SENT_BY_SERVICE


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    failures: tuple[tuple[int, str, str], ...] = ()  # (delivery id, channel, reason)


class SendFailed(Exception):
    """A delivery attempt failed; ``reason`` is safe to store and log (no secret, no URL)."""

    def __init__(self, reason: str, *, permanent: bool, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after_s = retry_after_s


def safe_url(url: str) -> str:
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or '?'}{port}"


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat().replace("+00:00", "Z")


def event_body(d: Delivery) -> dict[str, Any]:
    """The JSON a webhook receives (and the facts an e-mail lists)."""
    try:
        payload = json.loads(d.payload or "{}")
    except ValueError:
        payload = {}
    return {"rule": {"id": d.rule_id, "name": d.rule_name}, "event_id": d.event_id,
            "symbol": d.symbol, "bar_ts": d.bar_ts, "bar_time": _iso(d.bar_ts),
            "fired_at": _iso(d.fired_at / 1_000_000), "message": d.message, "payload": payload}


class AlertDeliveryService:
    """``password`` returns the SMTP password (e.g. ``lambda: secrets.get(SMTP_PASSWORD)``);
    ``http`` is the app's shared client; ``smtp``/``smtp_ssl`` build SMTP connections."""

    def __init__(self, outbox: AlertOutbox, config: DeliveryConfig, *, http: httpx.Client,
                 password: Callable[[], str | None] = lambda: None,
                 smtp: Callable[..., smtplib.SMTP] = smtplib.SMTP,
                 smtp_ssl: Callable[..., smtplib.SMTP] = smtplib.SMTP_SSL,
                 tls: ssl.SSLContext | None = None) -> None:
        self._outbox = outbox
        self._config = config
        self._http = http
        self._password = password
        self._smtp, self._smtp_ssl = smtp, smtp_ssl
        self._tls = tls

    # -- service-sent channels ----------------------------------------------------------------
    def deliver(self, request: DeliveryRequest | None = None, cancel: CancelToken | None = None,
                progress: Progress = no_progress) -> DeliveryReport:
        """Send the due e-mail and webhook rows once each; record every outcome."""
        token = cancel if cancel is not None else CancelToken()
        channels = [c for c in (request or DeliveryRequest()).channels if c in SENT_BY_SERVICE]
        token.raise_if_cancelled()
        due = self._outbox.claim(channels, self._config.batch, self._config.lease_s)
        sent = retrying = failed = 0
        failures: list[tuple[int, str, str]] = []
        for i, d in enumerate(due):
            # a cancelled run leaves its other claimed rows to the next one (after the lease)
            token.raise_if_cancelled()
            progress(i, len(due), f"sending alert {d.event_id} by {d.channel}")
            try:
                self._send(d)
            except SendFailed as exc:
                row = self._record_failure(d, exc)
                failures.append((d.id, d.channel, exc.reason))
                failed, retrying = failed + (row.status == "failed"), \
                    retrying + (row.status == "pending")
            else:
                self._outbox.mark_sent(d.id)
                sent += 1
        progress(len(due), len(due), "alerts sent")
        return DeliveryReport(sent, retrying, failed, tuple(failures))

    def _send(self, d: Delivery) -> None:
        if d.channel == "email":
            self._send_email(d)
        elif d.channel == "webhook":
            self._send_webhook(d)
        else:
            raise SendFailed(f"channel {d.channel!r} is not sent by this service",
                             permanent=True)

    def _record_failure(self, d: Delivery, exc: SendFailed) -> Delivery:
        policy = self._config.retry
        row = self._outbox.record_failure(d.id, exc.reason, permanent=exc.permanent,
                                          policy=policy, retry_after_s=exc.retry_after_s)
        if row.status == "failed":
            log.error("alert %d via %s failed for good after %d attempt(s): %s", d.event_id,
                      d.channel, row.attempts, exc.reason)
        else:
            wait = (row.next_attempt_at - row.updated_at) / 1_000_000
            log.warning("alert %d via %s failed (attempt %d of %d): %s; retrying in %.0f s",
                        d.event_id, d.channel, row.attempts, policy.max_attempts, exc.reason,
                        wait)
        return row

    # -- webhook ------------------------------------------------------------------------------
    def _send_webhook(self, d: Delivery) -> None:
        cfg = self._config.webhook
        if cfg is None:
            raise SendFailed("no webhook URL is configured", permanent=True)
        try:
            resp = self._http.post(cfg.url, json=event_body(d), timeout=cfg.timeout_s)
        except httpx.TransportError as exc:  # connection refused, DNS, timeouts, TLS
            raise SendFailed(f"{type(exc).__name__} reaching {cfg.shown}",
                             permanent=False) from None
        except httpx.HTTPError as exc:
            raise SendFailed(f"{type(exc).__name__} posting to {cfg.shown}",
                             permanent=True) from None
        if resp.is_success:
            log.info("alert %d sent to the webhook at %s", d.event_id, cfg.shown)
            return
        code = resp.status_code
        snippet = _scrub(resp.text[:_MAX_SNIPPET].strip(), url=cfg.url)
        reason = f"HTTP {code} {resp.reason_phrase} from {cfg.shown}" + \
            (f": {snippet}" if snippet else "")
        transient = code == 429 or code >= 500
        raise SendFailed(reason, permanent=not transient,
                         retry_after_s=_retry_after(resp) if transient else None)

    # -- e-mail -------------------------------------------------------------------------------
    def _send_email(self, d: Delivery) -> None:
        cfg = self._config.email
        if cfg is None:
            raise SendFailed("e-mail is not configured", permanent=True)
        password = self._password() if cfg.username else None
        if cfg.username and not password:
            raise SendFailed(f"no SMTP password is stored for {cfg.username} (set it in the "
                             "alert settings)", permanent=False)
        if password:
            log_setup.register_secret(password)
        try:
            self._smtp_send(cfg, password, self._message(cfg, d))
        except smtplib.SMTPAuthenticationError as exc:  # 454 is a temporary refusal
            raise SendFailed(_smtp_reason("login refused", exc, password),
                             permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPResponseException as exc:
            raise SendFailed(_smtp_reason("refused", exc, password),
                             permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [int(code) for code, _ in exc.recipients.values()]
            raise SendFailed(f"SMTP refused every recipient (codes {codes})",
                             permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise SendFailed(f"SMTP server at {cfg.host}: {_scrub(str(exc), password)}",
                             permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:  # disconnects, refusals, timeouts
            raise SendFailed(f"SMTP {type(exc).__name__} with {cfg.host}:{cfg.port}: "
                             f"{_scrub(str(exc), password)}", permanent=False) from None
        log.info("alert %d e-mailed to %d recipient(s) through %s", d.event_id,
                 len(cfg.recipients), cfg.host)

    def _smtp_send(self, cfg: SmtpConfig, password: str | None, msg: EmailMessage) -> None:
        tls = self._tls or ssl.create_default_context()
        if cfg.security == "ssl":
            conn = self._smtp_ssl(cfg.host, cfg.port, timeout=cfg.timeout_s, context=tls)
        else:
            conn = self._smtp(cfg.host, cfg.port, timeout=cfg.timeout_s)
        with conn:
            if cfg.security == "starttls":
                conn.starttls(context=tls)
            if cfg.username:
                conn.login(cfg.username, password or "")
            conn.send_message(msg)

    @staticmethod
    def _message(cfg: SmtpConfig, d: Delivery) -> EmailMessage:
        body = event_body(d)
        msg = EmailMessage()
        msg["Subject"] = f"[Drummond] {d.rule_name}: {d.symbol}"
        msg["From"] = cfg.sender
        msg["To"] = ", ".join(cfg.recipients)
        msg.set_content(f"{d.message}\n\nRule: {d.rule_name}\nSymbol: {d.symbol}\n"
                        f"Bar: {body['bar_time']}\nFired: {body['fired_at']}\n\n"
                        f"{json.dumps(body['payload'], indent=2, sort_keys=True)}\n")
        return msg

    # -- app-shown channels -------------------------------------------------------------------
    def take_notices(self, channels: Sequence[str] = SHOWN_BY_APP, limit: int = 20,
                     lease_s: float = 60.0) -> list[Delivery]:
        """Due tray/sound rows for the app to show; each must be ``acknowledge``-d (a row
        not acknowledged within ``lease_s`` comes back)."""
        wanted = [c for c in channels if c in SHOWN_BY_APP]
        return self._outbox.claim(wanted, limit, lease_s) if wanted else []

    def acknowledge(self, delivery_id: int, error: str | None = None) -> Delivery:
        """The app showed the notice, or (``error``) could not; a failure is retried."""
        if error is None:
            return self._outbox.mark_sent(delivery_id)
        d = self._outbox.get(delivery_id)
        return self._record_failure(d, SendFailed(_scrub(error), permanent=False))


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(float(resp.headers.get("Retry-After", "")), 0.0)
    except ValueError:
        return None


def _scrub(text: str, password: str | None = None, url: str | None = None) -> str:
    """``text`` without the password, the webhook URL (whole, its path or its query), any
    registered secret, or credential-looking query values."""
    pieces = [password or ""]
    if url:
        parts = urlsplit(url)
        pieces += [url, parts.path if len(parts.path) > 1 else "", parts.query]
    for piece in sorted(filter(None, pieces), key=len, reverse=True):
        text = text.replace(piece, log_setup.MASK)
    return log_setup.redact(text)


def _smtp_reason(what: str, exc: smtplib.SMTPResponseException, password: str | None) -> str:
    reply = exc.smtp_error
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {what}: {exc.smtp_code} {_scrub(text.strip(), password)[:_MAX_SNIPPET]}"
