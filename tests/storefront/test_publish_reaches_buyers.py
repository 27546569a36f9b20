"""A creator's published profile reaches buyers through the stored store page (the builder flow, over HTTP)."""

from __future__ import annotations

import re

from litestar import Litestar

from tests.conftest import drain_jobs, post_form
from tests.platform.catalog.helpers import create
from tests.storefront.store_helpers import Client, sign_up


async def test_a_published_store_name_reaches_buyers(client: Client, app: Litestar) -> None:
    handle = await sign_up(client)
    product_id = await create(client)
    await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    await drain_jobs(app)
    saved = await post_form(
        client,
        "/dashboard/profile",
        {"display_name": "Hana's Career Desk", "handle": handle, "bio": "Careers"},
    )
    assert saved.status_code in (200, 303), saved.text
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    # A buyer who comes before the render job has run gets the published store too, not an older page.
    page = await client.get(f"/@{handle}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.status_code == 200
    heading = re.search(r"<h1[^>]*>([^<]+)</h1>", page.text)
    assert heading is not None and heading[1] == "Hana&#39;s Career Desk", heading
