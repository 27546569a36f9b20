"""Fuzzing every JSON operation of the OpenAPI document and every HTML form the pages offer.

Hypothesis draws the cases (bodies from each operation's request schema, arbitrary JSON, junk bytes, path
parameters that exist and that do not; form values from troublemaking text), deterministically, and the test
sends them to the running application as a logged-in creator, an anonymous caller or a caller without the CSRF
header. No answer may be a 5xx; an API answer must be a status the document lists for the operation, with a
documented content type and a body that validates against the documented schema.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from html.parser import HTMLParser
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
import jsonschema
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from tests.conftest import csrf, post_form
from tests.helpers import verify_email
from tests.platform.catalog.helpers import create, pdf_bytes, png_bytes, sign_up, upload
from tests.storefront.store_helpers import png, upload_avatar

JSON_CASES = 30  # per operation
FORM_CASES = 15  # per form
T = TypeVar("T")
Client = AsyncTestClient[Litestar]
NASTY = [
    "\x00",
    "a\x00b",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "𝕏𝕐ℤ 🙂 ሰላም",
    "x" * 5000,
    "-1",
    "1e309",
    "９９",
    "\u202e",
    "%00",
    "../../etc/passwd",
    " ",
]


def draw(strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """``count`` deterministic examples of ``strategy`` (collected, then sent from the async test)."""
    found: list[T] = []

    @hypothesis_settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(case: T) -> None:
        found.append(case)

    collect()
    return found


def inline(schema: Any, components: dict[str, Any]) -> Any:
    """``schema`` with every local $ref replaced by what it points at (our schemas are not recursive)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target: Any = {"components": components}
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return inline(target, components)
        return {key: inline(value, components) for key, value in schema.items()}
    if isinstance(schema, list):
        return [inline(item, components) for item in schema]
    return schema


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that match the JSON Schema subset Litestar writes (types, oneOf, enum, objects, arrays)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "oneOf" in schema or "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema.get("oneOf", schema.get("anyOf", []))])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": one}) for one in kind])
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: from_schema(properties[name]) for name in required if name in properties},
            optional={name: from_schema(sub) for name, sub in properties.items() if name not in required},
        )
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "integer":
        return st.one_of(st.integers(-(2**40), 2**40), st.integers(-5, 10**7))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "string":
        if schema.get("format") == "uuid":
            return st.uuids().map(str)
        return TEXT
    return JSON_VALUES


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=10,
)
TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40),
    st.integers(-(10**12), 10**12).map(str),
)
WHO = st.sampled_from(["creator", "creator", "creator", "anonymous", "no-csrf"])


def body_strategy(operation: dict[str, Any], components: dict[str, Any]) -> st.SearchStrategy[Any]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return st.none()
    schema = inline(content["schema"], components)
    return st.one_of(
        from_schema(schema).map(lambda value: ("json", value)),
        from_schema(schema).map(lambda value: ("json", value)),
        JSON_VALUES.map(lambda value: ("json", value)),
        st.binary(max_size=200).map(lambda raw: ("raw", raw)),
        st.sampled_from([b'{"title": "\xff"}', b"[" * 3000, b'{"kind": ', b"\x00"]).map(
            lambda raw: ("raw", raw)
        ),
    )


def path_strategy(path: str) -> st.SearchStrategy[str]:
    """``path`` with each parameter an existing object (filled in when sent), a random uuid or junk."""
    names = re.findall(r"\{(\w+)\}", path)
    values = st.one_of(
        st.just("<existing>"),
        st.uuids().map(str),
        st.text(min_size=1, max_size=20).map(lambda t: quote(t, safe="")),
    )

    def fill(chosen: tuple[str, ...]) -> str:
        parts = iter(chosen)
        return re.sub(r"\{\w+\}", lambda _: next(parts), path)

    return st.tuples(*[values for _ in names]).map(fill)


