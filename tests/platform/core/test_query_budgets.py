"""Query budgets on PostgreSQL: how many statements (round trips) and transactions each request runs.

The database driver's connection class is observed (tests/statements.py), so what is counted is what reaches
PostgreSQL: BEGIN and COMMIT, the tenant setting, the queries, and a pooled connection's reset (there is none:
the pool resets only a connection handed back inside a transaction). A budget that a change exceeds fails
here; lower it when a change saves statements. The numbers this replaced (the review before the unit of work):
uncached store page 12 round trips, dashboard 22, theme change 25, product move 38. Every request that reads an
account pays one statement more since accounts are under row-level security: the key it names
(``UnitOfWork.look_up``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar

from tests.conftest import drain_jobs, serve
from tests.statements import Statements, recorded
from tests.storefront.store_helpers import htmx_post, sign_up

pytestmark = pytest.mark.parametrize("backend", ["postgres"], indirect=True)

# request -> (round trips, transactions)
BUDGETS: dict[str, tuple[int, int]] = {
    # What every buyer's request costs: the stored page, one indexed query, no transaction
    "store page, stored": (1, 0),
    "product page, stored": (1, 0),
    # Once per page missing from the table (published before pages were stored): the lookup that misses, BEGIN,
    # the account key, the creator by handle, the tenant, the published store, its products, the stored page's
    # INSERT, COMMIT
    "store page, rendered once": (9, 1),
    # ... the product and its files, and the store's language
    "product page, rendered once": (10, 1),
    # BEGIN, the account key and the account, the tenant, the store, its products, the leads with their count,
    # COMMIT
    "dashboard": (8, 1),
    # ... plus the draft's UPDATE
    "htmx theme change": (9, 1),
    # BEGIN, account key, account, tenant, one window-function UPDATE, the list (products, files), COMMIT
    "htmx product move": (8, 1),
    "htmx block add": (9, 1),
    "htmx block move": (9, 1),
    # ... plus the handle (read, then its UPDATE, in savepoints of its own; the old handle is what the render
    # job drops when it changed), and the account again for its new handle
    "htmx profile save": (16, 1),
    # BEGIN, account key, account, tenant, the product read once, its UPDATE in a savepoint (3), the render job,
    # the files, COMMIT (12 while the product was read twice before cleaning)
    "api product patch": (11, 1),
}


async def _measure(name: str, send: Any, measured: dict[str, Statements]) -> Any:
    with recorded() as statements:
        response = await send
    assert response.status_code in {200, 303}, (name, response.status_code, response.text[:300])
    measured[name] = statements
    return response


async def test_requests_stay_within_their_query_budgets(app: Litestar) -> None:
    measured: dict[str, Statements] = {}
    async with serve(app) as client:
        handle = await sign_up(client)
        products = []
        for n in range(6):
            created = await client.post(
                "/api/v1/catalog/products",
                headers={"x-csrftoken": client.cookies["csrftoken"]},
                json={
                    "kind": "coaching",
                    "title": f"Session {n}",
                    "price_santim": 50000,
                    "duration_minutes": 60,
                },
            )
            assert created.status_code == 201, created.text
            products.append(created.json())
            await client.post(
                f"/api/v1/catalog/products/{products[-1]['id']}/visibility",
                headers={"x-csrftoken": client.cookies["csrftoken"]},
                json={"visibility": "published"},
            )
        for product in products:
            await htmx_post(client, "/dashboard/blocks", {"type": "product", "product_id": product["id"]})
        await htmx_post(
            client, "/dashboard/blocks", {"type": "link", "title": "Site", "url": "https://a.example"}
        )
        await htmx_post(client, "/dashboard/publish", {})
        await client.get("/dashboard")  # the store row exists: measure the steady state
        app.state.page_cache.enabled = False

        # The render jobs have not run: the pages are missing from the table and rendered on this request, once.
        await _measure("store page, rendered once", client.get(f"/@{handle}"), measured)
        await _measure(
            "product page, rendered once", client.get(f"/@{handle}/{products[0]['slug']}"), measured
        )
        await drain_jobs(app)
        await _measure("store page, stored", client.get(f"/@{handle}"), measured)
        await _measure("product page, stored", client.get(f"/@{handle}/{products[0]['slug']}"), measured)
        page = await _measure("dashboard", client.get("/dashboard"), measured)
        first_block = re.findall(r'id="b-([0-9a-f]+)"', page.text)[0]
        await _measure(
            "htmx theme change",
            htmx_post(client, "/dashboard/theme", {"palette": "night", "accent": "#123456"}),
            measured,
        )
        await _measure(
            "htmx product move",
            htmx_post(client, f"/dashboard/products/{products[3]['id']}/move", {"direction": "up"}),
            measured,
        )
        await _measure(
            "htmx block add",
            htmx_post(
                client, "/dashboard/blocks", {"type": "link", "title": "More", "url": "https://b.example"}
            ),
            measured,
        )
        await _measure(
            "htmx block move",
            htmx_post(client, f"/dashboard/blocks/{first_block}/move", {"direction": "down"}),
            measured,
        )
        await _measure(
            "htmx profile save",
            htmx_post(
                client, "/dashboard/profile", {"display_name": "Hana T", "handle": handle, "bio": "Hi"}
            ),
            measured,
        )
        await _measure(
            "api product patch",
            client.patch(
                f"/api/v1/catalog/products/{products[1]['id']}",
                headers={"x-csrftoken": client.cookies["csrftoken"]},
                json={"title": "Session one, renamed"},
            ),
            measured,
        )
    report = "\n".join(
        f"{name}: {len(s)} round trips, {s.transactions} transactions" for name, s in measured.items()
    )
    print(report)
    for name, s in measured.items():
        print("==", name)
        print(s.summary())
    for name, (round_trips, transactions) in BUDGETS.items():
        statements = measured[name]
        assert len(statements) <= round_trips, f"{name}\n{statements.summary()}"
        assert statements.transactions <= transactions, f"{name}\n{statements.summary()}"
