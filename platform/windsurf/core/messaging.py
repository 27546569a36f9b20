"""Outgoing SMS and email through a configured backend: console (development), SMTP, or recording (tests)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import httpx

from windsurf.core import offload
from windsurf.settings import Settings

_log = logging.getLogger("windsurf.messaging")


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    # Extra headers (List-Unsubscribe, Message-ID...) for mail sent in bulk; transactional mail has none.
    headers: Mapping[str, str] = field(default_factory=dict)


class SmsBackend(Protocol):
    async def send_sms(self, message: Sms) -> None: ...


class EmailBackend(Protocol):
    async def send_email(self, message: Email) -> None: ...


class ConsoleBackend:
    """Prints messages to the log: what `make run` uses, so a developer can read the codes it sends."""

    async def send_sms(self, message: Sms) -> None:
        _log.warning("SMS to %s: %s", message.to, message.body)

    async def send_email(self, message: Email) -> None:
        _log.warning("email to %s: %s\n%s", message.to, message.subject, message.body)


@dataclass
class RecordingBackend:
    """Keeps what was sent, in order, so a test can read the code a person would have received."""

    sms: list[Sms] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)

    async def send_sms(self, message: Sms) -> None:
        self.sms.append(message)

    async def send_email(self, message: Email) -> None:
        self.emails.append(message)


@dataclass(frozen=True)
class SmtpBackend:
    """A mail relay (Amazon SES's SMTP endpoint or another), optionally over STARTTLS and with AUTH.

    With credentials the connection must be upgraded to TLS before they are sent: a relay that does not offer
    STARTTLS is refused rather than given the password in clear.
    """

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = False
    timeout: float = 10.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    async def send_email(self, message: Email) -> None:
        await offload.io(self._send, message)

    def _send(self, message: Email) -> None:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        for name, value in message.headers.items():
            mail[name] = value
        mail.set_content(message.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as client:
            if self.starttls or self.username:
                # starttls() raises SMTPNotSupportedError when the relay does not offer it: never AUTH in clear.
                client.starttls(context=self.tls_context or ssl.create_default_context())
            if self.username:
                client.login(self.username, self.password)
            client.send_message(mail)


@dataclass(frozen=True)
class HttpSmsBackend:
    """An SMS gateway's JSON API (AfroMessage's shape): POST {to, message, sender} with a bearer token.

    A gateway that answers anything but a 2xx with ``"acknowledge": "success"`` has not taken the message,
    so the job fails and the outbox retries it.
    """

    url: str
    token: str
    sender: str
    timeout: float = 10.0

    async def send_sms(self, message: Sms) -> None:
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            response = await client.post(
                self.url,
                json={"to": message.to, "message": message.body, "sender": self.sender},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        answer = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if not response.is_success or answer.get("acknowledge") != "success":
            # Never the body: it may carry a login code.
            raise RuntimeError(f"SMS gateway refused the message: HTTP {response.status_code}")


def build_sms_backend(settings: Settings) -> SmsBackend:
    if settings.sms_backend == "http":
        return HttpSmsBackend(settings.sms_url, settings.sms_token, settings.sms_sender)
    return RecordingBackend() if settings.sms_backend == "recording" else ConsoleBackend()


def build_email_backend(settings: Settings) -> EmailBackend:
    if settings.email_backend == "smtp":
        return SmtpBackend(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )
    return RecordingBackend() if settings.email_backend == "recording" else ConsoleBackend()
