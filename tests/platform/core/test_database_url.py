"""The database URL's TLS settings reach asyncpg: `sslmode` and `sslrootcert` as libpq reads them.

Verification is tested against a loopback server that speaks PostgreSQL's TLS negotiation (SSLRequest, then a
real TLS handshake with its own certificate) and then refuses the login, so a connection that gets as far as
the refusal has verified the certificate; plain modes are tested against the local PostgreSQL, which serves
without TLS.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest
from piccolo.engine.postgres import PostgresEngine

from tests.tls import Certificate, self_signed
from windsurf.core import db

SSL_REQUEST = 80877103  # the protocol's SSLRequest code
REFUSED = "the loopback server verified nothing but refuses every login"


class TlsPostgres:
    """Answers SSLRequest with 'S', completes TLS with its certificate, then refuses the startup (28000)."""

    def __init__(self, certificate: Certificate) -> None:
        self.certificate = certificate
        self.handshakes = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await reader.readexactly(8)
            if int.from_bytes(request[4:], "big") != SSL_REQUEST:
                return
            writer.write(b"S")
            await writer.drain()
            await writer.start_tls(self.certificate.server_context())
            self.handshakes += 1
            length = int.from_bytes(await reader.readexactly(4), "big")
            await reader.readexactly(length - 4)  # the startup message
            fields = b"SFATAL\0C28000\0M" + REFUSED.encode() + b"\0\0"
            writer.write(b"E" + (len(fields) + 4).to_bytes(4, "big") + fields)
            await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # the client gave up: its certificate check failed
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def tls_postgres(tmp_path: Path) -> AsyncIterator[tuple[TlsPostgres, int]]:
    server = TlsPostgres(self_signed(tmp_path / "server"))
    port = await server.start()
    try:
        yield server, port
    finally:
        await server.stop()


async def connect(url: str) -> asyncpg.Connection:
    """As the app's pool connects: with the arguments its engine is built with (db.create_engine)."""
    return await asyncpg.connect(**db.postgres_connect_args(url), timeout=5)


async def test_verify_full_checks_the_certificate_against_sslrootcert(
    tls_postgres: tuple[TlsPostgres, int], tmp_path: Path
) -> None:
    server, port = tls_postgres
    root = quote(str(server.certificate.cert_path))
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="refuses every login"):
        await connect(f"postgres://app:pw@127.0.0.1:{port}/windsurf?sslmode=verify-full&sslrootcert={root}")
    assert server.handshakes == 1
    # Another authority's certificate, or the system's trust store alone: the handshake fails before login.
    stranger = quote(str(self_signed(tmp_path / "other").cert_path))
    for query in (f"sslmode=verify-full&sslrootcert={stranger}", "sslmode=verify-full", "sslmode=verify-ca"):
        with pytest.raises(ssl.SSLCertVerificationError):
            await connect(f"postgres://app:pw@127.0.0.1:{port}/windsurf?{query}")
    assert server.handshakes == 1


async def test_verify_full_checks_the_host_name_and_verify_ca_does_not(tmp_path: Path) -> None:
    server = TlsPostgres(self_signed(tmp_path, "db.internal"))
    port = await server.start()
    try:
        root = quote(str(server.certificate.cert_path))
        url = f"postgres://app:pw@127.0.0.1:{port}/windsurf?sslrootcert={root}&sslmode="
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch"):
            await connect(url + "verify-full")
        with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError):
            await connect(url + "verify-ca")
        assert server.handshakes == 1
    finally:
        await server.stop()


async def test_plain_modes_against_a_server_without_tls(postgres_urls: dict[str, str]) -> None:
    owner = postgres_urls["owner"]
    for query in ("", "?sslmode=disable", "?sslmode=prefer", "?sslmode=allow"):
        connection = await connect(owner + query)
        try:
            assert await connection.fetchval("SELECT 1") == 1
        finally:
            await connection.close()
    # `require` must not fall back to plain text when the server has no TLS.
    with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
        await connect(owner + "?sslmode=require")


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("sslmode=verify_full", "sslmode"),
        ("sslmode=verify-full&sslrootcert=/nonexistent/rds.pem", "sslrootcert"),
    ],
)
def test_a_malformed_tls_setting_is_refused_by_name(query: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        db.postgres_connect_args(f"postgres://app@db.internal/windsurf?{query}")


def test_the_database_name_and_password_are_read_around_the_query() -> None:
    config = db.postgres_connect_args("postgres://app:p%23w%3F@db.internal:6432/windsurf?sslmode=disable")
    assert (config["host"], config["port"], config["database"]) == ("db.internal", 6432, "windsurf")
    assert config["password"] == "p#w?" and config["ssl"] is False


@pytest.mark.parametrize("size", [1, 3, 12])
async def test_the_pool_starts_at_any_size(postgres_urls: dict[str, str], size: int) -> None:
    """A pool smaller than asyncpg's default ten connections once failed to start, and every query then opened
    a connection of its own."""
    engine = db.create_engine(postgres_urls["app"])
    assert await db.start_pool(engine, size)
    try:
        assert isinstance(engine, PostgresEngine) and engine.pool is not None
        assert engine.pool.get_max_size() == size and engine.pool.get_min_size() == min(
            size, db.POOL_START_SIZE
        )
    finally:
        await db.close_pool(engine)