class Forms(HTMLParser):
    """The POST forms of a page: action and field names with their values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str], set[str]]] = []
        self._current: tuple[str, dict[str, str], set[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("method", "get").lower() == "post":
            self._current = (attributes.get("action", ""), {}, set())
            self.forms.append(self._current)
        elif tag in {"input", "textarea", "select", "button"} and self._current and attributes.get("name"):
            if attributes.get("type") == "file":
                self._current[2].add(attributes["name"])
            else:
                self._current[1][attributes["name"]] = attributes.get("value", "")


def forms_of(html: str, page: str) -> list[tuple[str, dict[str, str], set[str]]]:
    parser = Forms()
    parser.feed(html)
    return [(action or urlsplit(page).path, fields, files) for action, fields, files in parser.forms]


def check_against_document(
    document: dict[str, Any], path: str, method: str, response: Any, case: Any
) -> None:
    operation = document["paths"][path][method]
    responses = operation["responses"]
    status = str(response.status_code)
    assert status in responses, (method, path, status, case, response.text[:300])
    spec = inline(responses[status], document["components"])
    content = spec.get("content", {})
    media_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not content:
        assert not response.content or response.status_code >= 300, (
            method,
            path,
            status,
            response.text[:200],
        )
        return
    assert media_type in content, (method, path, status, media_type, list(content))
    schema = content[media_type].get("schema")
    if schema:
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            response.json()
        )


async def test_every_json_operation_answers_as_documented(client: Client, app: Litestar) -> None:
    await sign_up(client)
    token = await csrf(client)
    product_id = await create(client)
    document = (await client.get("/schema/openapi.json")).json()
    components = document["components"]
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete", "options"}
        and "/api/" in path  # JSON operations
    ]
    assert len(operations) >= 20
    sent = 0
    for path, method, operation in sorted(operations, key=lambda o: o[1] == "delete"):
        cases = draw(
            st.tuples(path_strategy(path), body_strategy(operation, components), WHO),
            JSON_CASES,
        )
        for url, body, who in cases:
            url = url.replace("<existing>", product_id)
            headers = {} if who == "no-csrf" else {"x-csrftoken": token}
            if who == "anonymous":
                saved = httpx.Cookies(client.cookies)
                client.cookies = httpx.Cookies({"csrftoken": token})
            try:
                if body is None:
                    response = await client.request(method.upper(), url, headers=headers)
                elif body[0] == "json":
                    response = await client.request(method.upper(), url, headers=headers, json=body[1])
                else:
                    response = await client.request(
                        method.upper(),
                        url,
                        headers={**headers, "content-type": "application/json"},
                        content=body[1],
                    )
            finally:
                if who == "anonymous":
                    client.cookies = saved
            assert response.status_code < 500, (method, url, body, who, response.text[:300])
            check_against_document(document, path, method, response, (url, body, who))
            sent += 1
        if method == "delete":
            product_id = await create(client)  # the next operations get a product to work on
    # Hypothesis stops early when an operation has fewer distinct cases (no body, no parameter).
    assert sent >= 10 * len(operations)


async def test_every_form_survives_fuzzed_values(client: Client, app: Litestar) -> None:
    identity = await sign_up(client, verified=False)
    handle = identity["handle"]
    # The "resend the link" form shows only until the email is verified.
    unverified = forms_of((await client.get("/dashboard")).text, "/dashboard")
    await verify_email(client)
    product_id = await create(client)
    await post_form(client, "/dashboard/blocks", {"type": "capture", "heading": "Join", "contact": "email"})
    await post_form(client, "/dashboard/publish", {})
    # Forms that appear only once there is something to remove, and the buyer's lead form.
    await upload_avatar(client, png(), "me.png")
    await upload(
        client, f"/dashboard/products/{product_id}/cover", "cover", "c.png", png_bytes(), "image/png"
    )
    magnet = await create(client, kind="lead_magnet", title="Free Pack", price="")
    await upload(client, f"/dashboard/products/{magnet}/files", "file", "pack.pdf", pdf_bytes())
    await post_form(
        client,
        f"/dashboard/products/{magnet}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    # The payout request form appears once there is somewhere to pay out to.
    await post_form(client, "/dashboard/payouts/destinations", {"kind": "telebirr", "phone": "0911234567"})
    # A discount code (its activation form), a published product to buy, and an order placed as a buyer would.
    code = {
        "code": "genna25",
        "kind": "percent",
        "value": "25",
        "product_id": "",
        "max_uses": "",
        "expires_at": "",
    }
    assert (await post_form(client, "/dashboard/discounts", code)).status_code == 303
    await upload(client, f"/dashboard/products/{product_id}/files", "file", "guide.pdf", pdf_bytes())
    published = await post_form(
        client,
        f"/dashboard/products/{product_id}/visibility",
        {"visibility": "published", "return_to": "/dashboard/products"},
    )
    assert published.status_code == 303, published.text  # a download is published with its file
    checkout_url = f"/checkout/{handle}/coffee-guide"
    order_url = await _place_order(client, checkout_url)
    # A banner (its removal form), a contact imported through the preview (its confirm, edit and delete forms)
    # and a draft broadcast (its test and send forms).
    token = await csrf(client)
    banner = await client.post(
        "/dashboard/banner", data={"_csrf_token": token}, files={"banner": ("b.png", png(), "image/png")}
    )
    assert banner.status_code in (200, 303), banner.text
    rows = "email,phone,name,tags,email_consent,sms_consent\nsara@example.com,,Sara,vip,yes,no\n"
    assert (await post_form(client, "/dashboard/audience/import/confirm", {"csv": rows})).status_code == 303
    contact = re.search(
        r'href="/dashboard/audience/([0-9a-f-]{36})"', (await client.get("/dashboard/audience")).text
    )
    assert contact is not None
    drafted = await post_form(
        client, "/dashboard/broadcasts", {"channel": "email", "subject": "News", "body": "Hello"}
    )
    assert drafted.status_code == 303, drafted.text
    pages = [
        "/dashboard",
        "/dashboard/products",
        "/dashboard/products/new",
        f"/dashboard/products/{product_id}",
        f"/dashboard/products/{magnet}",
        f"/@{handle}/free-pack",
        "/account",
        "/account/phone/verify?phone=0911234567",
        "/dashboard/audience",
        f"/dashboard/audience/{contact[1]}",
        "/dashboard/broadcasts",
        drafted.headers["location"],
        "/dashboard/payouts",
        "/dashboard/discounts",
        f"/@{handle}",
        "/",
    ]
    anonymous_pages = [
        "/login",
        "/signup",
        "/signup?method=phone",
        "/login?method=phone",
        "/password-reset",
        "/verify?phone=0911234567&purpose=login",
        "/password-reset/confirm?token=x",
        checkout_url,
        order_url,
        "/library",
    ]
    found: dict[str, tuple[dict[str, str], set[str]]] = {}
    for action, fields, files in unverified:
        found.setdefault(action, (fields, files))
    for page in pages:
        for action, fields, files in forms_of((await client.get(page)).text, page):
            found.setdefault(action.replace(product_id, "<product>"), (fields, files))
    preview = await post_form(client, "/dashboard/audience/import", {"csv": rows})
    for action, fields, files in forms_of(preview.text, "/dashboard/audience/import"):
        found.setdefault(action, (fields, files))
    saved = httpx.Cookies(client.cookies)
    client.cookies = httpx.Cookies()
    for page in anonymous_pages:
        for action, fields, files in forms_of((await client.get(page)).text, page):
            found.setdefault(action, (fields, files))
    client.cookies = saved

    # Every POST route of the HTML face is reached through a form some page offers. JSON operations are the
    # other test's; provider notifications (no form) are fuzzed below; the sandbox gateway's hosted page
    # belongs to the gateway, not the platform; staff decisions have their own crawl.
    posted = {
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute)
        and "POST" in route.methods
        and "/api/" not in route.path
        and not route.path.startswith(("/sandbox-pay/", "/webhooks/", "/staff/"))
        and route.path not in REACHED_WITH_A_SECRET
    }
    reached = {_template(action, posted) for action in found}
    assert not posted - reached, sorted(posted - reached)

    token = await csrf(client)
    destructive = ("delete", "logout", "publish")
    for action in sorted(found, key=lambda a: any(word in a for word in destructive)):
        if (await client.get("/api/v1/identity/me")).status_code != 200:  # an earlier form logged out
            await post_form(client, "/login", {"email": identity["email"], "password": identity["password"]})
            token = await csrf(client)
        if (await client.get(f"/api/v1/catalog/products/{product_id}")).status_code != 200:
            product_id = await create(client)
        fields, files = found[action]
        values = st.fixed_dictionaries(
            {
                name: st.one_of(st.just(original), TEXT)
                for name, original in fields.items()
                if name != "_csrf_token"
            }
        )
        uploads = st.fixed_dictionaries(
            {
                name: st.tuples(TEXT.map(lambda t: (t[:40] or "f") + ".pdf"), st.binary(max_size=300))
                for name in files
            }
        )
        for data, attached in draw(st.tuples(values, uploads), FORM_CASES):
            url = action.replace("<product>", product_id)
            form = {**data, "_csrf_token": token}
            if attached:
                response = await client.post(
                    url,
                    data=form,
                    files={n: (f, b, "application/octet-stream") for n, (f, b) in attached.items()},
                )
            else:
                response = await client.post(url, data=form)
            assert response.status_code < 500, (url, data, response.text[:300])


# Forms behind a signed link or a paid order, which this crawl (no gateway, no mailbox) cannot reach; their own
# tests send them forged tokens and bad values (tests/storefront/test_refund_pages.py, test_delivery_pages.py,
# test_audience_pages.py).
REACHED_WITH_A_SECRET = {
    "/dashboard/orders/{order_id:uuid}/refund",
    "/library/open/{token:str}",
    "/unsubscribe/{token:str}",
}


async def _place_order(client: Client, checkout_url: str) -> str:
    """Buy from the checkout page's own form; the order page (its "try again" form among others) is returned.

    No gateway is listening in this app, so starting the payment fails and the order page offers the retry
    form, which the crawl then reaches."""
    page = await client.get(checkout_url)
    assert page.status_code == 200, page.text
    [(action, fields, _)] = [form for form in forms_of(page.text, checkout_url) if form[0] == checkout_url]
    data = {**fields, "name": "Abebe Kebede", "email": "abebe@example.com", "method": "telebirr"}
    placed = await client.post(action, data=data)
    assert placed.status_code == 303, placed.text
    return str(placed.headers["location"])


async def test_provider_notifications_survive_fuzzed_bodies(client: Client, app: Litestar) -> None:
    """The webhooks take raw bodies signed by providers: junk, forged and oversized ones get a 4xx."""
    providers = ["sandbox", "chapa", "telebirr", "webirr", "nope", "%00", "x" * 300]
    bodies = draw(
        st.one_of(
            JSON_VALUES.map(lambda value: ("json", value)),
            st.binary(max_size=300).map(lambda raw: ("raw", raw)),
            st.sampled_from([b"[" * 3000, b'{"tx_ref": "\\u0000"}', b"\xff\xfe", b"a=1&b=%ZZ"]).map(
                lambda raw: ("raw", raw)
            ),
        ),
        FORM_CASES * 2,
    )
    headers = st.fixed_dictionaries(
        {},
        optional={
            "chapa-signature": TEXT,
            "x-chapa-signature": TEXT,
            "x-webirr-signature": TEXT,
            "x-signature": TEXT,
            "content-type": st.sampled_from(
                ["application/json", "text/plain", "application/x-www-form-urlencoded"]
            ),
        },
    )
    sent = 0
    for provider in providers:
        for (kind, body), extra in zip(bodies, draw(headers, len(bodies)), strict=False):
            raw_headers = {k: v.encode("utf-8", "surrogatepass") for k, v in extra.items()}
            if kind == "json":
                response = await client.post(f"/webhooks/{quote(provider)}", json=body, headers=raw_headers)
            else:
                response = await client.post(
                    f"/webhooks/{quote(provider)}", content=body, headers=raw_headers
                )
            assert response.status_code < 500, (provider, body, extra, response.text[:300])
            sent += 1
    assert sent >= 10 * len(providers)


def _template(action: str, templates: set[str]) -> str:
    path = urlsplit(action).path
    if path in templates:  # a literal route wins over a parameter one, as in the router
        return path
    for template in templates:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path.replace("<product>", str(uuid.UUID(int=1)))):
            return template
    return path


def test_the_fuzzer_draws_deterministic_varied_cases() -> None:
    first = draw(st.tuples(TEXT, JSON_VALUES), 20)
    assert first == draw(st.tuples(TEXT, JSON_VALUES), 20)
    assert len({json.dumps(case, default=str) for case in first}) > 10


# A staff refund asks the payment provider, which this app (no gateway listening) cannot reach: its own tests
# send it bad and forged values (tests/storefront/test_refund_pages.py).
STAFF_REACHED_ELSEWHERE = {"/staff/orders/{creator_id:uuid}/{order_id:uuid}/refund"}


async def test_every_staff_form_survives_fuzzed_values(client: Client, app: Litestar) -> None:
    """The staff console's forms (payout decisions, feature flags) get the same fuzzing as the creator's."""
    from windsurf.core.uow import tenant_for, unit_of_work
    from windsurf.identity import service as identity
    from windsurf.ledger import service as ledger

    creator = uuid.uuid4()
    ready = ledger.LedgerPolicy(holding=dt.timedelta(0), payout_minimum=100, platform_fee_bps=0)
    payouts = []
    async with tenant_for(creator) as tenant:
        await ledger.post_sale(
            tenant, order_reference=uuid.uuid4().hex, gross=100_000, provider_fee=0, policy=ready
        )
        destination = await ledger.add_destination(tenant, kind="telebirr", phone="0911 234 567")
        for _ in range(2):  # one stays requested (approve, reject), one is approved (paid, failed, send)
            payout = await ledger.request_payout(
                tenant, destination_id=destination.id, amount=20_000, policy=ready
            )
            payouts.append(payout.id)
    email, password = f"ops.{uuid.uuid4().hex[:8]}@windsurf.et", "staff password 2026"
    async with unit_of_work() as uow:
        staff = await identity.create_staff(uow, email=email, password=password, display_name="Ops")
    async with unit_of_work() as uow:
        await ledger.approve(uow, staff, payouts[1], "checked")
    await post_form(client, "/login", {"email": email, "password": password})

    pages = ["/staff/payouts", *(f"/staff/payouts/{payout_id}" for payout_id in payouts), "/staff/flags"]
    found: dict[str, tuple[dict[str, str], set[str]]] = {}
    for page in pages:
        answer = await client.get(page)
        assert answer.status_code == 200, (page, answer.text[:300])
        for action, fields, files in forms_of(answer.text, page):
            found.setdefault(action, (fields, files))
    posted = {
        route.path
        for route in app.routes
        if isinstance(route, HTTPRoute) and "POST" in route.methods and route.path.startswith("/staff/")
    }
    reached = {_template(action, posted) for action in found}
    assert not posted - reached - STAFF_REACHED_ELSEWHERE, sorted(posted - reached)
    assert len(found) >= 6, sorted(found)  # approve, reject, paid, failed, send and the flags

    token = await csrf(client)
    for action, (fields, _files) in sorted(found.items()):
        values = st.fixed_dictionaries(
            {
                name: st.one_of(st.just(original), TEXT)
                for name, original in fields.items()
                if name != "_csrf_token"
            }
        )
        for data in draw(values, FORM_CASES):
            response = await client.post(action, data={**data, "_csrf_token": token})
            assert response.status_code < 500, (action, data, response.text[:300])
