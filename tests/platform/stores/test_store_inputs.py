"""Typed store inputs: the builder's forms clean into them (same per-field msgids as ever), and the service takes
any typed value as it is, refusing only what depends on stored state."""

from __future__ import annotations

import uuid

import pytest
from litestar import Litestar

from tests.helpers import bare_creator
from windsurf.catalog import inputs as catalog_inputs
from windsurf.catalog import service as catalog
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.uow import tenant_for
from windsurf.stores import inputs, service


async def _creator() -> uuid.UUID:
    return await bare_creator("Hana")


def test_forms_clean_into_typed_values() -> None:
    assert inputs.profile_form(
        display_name="  Hana   T ", handle="@Hana_T", bio="a\n\n\n\nb"
    ) == inputs.Profile("Hana T", "hana_t", "a\n\nb")
    assert inputs.theme_form(palette="night", accent=" #ABCDEF ") == inputs.Theme("night", "#abcdef")
    assert inputs.socials_form(
        {"x": "https://x.com/h", "telegram": "", "other": "https://a.et"}
    ) == inputs.Socials((("x", "https://x.com/h"),))
    assert inputs.settings_form(language="en", ethiopian_calendar=False) == inputs.StoreSettings("en", False)
    product_id = uuid.uuid4()
    assert inputs.block_form("product", {"product_id": str(product_id)}) == inputs.ProductBlock(product_id)
    assert inputs.block_form("capture", {"heading": " Get it ", "contact": "phone"}) == inputs.CaptureBlock(
        "Get it", "phone"
    )
    assert inputs.clean_direction("up") == "up"


@pytest.mark.parametrize(
    ("clean", "fields"),
    [
        (
            lambda: inputs.profile_form(display_name="", handle="x", bio="b" * 301),
            {"display_name", "handle", "bio"},
        ),
        (lambda: inputs.theme_form(palette="neon", accent="red"), {"palette", "accent"}),
        (lambda: inputs.socials_form({"youtube": "javascript:alert(1)"}), {"youtube"}),
        (lambda: inputs.settings_form(language="fr", ethiopian_calendar=True), {"language"}),
        (lambda: inputs.block_form("link", {"title": "", "url": "ftp://a.et"}), {"title", "url"}),
        (lambda: inputs.block_form("capture", {"heading": "H", "contact": "fax"}), {"contact"}),
        (lambda: inputs.block_form("product", {"product_id": "nope"}), {"product_id"}),
        (lambda: inputs.block_form("video", {}), {"type"}),
        (lambda: inputs.clean_direction("left"), {"direction"}),
    ],
)
def test_forms_refuse_with_per_field_errors(clean: object, fields: set[str]) -> None:
    with pytest.raises(InvalidInput) as caught:
        clean()  # type: ignore[operator]
    assert set(caught.value.errors) == fields


async def test_the_service_takes_typed_values_and_checks_only_stored_state(app: Litestar) -> None:
    creator_id = await _creator()
    async with tenant_for(creator_id) as tenant:
        await service.update_theme(tenant, inputs.Theme("forest", "#123456"))
        await service.update_settings(tenant, inputs.StoreSettings("en", ethiopian_calendar=True))
        await service.update_socials(tenant, inputs.Socials((("telegram", "https://t.me/h"),)))
        state = await service.add_block(tenant, inputs.LinkBlock("Site", "https://a.example"))
        draft = state.draft
        assert (draft.palette, draft.accent, draft.language, draft.ethiopian_calendar) == (
            "forest",
            "#123456",
            "en",
            True,
        )
        assert draft.socials == {"telegram": "https://t.me/h"}
        link = draft.blocks[-1]
        # A block keeps its type: a typed block of another type is refused on edit.
        with pytest.raises(InvalidInput) as caught:
            await service.update_block(tenant, link.id, inputs.CaptureBlock("Heading", "email"))
        assert set(caught.value.errors) == {"type"}
        with pytest.raises(NotFoundError):
            await service.update_block(tenant, "missing", inputs.LinkBlock("Site", "https://a.example"))
        # A well-formed product id that is not one of the creator's public products.
        with pytest.raises(InvalidInput) as caught:
            await service.add_block(tenant, inputs.ProductBlock(uuid.uuid4()))
        assert set(caught.value.errors) == {"product_id"}
        product = await catalog.create_product(
            tenant,
            catalog_inputs.NewProduct(
                "link", "Podcast", catalog_inputs.ProductChanges(external_url="https://p.et")
            ),
        )
        await catalog.set_visibility(tenant, product.id, "published")
        state = await service.add_block(tenant, inputs.ProductBlock(product.id))
        assert state.draft.blocks[-1].product_id == str(product.id)
        edited = await service.update_block(tenant, link.id, inputs.LinkBlock("Shop", "https://b.example"))
        assert [(b.title, b.url) for b in edited.draft.blocks if b.id == link.id] == [
            ("Shop", "https://b.example")
        ]
