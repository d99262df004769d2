"""Notification channels: e-mail over SMTP (``smtp``) and webhooks (``webhook``)."""
