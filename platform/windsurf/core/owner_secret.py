"""The table owner's credentials, read from Secrets Manager at the moment they are used.

RDS manages the master user's password (``manage_master_user_password``) and rotates it in a secret of its own
(Security Hub SecretsManager.1). A password copied into the pod's environment would be stale after the next
rotation, so ``WINDSURF_MIGRATION_DATABASE_SECRET`` names that secret, and ``windsurf migrate`` reads it when it
starts. ``WINDSURF_MIGRATION_DATABASE_URL`` then carries the host and database only; the user name and password
from the secret are put into it percent-encoded, whatever characters RDS chose.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from windsurf.settings import Settings


class OwnerSecretError(RuntimeError):
    """The secret could not be read or does not hold a user name and password."""


def with_credentials(url: str, username: str, password: str) -> str:
    """``url`` with its user part replaced by ``username:password``, both percent-encoded."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def _read(secret_id: str) -> dict[str, Any]:
    import boto3  # only the migration path needs it

    # The region is the secret's own (arn:aws:secretsmanager:<region>:...); a plain name uses the default.
    fields = secret_id.split(":")
    region = fields[3] if secret_id.startswith("arn:") and len(fields) > 3 else None
    client = boto3.client("secretsmanager", region_name=region)
    try:
        value = client.get_secret_value(SecretId=secret_id)["SecretString"]
        data = json.loads(value)
    except Exception as exc:
        raise OwnerSecretError(f"cannot read the database owner's secret: {type(exc).__name__}") from exc
    if not isinstance(data, dict) or not data.get("username") or not data.get("password"):
        raise OwnerSecretError("the database owner's secret holds no username and password")
    return data


async def resolve(settings: Settings) -> Settings:
    """Settings whose migration URL carries the owner's current credentials (unchanged without a secret)."""
    if not settings.migration_database_secret:
        return settings
    if not settings.migration_database_url:
        raise OwnerSecretError("WINDSURF_MIGRATION_DATABASE_SECRET needs WINDSURF_MIGRATION_DATABASE_URL")
    data = await asyncio.to_thread(_read, settings.migration_database_secret)
    url = with_credentials(settings.migration_database_url, str(data["username"]), str(data["password"]))
    return dataclasses.replace(settings, migration_database_url=url)
