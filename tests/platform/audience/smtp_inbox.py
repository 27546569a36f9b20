"""An SMTP server on loopback (aiosmtpd) that keeps what it accepted, for the broadcast tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    accepted: list[email.message.EmailMessage] = field(default_factory=list)
    # Called with the message before it is accepted; returns an SMTP reply to refuse it, or None to accept.
    before_accept: Callable[[email.message.EmailMessage], str | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Keep only mail to these addresses: a real worker runs every job due in the session's database, so it also
    # sends other tests' messages, which are taken and forgotten.
    only_to: set[str] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        if self.only_to is not None and str(message["To"]) not in self.only_to:
            return "250 OK"
        if self.before_accept is not None:
            refusal = self.before_accept(message)
            if refusal is not None:
                return refusal
        with self.lock:
            self.accepted.append(message)
        return "250 OK"

    def recipients(self) -> list[str]:
        with self.lock:
            return [str(message["To"]) for message in self.accepted]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()
