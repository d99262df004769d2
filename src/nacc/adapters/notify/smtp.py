"""E-mail over SMTP (``smtplib``): one connection per notice, STARTTLS if asked."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from nacc.ports.notify import DeliveryFailed, Outgoing


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False,
                 timeout_s: float = 10.0) -> None:  # fmt: skip
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.timeout_s = starttls, timeout_s

    def message(self, msg: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = msg.to
        mail["Subject"] = msg.subject
        mail["Content-Language"] = msg.lang
        mail["X-Nacc-Notice"] = msg.key
        mail.set_content(msg.body)  # UTF-8, so Korean text arrives as written
        return mail

    def send(self, msg: Outgoing) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                smtp.send_message(self.message(msg))
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"smtp {self.host}:{self.port}: {error}") from None
