"""`windsurf demo` gives @demo a published store like a real creator's; running it again changes nothing."""

from __future__ import annotations

import gzip
import re

from litestar import Litestar

from tests.conftest import serve
from windsurf.app import create_app
from windsurf.catalog import service as catalog
from windsurf.core.uow import unit_of_work
from windsurf.demo import seed_demo
from windsurf.identity import service as identity
from windsurf.settings import Settings


async def test_demo_store_is_published_and_idempotent(demo: Settings) -> None:
    await seed_demo(demo)  # the second time: the fixture seeded it once for the run
    app: Litestar = create_app(demo)
    async with serve(app) as client:
        page = await client.get("/@demo", headers={"Accept-Encoding": "gzip"})
        assert page.status_code == 200 and page.headers["content-language"] == "am"
        text = page.text
        assert "ግራፊክ ዲዛይነርና መምህር" in text and "Graphic designer and teacher" in text
        assert re.search(r'<img class="av" src="/media/public/avatars/', text)
        assert text.count('class="lk"') == 2 and text.count('class="cp"') == 1
        assert 'href="https://t.me/windsurf_demo"' in text
        async with unit_of_work() as uow:
            account = await identity.find_by_handle(uow, "demo")
            assert account is not None
            cards = await catalog.published_cards(await uow.act_for(account.id))
        assert len(cards) == 24, "seeding twice must not duplicate products"
        assert text.count('class="pc"') == 24
        assert {card.kind for card in cards} == {"download", "lead_magnet", "link", "coaching"}
        assert int(page.headers["content-length"]) <= 14_000
        assert len(gzip.compress(page.content)) <= 14_000
        assert (await client.get("/api/v1/stores/me")).status_code == 401
