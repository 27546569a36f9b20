"""Typed catalog inputs: the page form and the JSON API clean into the same value, and the service takes any
typed value as it is, refusing only what depends on the stored product."""

from __future__ import annotations

import pytest
from litestar import Litestar

from tests.helpers import acting, bare_creator
from windsurf.catalog import inputs, service, validation
from windsurf.catalog.inputs import KEEP, NewProduct, ProductChanges
from windsurf.core.errors import InvalidInput, ServiceError


def test_the_form_and_the_api_make_the_same_new_product() -> None:
    form = inputs.new_product_form(
        "coaching",
        {
            "title": "  Coffee   talk ",
            "slug": "Coffee-Talk",
            "description": "**Strong**",
            "price": "1,500.50",
            "compare_at": "2000",
            "duration_minutes": "60",
            "sales_limit": "12",
        },
    )
    api = inputs.new_product_api(
        "coaching",
        {
            "title": "  Coffee   talk ",
            "slug": "Coffee-Talk",
            "description": "**Strong**",
            "price_santim": 150050,
            "compare_at_santim": 200000,
            "duration_minutes": 60,
            "sales_limit": 12,
        },
    )
    assert form == api
    assert form == NewProduct(
        "coaching",
        "Coffee talk",
        ProductChanges(
            slug="coffee-talk",
            description_md="**Strong**",
            price_santim=150050,
            compare_at_santim=200000,
            duration_minutes=60,
            sales_limit=12,
        ),
    )


def test_the_form_and_the_api_make_the_same_changes() -> None:
    form = inputs.product_form({"title": "New name", "compare_at": "", "pwyw_min": "50", "slug": ""})
    api = inputs.product_api(
        {"title": "New name", "pwyw_min_santim": 5000, "slug": ""}, clear=("compare_at_santim",)
    )
    assert form == api == ProductChanges(title="New name", compare_at_santim=None, pwyw_min_santim=5000)
    assert form.slug is KEEP and "slug" not in form.values()


@pytest.mark.parametrize(
    ("form", "api", "field", "message"),
    [
        ({"price": "-5"}, {"price_santim": -5}, "price", inputs.PRICE_MESSAGE),
        ({"compare_at": "1000001"}, {"compare_at_santim": 100_000_100}, "compare_at", inputs.PRICE_TOO_HIGH),
        ({"duration_minutes": "10"}, {"duration_minutes": 10}, "duration_minutes", inputs.DURATION_MESSAGE),
        ({"sales_limit": "0"}, {"sales_limit": 0}, "sales_limit", inputs.SALES_LIMIT_MESSAGE),
        ({"lead_field": "fax"}, {"lead_field": "fax"}, "lead_field", inputs.LEAD_FIELD_MESSAGE),
    ],
)
def test_the_form_and_the_api_refuse_alike(
    form: dict[str, str], api: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as from_form:
        inputs.product_form(form)
    with pytest.raises(InvalidInput) as from_api:
        inputs.product_api(api)
    assert from_form.value.errors == from_api.value.errors == {field: message}


def test_cleaning_with_the_stored_product_lists_field_and_rule_errors_together() -> None:
    class Stored:
        kind = "coaching"
        title, slug, description_md, external_url, lead_field = "T", "t", "", "", "email"
        price_santim, compare_at_santim, pwyw_min_santim = 50000, None, None
        duration_minutes, sales_limit = 60, None

    with pytest.raises(InvalidInput) as caught:
        inputs.product_form({"title": "", "compare_at": "100"}, current=Stored())
    assert set(caught.value.errors) == {"title", "compare_at"}


def test_visibility_and_direction_are_cleaned_before_the_service() -> None:
    assert inputs.clean_visibility("unlisted") == "unlisted"
    assert inputs.clean_direction("down") == "down"
    with pytest.raises(ServiceError) as caught:
        inputs.clean_visibility("public")
    assert caught.value.field == "visibility"
    with pytest.raises(ServiceError) as caught:
        inputs.clean_direction("sideways")
    assert caught.value.field == "direction"


async def test_the_service_takes_any_typed_value_as_it_is(app: Litestar) -> None:
    creator = await bare_creator()
    # Values at the very edges of what cleaning lets through, built without any form text.
    new = NewProduct(
        "coaching",
        "Edge",
        ProductChanges(
            price_santim=validation.MAX_PRICE_SANTIM - 1,
            compare_at_santim=validation.MAX_PRICE_SANTIM,
            duration_minutes=validation.DURATION_RANGE[1],
            sales_limit=validation.SALES_LIMIT_MAX,
            description_md="Hello *world*",
        ),
    )
    product = await acting(creator, service.create_product, new)
    assert (product.price_santim, product.compare_at_santim) == (
        validation.MAX_PRICE_SANTIM - 1,
        validation.MAX_PRICE_SANTIM,
    )
    assert (product.duration_minutes, product.sales_limit) == (480, validation.SALES_LIMIT_MAX)
    assert product.description_html == "<p>Hello <em>world</em></p>\n"
    changed = await acting(
        creator,
        service.update_product,
        product.id,
        ProductChanges(duration_minutes=15, sales_limit=None, lead_field="phone"),
    )
    assert (changed.duration_minutes, changed.sales_limit, changed.lead_field) == (15, None, "phone")
    assert changed.price_santim == product.price_santim  # fields not given keep their value
    moved = await acting(creator, service.set_visibility, product.id, "unlisted")
    assert moved.visibility == "unlisted"


async def test_the_service_still_checks_the_rules_against_the_stored_product(app: Litestar) -> None:
    creator = await bare_creator()
    product = await acting(
        creator,
        service.create_product,
        NewProduct("download", "Ebook", ProductChanges(price_santim=20000)),
    )
    # Clean on its own, but not above the price already stored.
    with pytest.raises(InvalidInput) as caught:
        await acting(creator, service.update_product, product.id, ProductChanges(compare_at_santim=15000))
    assert caught.value.errors == {"compare_at": "The compare-at price must be higher than the price."}
    # A lead magnet is free whatever amounts it is given.
    magnet = await acting(
        creator,
        service.create_product,
        NewProduct("lead_magnet", "Guide", ProductChanges(price_santim=9900, compare_at_santim=20000)),
    )
    assert (magnet.price_santim, magnet.compare_at_santim) == (0, None)
