"""The demo creator @demo that `make run` serves, so a fresh checkout shows a real store at once."""

from __future__ import annotations

import datetime as dt
import uuid

from windsurf.core import db, security
from windsurf.core.storage import build_storage
from windsurf.core.uow import unit_of_work
from windsurf.identity.tables import Creator
from windsurf.settings import Settings
from windsurf.stores.demo import seed_demo_store

DEMO_HANDLE = "demo"
DEMO_EMAIL = "demo@windsurf.et"
DEMO_PASSWORD = "demo-store-2026"  # noqa: S105 - published on purpose: it logs into the demo store only


async def seed_demo(settings: Settings) -> str:
    """Create @demo if it is missing; running it again changes nothing. Returns the login to print."""
    db.bind(db.create_engine(settings.effective_database_url))
    async with unit_of_work() as uow:
        async with uow.scope():
            await uow.look_up(DEMO_HANDLE)
            await Creator.insert(
                Creator(
                    id=uuid.uuid4(),
                    handle=DEMO_HANDLE,
                    display_name="Selam Bekele",
                    email=DEMO_EMAIL,
                    password_hash=await security.hash_password(DEMO_PASSWORD),
                    locale="am",
                    # Verified, as a real creator's store must be before it can be published and sell.
                    email_verified_at=dt.datetime.now(dt.UTC),
                )
            ).on_conflict(target=Creator.handle, action="DO NOTHING")
            # A demo account seeded before verification existed is verified too.
            await Creator.update({Creator.email_verified_at: dt.datetime.now(dt.UTC)}).where(
                (Creator.handle == DEMO_HANDLE) & Creator.email_verified_at.is_null()
            )
            creator = await Creator.select(Creator.id).where(Creator.handle == DEMO_HANDLE).first()
        assert creator is not None
        tenant = await uow.act_for(creator["id"])
        await seed_demo_store(tenant, DEMO_HANDLE, build_storage(settings))
    # Publishing (first run) enqueued the render of @demo's pages; the worker stores them and moves the cache on.
    return f"demo store: {settings.public_url}/@{DEMO_HANDLE}  login: {DEMO_EMAIL} / {DEMO_PASSWORD}"
