"""The alert services as the front ends get them: the delivery configuration built from the
settings (e-mail) and the keyring (the SMTP password and the webhook URL, which carries its
token), and the names of those secrets. Qt-free; ``AppContext`` builds the services with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drummond_desktop.services.alert_delivery import DeliveryConfig, SmtpConfig, WebhookConfig
from drummond_desktop.store.alert_outbox import RetryPolicy

if TYPE_CHECKING:
    from drummond_desktop.core.settings import Settings

WEBHOOK_URL = "alert-webhook-url"  # the keyring name of the webhook URL (it is a credential)


def delivery_config(settings: Settings, webhook_url: str | None) -> DeliveryConfig:
    """E-mail when ``alert_email_host`` is set, the webhook when its URL is stored; a channel
    without its configuration fails its deliveries with a message saying what to set."""
    email = None
    if settings.alert_email_host:
        email = SmtpConfig(settings.alert_email_host, settings.alert_email_from,
                           tuple(settings.alert_email_to), port=settings.alert_email_port,
                           security=settings.alert_email_security,
                           username=settings.alert_email_username)
    webhook = WebhookConfig(webhook_url) if webhook_url else None
    return DeliveryConfig(email=email, webhook=webhook,
                          retry=RetryPolicy(max_attempts=settings.alert_delivery_max_attempts))
