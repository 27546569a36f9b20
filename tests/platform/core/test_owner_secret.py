"""`windsurf migrate` reads the table owner's rotating password from Secrets Manager (moto's server on loopback,
spoken to by boto3 as it would speak to AWS)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.conftest import make_settings
from windsurf.core import owner_secret
from windsurf.core.migrate import migrate

# Every character RDS may put in a managed master password that a URL would misread.
PASSWORD = "a#b%c/d@e:f?g&h=i+j~k!l*m(n)o[p]q{r}s<t>u^v|w`x$y,z;0"
URL = "postgres://db.internal.example:5432/windsurf?sslmode=require"


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", f"http://{host}:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "af-south-1")
    try:
        yield boto3.client("secretsmanager", region_name="af-south-1")
    finally:
        server.stop()


async def test_the_owner_url_carries_the_current_password_exactly(secrets_manager) -> None:
    arn = secrets_manager.create_secret(
        Name="rds!db-0123", SecretString=json.dumps({"username": "windsurf_admin", "password": "first"})
    )["ARN"]
    settings = make_settings(migration_database_url=URL, migration_database_secret=arn)
    first = urlsplit((await owner_secret.resolve(settings)).migration_database_url)
    assert (first.username, first.password) == ("windsurf_admin", "first")
    # RDS rotates: the next migration reads the new password, special characters and all.
    secrets_manager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"username": "windsurf_admin", "password": PASSWORD})
    )
    rotated = urlsplit((await owner_secret.resolve(settings)).migration_database_url)
    assert unquote(rotated.password or "") == PASSWORD
    assert (rotated.hostname, rotated.port, rotated.path, rotated.query) == (
        "db.internal.example",
        5432,
        "/windsurf",
        "sslmode=require",
    )


async def test_without_a_secret_the_settings_are_used_as_they_are() -> None:
    settings = make_settings(migration_database_url=URL)
    assert await owner_secret.resolve(settings) is settings


async def test_an_unreadable_secret_stops_the_migration_before_it_connects(secrets_manager) -> None:
    missing = "arn:aws:secretsmanager:af-south-1:111122223333:secret:rds!db-missing-AbCdEf"
    settings = make_settings(migration_database_url=URL, migration_database_secret=missing)
    with pytest.raises(owner_secret.OwnerSecretError, match="ResourceNotFoundException"):
        await migrate(settings)
    arn = secrets_manager.create_secret(Name="broken", SecretString=json.dumps({"username": "x"}))["ARN"]
    with pytest.raises(owner_secret.OwnerSecretError, match="no username and password"):
        await owner_secret.resolve(make_settings(migration_database_url=URL, migration_database_secret=arn))
