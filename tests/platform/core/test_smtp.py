"""The SMTP email backend against a real SMTP server (aiosmtpd) on loopback, through the outbox."""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.conftest import make_settings
from tests.tls import self_signed
from windsurf.core import jobs, security
from windsurf.core.messaging import Email, SmtpBackend, build_email_backend
from windsurf.core.migrate import migrate
from windsurf.core.uow import unit_of_work


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_smtp_backend_delivers_utf8_mail(smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    backend = SmtpBackend("127.0.0.1", port, "Stan Store Windsurf <no-reply@windsurf.et>")
    await backend.send_email(
        Email(to="hana@example.com", subject="የይለፍ ቃል ዳግም ማስጀመሪያ", body="ሰላም ሐና\nhttps://x/y")
    )
    assert len(inbox.messages) == 1
    sender, recipients, message = inbox.messages[0]
    assert sender == "no-reply@windsurf.et" and recipients == ["hana@example.com"]
    assert message["Subject"] == "የይለፍ ቃል ዳግም ማስጀመሪያ"
    assert "ሰላም ሐና" in message.get_content()


async def test_reset_link_job_sends_through_smtp(smtp_server: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp_server
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'smtp.sqlite'}",
        email_backend="smtp",
        smtp_port=port,
        var_dir=tmp_path,
    )
    await migrate(settings)
    from windsurf.app import create_app

    app = create_app(settings)
    assert isinstance(app.state.jobs.email, SmtpBackend)
    async with unit_of_work() as uow:
        await jobs.enqueue(
            uow,
            "identity.send_reset_link",
            {
                "email": "abebe@example.com",
                "reset_url": "https://w/r",
                "sealed_token": security.seal(settings.secret_key, "1"),
                "locale": "en",
            },
        )
    assert await jobs.run_due_jobs(app.state.jobs) == 1
    (_, recipients, message) = inbox.messages[-1]
    assert recipients == ["abebe@example.com"]
    assert message["Subject"] == "Reset your Stan Store Windsurf password"
    assert "https://w/r?token=1" in message.get_content()


async def test_unreachable_smtp_server_fails_the_job_for_a_retry(tmp_path: Path) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'smtp.sqlite'}",
        email_backend="smtp",
        smtp_port=1,
        var_dir=tmp_path,
    )
    await migrate(settings)
    from windsurf.app import create_app

    app = create_app(settings)
    assert isinstance(build_email_backend(settings), SmtpBackend)
    async with unit_of_work() as uow:
        job_id = await jobs.enqueue(
            uow,
            "identity.send_reset_link",
            {
                "email": "a@example.com",
                "reset_url": "u",
                "sealed_token": security.seal(settings.secret_key, "1"),
                "locale": "en",
            },
        )
    assert await jobs.run_due_jobs(app.state.jobs) == 1
    from windsurf.core.tables import Job

    row = await Job.select().where(Job.id == job_id).first()
    assert row is not None and row["status"] == "pending" and "ConnectionRefusedError" in row["last_error"]


# ---- a relay that requires STARTTLS and AUTH, as Amazon SES's SMTP endpoint does ----

RELAY_USER, RELAY_PASSWORD = "AKIAEXAMPLESMTPUSER", "BHx+9/sesSmtp#Password%"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        RELAY_USER.encode(),
        RELAY_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_relay(tmp_path: Path) -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    """An SMTP server that refuses mail before STARTTLS and AUTH; yields the context that trusts it."""
    certificate = self_signed(tmp_path)
    server_tls, client_tls = certificate.server_context(), certificate.client_context()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_tls,
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        authenticator=_authenticator,
    )
    controller.start()
    try:
        yield inbox, port, client_tls
    finally:
        controller.stop()


def _relay_backend(port: int, tls: ssl.SSLContext, **changes: Any) -> SmtpBackend:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "no-reply@windsurf.et",
        "username": RELAY_USER,
        "password": RELAY_PASSWORD,
        "starttls": True,
        "tls_context": tls,
    }
    return SmtpBackend(**{**values, **changes})


async def test_smtp_backend_upgrades_to_tls_and_authenticates(
    auth_relay: tuple[Inbox, int, ssl.SSLContext],
) -> None:
    inbox, port, tls = auth_relay
    await _relay_backend(port, tls).send_email(Email(to="hana@example.com", subject="ሰላም", body="ኮድ 123456"))
    assert [(m[1], m[2]["Subject"]) for m in inbox.messages] == [(["hana@example.com"], "ሰላም")]


async def test_wrong_credentials_or_no_tls_are_refused_and_nothing_is_sent(
    auth_relay: tuple[Inbox, int, ssl.SSLContext], smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port, tls = auth_relay
    with pytest.raises(smtplib.SMTPAuthenticationError):
        await _relay_backend(port, tls, password="wrong").send_email(Email("a@example.com", "s", "b"))
    with pytest.raises(smtplib.SMTPSenderRefused):  # no AUTH: the relay requires it (530)
        await _relay_backend(port, tls, username="", password="").send_email(Email("a@example.com", "s", "b"))
    with pytest.raises(ssl.SSLCertVerificationError):  # a relay whose certificate is not trusted
        await _relay_backend(port, None).send_email(Email("a@example.com", "s", "b"))
    assert inbox.messages == []
    # Credentials are never sent over a connection that cannot be upgraded to TLS.
    plain_inbox, plain_port = smtp_server
    with pytest.raises(smtplib.SMTPNotSupportedError):
        await _relay_backend(plain_port, tls).send_email(Email("a@example.com", "s", "b"))
    assert plain_inbox.messages == []


def test_settings_configure_the_relay_credentials() -> None:
    settings = make_settings(
        email_backend="smtp",
        smtp_host="email-smtp.af-south-1.amazonaws.com",
        smtp_port=587,
        smtp_username=RELAY_USER,
        smtp_password=RELAY_PASSWORD,
        smtp_starttls=True,
    )
    backend = build_email_backend(settings)
    assert backend == SmtpBackend(
        "email-smtp.af-south-1.amazonaws.com",
        587,
        settings.email_from,
        username=RELAY_USER,
        password=RELAY_PASSWORD,
        starttls=True,
    )
    assert RELAY_PASSWORD not in repr(backend) and RELAY_PASSWORD not in repr(settings)
