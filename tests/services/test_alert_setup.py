"""``delivery_config``: the settings' e-mail fields and the keyring's webhook URL become the
delivery configuration; what is not set is left out (its deliveries then fail, saying so)."""

from __future__ import annotations

from drummond_desktop.core.settings import Settings
from drummond_desktop.services.alert_setup import delivery_config


def test_email_from_the_settings_and_the_webhook_from_the_keyring():
    s = Settings(alert_email_host="smtp.example.com", alert_email_port=465,
                 alert_email_security="ssl", alert_email_username="me",
                 alert_email_from="me@example.com", alert_email_to=["a@example.com"],
                 alert_delivery_max_attempts=3)
    cfg = delivery_config(s, "https://hooks.example.com/T0KEN")
    assert cfg.email is not None and cfg.email.host == "smtp.example.com"
    assert (cfg.email.port, cfg.email.security, cfg.email.username) == (465, "ssl", "me")
    assert cfg.email.recipients == ("a@example.com",)
    assert cfg.webhook is not None and cfg.webhook.shown == "https://hooks.example.com"
    assert "T0KEN" not in repr(cfg)
    assert cfg.retry.max_attempts == 3


def test_nothing_configured_means_no_email_and_no_webhook():
    cfg = delivery_config(Settings(), None)
    assert cfg.email is None and cfg.webhook is None and cfg.retry.max_attempts == 6
