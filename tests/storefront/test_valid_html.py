"""Every public and builder page, as a browser with JavaScript off receives it, passes the Nu HTML Checker with
zero errors and carries a meta description.

The checker is vnu.jar from the npm registry package ``vnu-jar`` (installed by .ci/install-infra-tools.sh) and
runs on the Debian Java; it checks all pages in one run, since the JVM takes seconds to start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import csrf, post_form, unavailable
from tests.platform.catalog.helpers import create
from tests.storefront.live import Live, buy, pay
from tests.storefront.store_helpers import png
from windsurf.catalog.tables import Product

ROOT = Path(__file__).resolve().parents[2]
VNU = ROOT / ".venv-tools" / "node" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
DESCRIPTION = re.compile(r'<meta name="description" content="[^"]+">')


def checker() -> list[str]:
    java = shutil.which("java")
    if java is None:
        unavailable("java", "the Nu HTML Checker needs Java: apt-get install default-jre-headless")
    if not VNU.exists():
        unavailable("vnu.jar", "not installed; run `bash .ci/install-infra-tools.sh`")
    return [java, "-Xss8m", "-jar", str(VNU)]


def validate(pages: dict[str, str], folder: Path) -> list[str]:
    """Run vnu over every page; returns "url: line: message" for each error."""
    files: dict[str, str] = {}
    for number, (url, text) in enumerate(pages.items()):
        path = folder / f"page-{number}.html"
        path.write_text(text, encoding="utf-8")
        files[path.name] = url
    result = subprocess.run(
        [*checker(), "--errors-only", "--format", "json", *(str(folder / name) for name in files)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout or '{"messages": []}')
    return [
        f"{files.get(str(message.get('url', '')).rsplit('/', 1)[-1])}:{message.get('lastLine')}: "
        f"{message['message']} [{str(message.get('extract', '')).strip()}]"
        for message in report["messages"]
        if message.get("type") == "error"
    ]


async def collect(shop: Live) -> dict[str, str]:
    creator, buyer = shop.creator.client, shop.buyer
    handle = shop.creator.handle
    download = await shop.product()
    link_id = await create(
        creator, kind="link", title="My Telegram channel", price="0", external_url="https://t.me/x"
    )
    await post_form(
        creator,
        f"/dashboard/products/{link_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    await post_form(
        creator, "/dashboard/blocks", {"type": "link", "title": "Portfolio", "url": "https://a.example"}
    )
    assert (await post_form(creator, "/dashboard/publish", {})).status_code == 303
    await shop.jobs()
    sold, _ = await buy(shop, download.slug)
    order_url = sold.headers["location"]
    await pay(shop, order_url)
    link = await Product.select(Product.slug).where(Product.id == link_id).first()
    assert link is not None

    buyer_urls = [
        "/",
        "/signup",
        "/login",
        "/password-reset",
        "/library",
        f"/@{handle}",
        f"/@{handle}/{download.slug}",
        f"/@{handle}/{link['slug']}",
        f"/checkout/{handle}/{download.slug}",
        order_url,
        "/no-such-page/at-all",
    ]
    creator_urls = [
        "/dashboard",
        "/dashboard/preview",
        "/dashboard/products",
        "/dashboard/products/new",
        f"/dashboard/products/{download.id}",
        f"/dashboard/products/{link_id}",
        "/dashboard/orders",
        "/dashboard/discounts",
        "/dashboard/payouts",
        "/account",
    ]
    pages: dict[str, str] = {}
    for client, urls in ((buyer, buyer_urls), (creator, creator_urls)):
        for url in urls:
            response = await client.get(url, headers={"Accept-Language": "en"})
            assert response.status_code in {200, 404}, (url, response.status_code)
            pages[url] = response.text
    # The store again in another layout, with a banner and pill buttons.
    token = await csrf(creator)
    banner = await creator.post(
        "/dashboard/banner",
        data={"_csrf_token": token},
        files={"banner": ("b.png", png(900, 300), "image/png")},
    )
    assert banner.status_code == 303
    theme = {"palette": "night", "accent": "#e0a100", "layout": "featured", "button": "pill"}
    assert (await post_form(creator, "/dashboard/theme", theme)).status_code == 303
    assert (await post_form(creator, "/dashboard/publish", {})).status_code == 303
    await shop.jobs()
    pages[f"/@{handle} (featured, banner)"] = (await buyer.get(f"/@{handle}")).text
    pages["/dashboard (banner)"] = (await creator.get("/dashboard")).text
    pages["/dashboard/products/new?kind=coaching"] = (
        await creator.get("/dashboard/products/new?kind=coaching")
    ).text
    orders = re.findall(r'href="(/dashboard/orders/[0-9a-f-]+)"', pages["/dashboard/orders"])
    assert orders, "the paid order is listed"
    pages[orders[0]] = (await creator.get(orders[0])).text
    return pages


# One database is enough: the pages are the same markup on both.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_public_and_builder_page_is_valid_html_with_a_description(
    shop: Live, tmp_path: Path
) -> None:
    checker()
    pages = await collect(shop)
    errors = validate(pages, tmp_path)
    assert not errors, "\n".join(errors)
    missing = [url for url, text in pages.items() if len(DESCRIPTION.findall(text)) != 1]
    assert not missing, f"pages without exactly one meta description: {missing}"


def test_the_checker_refuses_a_bare_htmx_attribute(tmp_path: Path) -> None:
    """The check above is only worth something if the checker sees what it is there for."""
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
        '<body><form method="post" action="/x" hx-post="/x"><button>Go</button></form></body></html>'
    )
    errors = validate({"/bare": page}, tmp_path)
    assert len(errors) == 1 and "hx-post" in errors[0], errors
