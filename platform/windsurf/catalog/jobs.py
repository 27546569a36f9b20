"""Catalog housekeeping: which stored files (product files, cover images) a creator's products refer to."""

from __future__ import annotations

from windsurf.catalog.tables import Product, ProductFile
from windsurf.core.orphans import referrer
from windsurf.core.uow import Tenant


@referrer("private/files/")
async def product_files(tenant: Tenant) -> set[str]:
    async with tenant.scope():
        rows = await ProductFile.select(ProductFile.storage_key).where(
            ProductFile.creator_id == tenant.creator_id
        )
    return {row["storage_key"] for row in rows}


@referrer("public/covers/")
async def cover_images(tenant: Tenant) -> set[str]:
    from windsurf.catalog.service import _cover_entries

    async with tenant.scope():
        rows = await Product.select(Product.cover).where(Product.creator_id == tenant.creator_id)
    return {entry["key"] for row in rows for entry in _cover_entries(row["cover"])}
