"""Sign-up behind a carrier-grade NAT: Ethiopian mobile networks put many phones behind one public address, so
many people sign up from it at once; the per-contact limits, not the address, stop one person's repeats."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from storefront.pages.auth import SEND_CODE, SIGNUP
from tests.conftest import post_form
from tests.helpers import new_identity, new_phone

# More people from one address than the old per-address ceiling (30 per quarter hour) let through.
PEOPLE_BY_EMAIL = 40
PEOPLE_BY_PHONE = 40


async def test_many_people_behind_one_address_sign_up_and_repeats_meet_the_per_contact_limit(
    client: AsyncTestClient[Litestar],
) -> None:
    for _ in range(PEOPLE_BY_EMAIL):
        client.cookies.clear()  # each is a phone of its own, all behind the client's one address
        response = await post_form(client, "/signup/email", new_identity())
        assert response.status_code == 303, response.text
    for _ in range(PEOPLE_BY_PHONE):
        client.cookies.clear()
        identity = new_identity()
        response = await post_form(
            client,
            "/signup/phone",
            {"display_name": "Abebe Kebede", "handle": identity["handle"], "phone": new_phone()[0]},
        )
        assert response.status_code == 303, response.text

    # One person repeating the same email is stopped by the per-contact limit...
    client.cookies.clear()
    repeated = new_identity()
    statuses = []
    for attempt in range(SIGNUP.per_account + 1):
        form = {**repeated, "handle": f"{repeated['handle'][:20]}{attempt}"}
        statuses.append((await post_form(client, "/signup/email", form)).status_code)
    assert statuses[-1] == 429 and 429 not in statuses[:-1], statuses
    # ...and so is one phone asking for code after code...
    client.cookies.clear()
    typed, _ = new_phone()
    codes = []
    for _ in range(SEND_CODE.per_account + 1):
        identity = new_identity()
        form = {"display_name": "Abebe Kebede", "handle": identity["handle"], "phone": typed}
        codes.append((await post_form(client, "/signup/phone", form)).status_code)
    assert codes[-1] == 429 and 429 not in codes[:-1], codes
    # ...while the next person behind the same address still gets in.
    client.cookies.clear()
    assert (await post_form(client, "/signup/email", new_identity())).status_code == 303
