from tests.conftest import post_form
from tests.storefront.store_helpers import Client, sign_up


async def test_smoke(client: Client) -> None:
    handle = await sign_up(client)
    page = await client.get("/dashboard")
    assert page.status_code == 200, page.text
    r = await post_form(client, "/dashboard/blocks", {"type": "link", "title": "My <b>site</b>", "url": "https://example.com"})
    assert r.status_code == 303, r.text
    r = await post_form(client, "/dashboard/publish", {})
    assert r.status_code == 303, r.text
    store = await client.get(f"/@{handle}")
    print(store.headers, len(store.content))
    print(store.text)
    assert store.status_code == 200
