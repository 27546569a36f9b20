"""JSON API of the catalog for the logged-in creator: products and leads (OpenAPI at /schema).

Amounts are integers in santim. Rule violations come back as RFC 9457 problem documents with per-field errors,
and another creator's product is a 404 like one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from typing import Any, cast

from litestar import Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from windsurf.catalog import inputs, service
from windsurf.catalog.inputs import Kind, LeadField, Visibility
from windsurf.core.errors import InvalidInput, ServiceError
from windsurf.dependencies import StorageDep, TenantDep

# The document lists the choices (the service's typed inputs); a value outside them is a 400 problem.


@dataclass(frozen=True)
class ProductOut:
    id: uuid.UUID
    kind: Kind
    title: str
    slug: str
    description_md: str
    description_html: str
    price_santim: int
    compare_at_santim: int | None
    pwyw_min_santim: int | None
    external_url: str
    duration_minutes: int | None
    lead_field: LeadField
    visibility: Visibility
    sales_limit: int | None
    position: int
    cover: list[str]
    file_names: list[str]
    updated_at: dt.datetime
    version: int  # send it back with a PATCH: a save from an older version is refused with 409


@dataclass(frozen=True)
class ProductIn:
    """Fields to set; omitted ones keep their value (on create: their default)."""

    title: str | None = None
    slug: str | None = None
    description: str | None = None
    price_santim: int | None = None
    compare_at_santim: int | None = None
    pwyw_min_santim: int | None = None
    external_url: str | None = None
    duration_minutes: int | None = None
    lead_field: LeadField | None = None
    sales_limit: int | None = None
    clear: tuple[str, ...] = ()  # names of optional amounts/limits to remove, e.g. ("compare_at_santim",)
    version: int | None = None  # on PATCH: the version read; a newer stored version refuses the save (409)


@dataclass(frozen=True)
class NewProduct(ProductIn):
    kind: Kind = "download"


@dataclass(frozen=True)
class VisibilityIn:
    visibility: Visibility


@dataclass(frozen=True)
class LeadOut:
    id: uuid.UUID
    product_id: uuid.UUID
    email: str | None
    phone: str | None
    created_at: dt.datetime


def _out(product: service.ProductView) -> ProductOut:
    return ProductOut(
        id=product.id,
        kind=cast(Kind, product.kind),
        title=product.title,
        slug=product.slug,
        description_md=product.description_md,
        description_html=product.description_html,
        price_santim=product.price_santim,
        compare_at_santim=product.compare_at_santim,
        pwyw_min_santim=product.pwyw_min_santim,
        external_url=product.external_url,
        duration_minutes=product.duration_minutes,
        lead_field=cast(LeadField, product.lead_field),
        visibility=cast(Visibility, product.visibility),
        sales_limit=product.sales_limit,
        position=product.position,
        cover=[url for url, _, _ in product.cover or ()],
        file_names=[f.filename for f in product.files],
        updated_at=product.updated_at,
        version=product.version,
    )


# The service and the cleaning speak the form's field names; this API reports its own.
_API_FIELDS = {form: api for api, form in inputs.API_AMOUNTS.items()}


def _given(data: ProductIn) -> dict[str, Any]:
    return {f.name: getattr(data, f.name) for f in fields(ProductIn) if f.name not in {"clear", "version"}}


@asynccontextmanager
async def _api_fields() -> AsyncIterator[None]:
    try:
        yield
    except InvalidInput as exc:
        raise exc.renamed(_API_FIELDS) from exc
    except ServiceError as exc:
        exc.field = _API_FIELDS.get(exc.field or "", exc.field)
        raise


@get("/products")
async def list_products(tenant: TenantDep) -> list[ProductOut]:
    return [_out(product) for product in await service.list_products(tenant)]


@post("/products")
async def create_product(tenant: TenantDep, data: JSONBody[NewProduct]) -> ProductOut:
    async with _api_fields():
        product = await service.create_product(
            tenant, inputs.new_product_api(data.kind, _given(data), data.clear)
        )
    return _out(product)


@get("/products/{product_id:uuid}")
async def get_product(tenant: TenantDep, product_id: FromPath[uuid.UUID]) -> ProductOut:
    return _out(await service.get_product(tenant, product_id))


@patch("/products/{product_id:uuid}")
async def update_product(
    tenant: TenantDep,
    product_id: FromPath[uuid.UUID],
    data: JSONBody[ProductIn],
) -> ProductOut:
    async with _api_fields():
        # Each field is cleaned here; the rules between fields are checked by the service against the row it
        # reads for the update, so the product is read once.
        changes = inputs.product_api(_given(data), data.clear)
        product = await service.update_product(tenant, product_id, changes, expected_version=data.version)
    return _out(product)


@post("/products/{product_id:uuid}/visibility", status_code=200)
async def set_visibility(
    tenant: TenantDep,
    product_id: FromPath[uuid.UUID],
    data: JSONBody[VisibilityIn],
) -> ProductOut:
    product = await service.set_visibility(tenant, product_id, data.visibility)
    return _out(product)


@delete("/products/{product_id:uuid}")
async def delete_product(
    tenant: TenantDep,
    storage: StorageDep,
    product_id: FromPath[uuid.UUID],
) -> None:
    await service.delete_product(tenant, product_id, storage)


@get("/leads")
async def list_leads(tenant: TenantDep) -> list[LeadOut]:
    return [
        LeadOut(lead.id, lead.product_id, lead.email, lead.phone, lead.created_at)
        for lead in await service.list_leads(tenant)
    ]


router = Router(
    path="/api/v1/catalog",
    route_handlers=[
        list_products,
        create_product,
        get_product,
        update_product,
        set_visibility,
        delete_product,
        list_leads,
    ],
    tags=["catalog"],
)
