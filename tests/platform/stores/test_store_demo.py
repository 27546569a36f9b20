"""`windsurf demo` gives @demo a published store like a real creator's; running it again changes nothing."""

from __future__ import annotations

import gzip
import re

from litestar import Litestar
from litestar.testing import AsyncTestClient
from windsurf.demo import seed_demo
from windsurf.settings import Settings
from windsurf.stores import catalog_port

from tests.storefront.store_helpers import in_app


async def test_demo_store_is_published_and_idempotent(settings: Settings) -> None:
    from windsurf.app import create_app

    await seed_demo(settings)
    await seed_demo(settings)
    app: Litestar = create_app(settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        page = await client.get("/@demo", headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200 and page.headers["content-language"] == "am"
        text = page.text
        assert "ግራፊክ ዲዛይነርና መምህር" in text and "Graphic designer and teacher" in text
        assert re.search(r'<img class="av" src="/media/public/avatars/', text)
        assert text.count('class="lk"') == 2 and text.count('class="cp"') == 1
        assert 'href="https://t.me/windsurf_demo"' in text
        products = await in_app(client, _card_count, app)
        assert text.count('class="pc"') == products
        assert int(page.headers["content-length"]) <= 14_000
        assert len(gzip.compress(page.content)) <= 14_000
        assert (await client.get("/api/v1/stores/me")).status_code == 401


async def _card_count(app: Litestar) -> int:
    from windsurf.identity import service

    account = await service.find_by_handle("demo")
    assert account is not None
    return len(await catalog_port.published_cards(account.id))
