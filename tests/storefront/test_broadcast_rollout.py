"""SMS broadcasts rolled out per creator by the flag `broadcasts.sms`, read by the broadcast pages over HTTP: no
flag leaves the channel open; off holds it back (not offered, refused with a translated message, a draft written
before is not sent) from every creator but those it lists."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import post_form
from tests.storefront.store_helpers import sign_up
from windsurf.core.uow import unit_of_work
from windsurf.flags import service as flags
from windsurf.identity import service as identity

Client = AsyncTestClient[Litestar]
CLOSED = "This channel is not open for your store yet. Please choose another one."
SMS = 'name="channel" value="sms"'


@pytest.fixture
def fresh_flags() -> Iterator[None]:
    flags.CACHE.forget()
    yield
    flags.CACHE.forget()


async def _sms(enabled: bool, creators: tuple[uuid.UUID, ...] = ()) -> None:
    async with unit_of_work() as uow:
        await flags.set_flag(uow, "broadcasts.sms", enabled=enabled, creators=creators, changed_by="ops")


async def test_sms_broadcasts_open_only_to_the_creators_the_flag_lists(
    client: Client, fresh_flags: None
) -> None:
    handle = await sign_up(client)
    async with unit_of_work() as uow:
        me = await identity.find_by_handle(uow, handle)
    assert me is not None
    assert SMS in (await client.get("/dashboard/broadcasts")).text  # no flag: open, as before
    draft = await post_form(
        client, "/dashboard/broadcasts", {"channel": "sms", "subject": "", "body": "Selam"}
    )
    assert draft.status_code == 303
    try:
        await _sms(False)
        page = await client.get("/dashboard/broadcasts")
        assert page.status_code == 200 and SMS not in page.text and 'value="email"' in page.text
        refused = await post_form(
            client, "/dashboard/broadcasts", {"channel": "sms", "subject": "", "body": "Selam"}
        )
        assert refused.status_code == 422 and CLOSED in refused.text
        unsent = await post_form(client, draft.headers["location"] + "/send", {})
        assert unsent.status_code == 409 and CLOSED in unsent.text
        client.cookies.set("lang", "am")
        amharic = await post_form(
            client, "/dashboard/broadcasts", {"channel": "sms", "subject": "", "body": "Selam"}
        )
        assert amharic.status_code == 422 and "ይህ መንገድ ለመደብርዎ ገና አልተከፈተም" in amharic.text
        client.cookies.set("lang", "en")

        await _sms(False, (me.id,))  # the first creators to try it
        assert SMS in (await client.get("/dashboard/broadcasts")).text
        created = await post_form(
            client, "/dashboard/broadcasts", {"channel": "sms", "subject": "", "body": "Selam"}
        )
        assert created.status_code == 303
    finally:
        await _sms(True)
