"""/staff/flags: staff set feature flags through real forms (JavaScript off), in English and Amharic; nobody else
finds the page."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Litestar

from tests.conftest import post_form, serve
from tests.helpers import sign_up_by_email
from windsurf.core.uow import unit_of_work
from windsurf.flags import service as flags
from windsurf.identity import service as identity


async def _staff_client(app: Litestar) -> tuple[str, str]:
    email = f"ops.{uuid.uuid4().hex[:8]}@windsurf.et"
    async with unit_of_work() as uow:
        await identity.create_staff(uow, email=email, password="staff password 2026", display_name="Ops")
    return email, "staff password 2026"


async def test_staff_set_a_flag_for_some_creators_then_for_everyone(client: Any, app: Litestar) -> None:
    await sign_up_by_email(client)  # a creator: the page does not exist for them
    assert (await client.get("/staff/flags")).status_code == 404
    assert (await post_form(client, "/staff/flags", {"name": "x.y", "state": "on"})).status_code == 404
    async with serve(app) as anonymous:
        assert (await anonymous.get("/staff/flags")).status_code == 404

    email, password = await _staff_client(app)
    name, tester = f"checkout.{uuid.uuid4().hex[:8]}", uuid.uuid4()
    async with serve(app) as staff:
        assert (await post_form(staff, "/login", {"email": email, "password": password})).status_code == 303
        page = await staff.get("/staff/flags")
        assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
        saved = await post_form(
            staff,
            "/staff/flags",
            {"name": name, "state": "off", "creators": str(tester), "description": "New checkout"},
        )
        assert saved.status_code == 303
        shown = await staff.get(saved.headers["location"])
        assert "Flag saved." in shown.text and name in shown.text and str(tester) in shown.text
        async with unit_of_work() as uow:
            cache = flags.FlagCache()
            assert await flags.is_enabled(uow, name, tester, cache=cache)
            assert not await flags.is_enabled(uow, name, uuid.uuid4(), cache=cache)
        # The row's own button turns it on for everyone.
        assert (
            await post_form(staff, "/staff/flags", {"name": name, "state": "on", "creators": str(tester)})
        ).status_code == 303
        async with unit_of_work() as uow:
            assert await flags.is_enabled(uow, name, uuid.uuid4(), cache=flags.FlagCache())

        bad = await post_form(staff, "/staff/flags", {"name": "Not A Name", "state": "on", "creators": ""})
        assert bad.status_code == 422 and "starting with a letter" in bad.text
        bad_creators = await post_form(
            staff, "/staff/flags", {"name": name, "state": "on", "creators": "abc"}
        )
        assert bad_creators.status_code == 422 and "separated by commas or spaces" in bad_creators.text

        assert (await staff.get("/language?lang=am&next=/staff/flags")).status_code == 303
        amharic = await staff.get("/staff/flags")
        assert "የባህሪ ባንዲራዎች" in amharic.text and "ለሁሉም በርቷል" in amharic.text
