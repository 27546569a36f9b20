"""Forms that never lose what was typed, and a store that shows what was published, over HTTP on SQLite and
PostgreSQL: a published product joins the store's draft, one save per product page, versions that refuse a
stale save, an error summary that takes the focus, and form addresses that answer GET."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, drain_jobs, post_form
from tests.platform.catalog.helpers import create, sign_up

Client = AsyncTestClient[Litestar]


def link_fields(**changes: str) -> dict[str, str]:
    return {
        "title": "Podcast",
        "slug": "podcast",
        "description": "",
        "price": "",
        "compare_at": "",
        "external_url": "https://example.com/podcast",
        "sales_limit": "",
        **changes,
    }


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "the form carries the version it was loaded with"
    return found.group(1)


async def new_link(client: Client) -> str:
    return await create(
        client, kind="link", title="Podcast", price="", external_url="https://example.com/podcast"
    )


async def test_a_published_product_joins_the_draft_and_the_page_says_where_it_is(
    client: Client, app: Litestar
) -> None:
    identity = await sign_up(client)
    product_id = await new_link(client)
    page = await client.get(f"/dashboard/products/{product_id}")
    assert "Not on your store" not in page.text and "In your store&#39;s draft" not in page.text

    saved = await post_form(
        client, f"/dashboard/products/{product_id}", link_fields(visibility="published", version="1")
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=on-store")
    page = await client.get(saved.headers["location"])
    assert "publish your store to show it to buyers" in page.text
    assert 'href="/dashboard#status"' in page.text  # the link that publishes the store
    dashboard = await client.get("/dashboard")
    assert dashboard.text.count('class="blk"') == 1 and "Not published yet" in dashboard.text

    # Publishing the store stays explicit: buyers do not see the product before it.
    await drain_jobs(app)
    store = await client.get(f"/@{identity['handle']}")
    assert "Podcast" not in store.text
    assert (await post_form(client, "/dashboard/publish", {})).status_code == 303
    await drain_jobs(app)
    assert "Podcast" in (await client.get(f"/@{identity['handle']}")).text
    assert "On your store: buyers see it." in (await client.get(f"/dashboard/products/{product_id}")).text

    # Unpublishing and publishing again does not add a second block.
    await post_form(client, f"/dashboard/products/{product_id}/visibility", {"visibility": "draft"})
    again = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": f"/dashboard/products/{product_id}"},
    )
    assert again.status_code == 303 and again.headers["location"].endswith("?done=visibility")
    assert (await client.get("/dashboard")).text.count('class="blk"') == 1


async def test_one_save_keeps_the_description_and_the_visibility_together(client: Client) -> None:
    await sign_up(client)
    product_id = await new_link(client)
    page = (await client.get(f"/dashboard/products/{product_id}")).text
    assert f'action="/dashboard/products/{product_id}/visibility"' not in page  # one form for both
    assert page.count('name="visibility"') == 1
    saved = await post_form(
        client,
        f"/dashboard/products/{product_id}",
        link_fields(description="Episode notes", visibility="unlisted", version=version_of(page)),
    )
    assert saved.status_code == 303
    page = (await client.get(f"/dashboard/products/{product_id}")).text
    assert "Episode notes" in page and "badge unlisted" in page

    # A refused visibility keeps the typed description, and neither part is saved.
    download_id = await create(client)
    page = (await client.get(f"/dashboard/products/{download_id}")).text
    refused = await post_form(
        client,
        f"/dashboard/products/{download_id}",
        {
            "title": "Coffee Guide",
            "slug": "coffee-guide",
            "description": "Typed, not saved yet",
            "price": "150",
            "compare_at": "",
            "pwyw_min": "",
            "sales_limit": "",
            "visibility": "published",
            "version": version_of(page),
        },
    )
    assert refused.status_code == 422 and "Add at least one file" in refused.text
    assert "Typed, not saved yet" in refused.text
    assert "Typed, not saved yet" not in (await client.get(f"/dashboard/products/{download_id}")).text


async def test_a_stale_product_save_is_refused_and_keeps_what_was_typed(client: Client) -> None:
    await sign_up(client)
    product_id = await new_link(client)
    old_tab = (await client.get(f"/dashboard/products/{product_id}")).text
    loaded = version_of(old_tab)
    first = await post_form(
        client, f"/dashboard/products/{product_id}", link_fields(title="Saved in tab one", version=loaded)
    )
    assert first.status_code == 303

    stale = await post_form(
        client, f"/dashboard/products/{product_id}", link_fields(title="Typed in tab two", version=loaded)
    )
    assert stale.status_code == 409
    assert "This was changed elsewhere" in stale.text
    assert 'value="Typed in tab two"' in stale.text  # the typed value stays in the form
    assert "Saved in tab one" in stale.text  # and the newer value is shown
    assert version_of(stale.text) != loaded  # saving again (after a look) keeps what was typed
    assert (await client.get(f"/dashboard/products/{product_id}")).text.count("Typed in tab two") == 0

    again = await post_form(
        client,
        f"/dashboard/products/{product_id}",
        link_fields(title="Typed in tab two", version=version_of(stale.text)),
    )
    assert again.status_code == 303
    assert "Typed in tab two" in (await client.get(f"/dashboard/products/{product_id}")).text


async def test_the_api_refuses_a_stale_patch_with_409(client: Client) -> None:
    await sign_up(client)
    product_id = await new_link(client)
    headers = {"x-csrftoken": await csrf(client)}
    read = (await client.get(f"/api/v1/catalog/products/{product_id}")).json()
    version = read["version"]
    ok = await client.patch(
        f"/api/v1/catalog/products/{product_id}", json={"title": "New", "version": version}, headers=headers
    )
    assert ok.status_code == 200 and ok.json()["version"] == version + 1
    stale = await client.patch(
        f"/api/v1/catalog/products/{product_id}", json={"title": "Stale", "version": version}, headers=headers
    )
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert (await client.get(f"/api/v1/catalog/products/{product_id}")).json()["title"] == "New"
    # Without a version the save is not checked (older clients keep working).
    unchecked = await client.patch(
        f"/api/v1/catalog/products/{product_id}", json={"title": "Any"}, headers=headers
    )
    assert unchecked.status_code == 200


async def test_a_stale_profile_save_is_refused_and_keeps_what_was_typed(client: Client) -> None:
    identity = await sign_up(client)
    page = (await client.get("/dashboard")).text
    loaded = version_of(page)
    profile = {"display_name": "Tab one", "handle": identity["handle"], "bio": "", "version": loaded}
    assert (await post_form(client, "/dashboard/profile", profile)).status_code == 303
    # Another section's save does not make the profile form stale.
    theme = await post_form(client, "/dashboard/theme", {"palette": "night", "accent": "#aa3300"})
    assert theme.status_code == 303

    stale = await post_form(client, "/dashboard/profile", {**profile, "display_name": "Tab two"})
    assert stale.status_code == 409 and "This was changed elsewhere" in stale.text
    assert 'value="Tab two"' in stale.text and "<dd>Tab one</dd>" in stale.text
    with_htmx = await post_form(
        client, "/dashboard/profile", {**profile, "display_name": "Tab two"}, headers={"HX-Request": "true"}
    )
    assert with_htmx.status_code == 409 and 'id="profile"' in with_htmx.text and "<html" not in with_htmx.text

    again = await post_form(
        client,
        "/dashboard/profile",
        {**profile, "display_name": "Tab two", "version": version_of(stale.text)},
    )
    assert again.status_code == 303
    assert 'value="Tab two"' in (await client.get("/dashboard")).text


async def test_an_error_summary_takes_the_focus_and_links_to_the_fields(client: Client) -> None:
    await sign_up(client)
    refused = await post_form(
        client, "/dashboard/products/new", {"kind": "download", "title": "", "price": "abc"}
    )
    assert refused.status_code == 422
    summary = re.search(
        r'<div class="alert" role="alert" tabindex="-1" autofocus>(.*?)</div>', refused.text, re.S
    )
    assert summary, "a focusable summary at the top of the form"
    assert 'href="#f-title"' in summary.group(1) and "Give your product a title." in summary.group(1)
    assert refused.text.count("autofocus") == 1
    # With htmx (a boosted form) the failed form's address does not replace the page's in the address bar.
    boosted = await post_form(
        client, "/dashboard/products/new", {"kind": "download", "title": ""}, headers={"HX-Request": "true"}
    )
    assert boosted.status_code == 422 and boosted.headers["hx-push-url"] == "false"


async def test_every_form_address_answers_get_with_its_form(client: Client) -> None:
    identity = await sign_up(client)
    product_id = await new_link(client)
    await post_form(
        client, "/dashboard/blocks", {"type": "link", "title": "Site", "url": "https://example.com"}
    )
    block_id = re.search(r'id="b-([0-9a-f]+)"', (await client.get("/dashboard")).text).group(1)  # type: ignore[union-attr]
    addresses = {
        "/dashboard/profile": "/dashboard#profile",
        "/dashboard/avatar": "/dashboard#avatar",
        "/dashboard/theme": "/dashboard#theme",
        "/dashboard/socials": "/dashboard#socials",
        "/dashboard/settings": "/dashboard#settings",
        "/dashboard/blocks": "/dashboard#blocks",
        f"/dashboard/blocks/{block_id}": "/dashboard#blocks",
        f"/dashboard/blocks/{block_id}/move": "/dashboard#blocks",
        "/dashboard/publish": "/dashboard#status",
        f"/dashboard/products/{product_id}/visibility": f"/dashboard/products/{product_id}",
        f"/dashboard/products/{product_id}/cover": f"/dashboard/products/{product_id}",
        f"/dashboard/products/{product_id}/files": f"/dashboard/products/{product_id}",
        f"/dashboard/products/{product_id}/delete": f"/dashboard/products/{product_id}",
    }
    for address, page in addresses.items():
        answer = await client.get(address)
        assert answer.status_code == 303 and answer.headers["location"] == page, address
        assert (await client.get(page.split("#")[0])).status_code == 200
    assert (await client.get(f"/dashboard/products/{product_id}")).status_code == 200  # still there
    assert identity["handle"]

    client.cookies.clear()
    for address, page in {
        "/signup/email": "/signup?method=email",
        "/signup/phone": "/signup?method=phone",
        "/login/phone": "/login?method=phone",
    }.items():
        answer = await client.get(address)
        assert answer.status_code == 303 and answer.headers["location"] == page, address
        assert (await client.get(page)).status_code == 200


async def test_another_creators_product_form_address_is_a_404(client: Client) -> None:
    await sign_up(client)
    product_id = await new_link(client)
    client.cookies.clear()
    await sign_up(client)
    assert (await client.get(f"/dashboard/products/{product_id}/visibility")).status_code == 404


async def test_after_a_wrong_sms_code_the_phone_number_is_kept(client: Client) -> None:
    page = await client.get("/verify", params={"phone": "+251911234567", "purpose": "signup"})
    action = re.search(r'<form class="card" method="post" action="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert "phone=%2B251911234567" in action
    wrong = await post_form(
        client,
        action.replace("&amp;", "&"),
        {"phone": "+251911234567", "purpose": "signup", "code": "000000", "next": ""},
    )
    assert wrong.status_code in {422, 429}
    assert "+251911234567" in wrong.text
    kept = re.search(r'<form class="card" method="post" action="([^"]+)"', wrong.text).group(1)  # type: ignore[union-attr]
    again = await client.get(kept.replace("&amp;", "&"))  # a reload of the address bar after the error
    assert again.status_code == 200 and "+251911234567" in again.text


async def test_a_store_address_without_the_at_sign_redirects(client: Client) -> None:
    identity = await sign_up(client)
    handle = identity["handle"]
    moved = await client.get(f"/{handle.upper()}")
    assert moved.status_code == 301 and moved.headers["location"] == f"/@{handle}"
    assert (await client.get("/nobody_has_this_handle")).status_code == 404
    client.cookies.clear()
    assert (await client.get("/login")).status_code == 200  # platform pages stay what they are


async def test_social_links_accept_what_a_bio_shows_and_complete_it(client: Client) -> None:
    await sign_up(client)
    saved = await post_form(
        client,
        "/dashboard/socials",
        {
            "telegram": "t.me/hana_shop",
            "instagram": "@hana.designs",
            "tiktok": "hana",
            "youtube": "",
            "facebook": "instagram.com/wrong_place_but_a_link",
            "x": "https://x.com/hana",
        },
    )
    assert saved.status_code == 303
    page = (await client.get("/dashboard")).text
    for link in (
        "https://t.me/hana_shop",
        "https://www.instagram.com/hana.designs",
        "https://www.tiktok.com/@hana",
        "https://instagram.com/wrong_place_but_a_link",
        "https://x.com/hana",
    ):
        assert f'value="{link}"' in page, link
    refused = await post_form(client, "/dashboard/socials", {"telegram": "javascript:alert(1)"})
    assert refused.status_code == 422 and "Enter a link starting with https://" in refused.text


async def test_handle_rules_and_hints_are_the_same_at_sign_up_and_in_the_builder(client: Client) -> None:
    hint = "3 to 30 characters: lowercase letters, digits and underscores."
    signup = (await client.get("/signup")).text
    assert signup.count(hint) == 2
    identity = await sign_up(client)
    assert hint in (await client.get("/dashboard")).text
    # The same rule everywhere: an '@' in front and capitals are accepted and cleaned alike.
    profile = {"display_name": "Selam", "handle": f"@{identity['handle'].upper()}", "bio": ""}
    assert (await post_form(client, "/dashboard/profile", profile)).status_code == 303
    refused = await post_form(client, "/dashboard/profile", {**profile, "handle": "a"})
    assert refused.status_code == 422 and "A handle has 3 to 30 characters" in refused.text


async def test_product_pages_wear_the_published_store_and_switch_language(
    client: Client, app: Litestar
) -> None:
    identity = await sign_up(client)
    product_id = await new_link(client)
    await post_form(
        client,
        "/dashboard/profile",
        {"display_name": "Selam's Studio", "handle": identity["handle"], "bio": ""},
    )
    await post_form(client, "/dashboard/theme", {"palette": "night", "accent": "#aa3300"})
    await post_form(client, f"/dashboard/products/{product_id}/visibility", {"visibility": "published"})
    await post_form(client, "/dashboard/publish", {})
    await drain_jobs(app)
    client.cookies.clear()
    page = await client.get(f"/@{identity['handle']}/podcast")
    assert page.status_code == 200
    assert '<meta property="og:site_name" content="Selam&#39;s Studio">' in page.text
    assert "Podcast · Selam&#39;s Studio" in page.text and "Selam Bekele" not in page.text
    assert "--accent:#aa3300" in page.text and "--bg:#14161a" in page.text  # the night palette
    assert 'href="?lang=' in page.text and "Log in" not in page.text

    switch = await client.get(f"/@{identity['handle']}/podcast", params={"lang": "en"})
    assert switch.status_code == 303 and switch.headers["location"] == f"/@{identity['handle']}/podcast"
    assert 'lang="en"' in (await client.get(switch.headers["location"])).text
    switch = await client.get(f"/@{identity['handle']}/podcast", params={"lang": "am"})
    assert 'lang="am"' in (await client.get(switch.headers["location"])).text


async def test_error_pages_offer_no_log_in_state_the_error_once_and_switch_language(client: Client) -> None:
    missing = await client.get("/@nobody_here/nothing", headers={"Accept-Language": "en"})
    assert missing.status_code == 404
    assert missing.text.count("Page not found") == 2  # the <title> and the heading, not a third time
    assert 'href="/login"' not in missing.text and 'href="/signup"' not in missing.text
    link = re.search(r'<a class="lang" href="([^"]+)"', missing.text)
    assert link and "_csrf_token" not in missing.text
    switched = await client.get(link.group(1).replace("&amp;", "&"))
    assert switched.status_code == 303 and switched.headers["location"] == "/@nobody_here/nothing"
    again = await client.get(switched.headers["location"])
    assert again.status_code == 404 and 'lang="am"' in again.text

    # Only a same-site address is gone back to.
    away = await client.get("/language", params={"lang": "en", "next": "//evil.example/"})
    assert away.status_code == 303 and away.headers["location"] == "/"


async def test_book_leads_to_the_checkout_with_the_product_named(client: Client, app: Litestar) -> None:
    identity = await sign_up(client)
    product_id = await create(client, kind="coaching", title="Study Plan", price="300", duration_minutes="45")
    await post_form(client, f"/dashboard/products/{product_id}/visibility", {"visibility": "published"})
    await post_form(client, "/dashboard/publish", {})
    await drain_jobs(app)
    client.cookies.clear()
    page = (await client.get(f"/@{identity['handle']}/study-plan")).text
    checkout = re.search(r'<a class="btn full" href="(/checkout/[^"]+)"', page)
    assert checkout and checkout.group(1) == f"/checkout/{identity['handle']}/study-plan"
    answer = await client.get(checkout.group(1))
    assert answer.status_code == 200 and "Study Plan" in answer.text
