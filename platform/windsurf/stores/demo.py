"""The demo creator's published store: bilingual bio, a generated photo, theme, links, a capture block,
products.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from windsurf.catalog import service as catalog
from windsurf.catalog.demo import seed_demo_products
from windsurf.core.storage import ObjectStorage
from windsurf.core.uow import Tenant
from windsurf.stores import inputs, service

BIO = (
    "ግራፊክ ዲዛይነርና መምህር ከአዲስ አበባ። ለኢትዮጵያውያን ፈጣሪዎች አብነቶች፣ መመሪያዎችና ኮርሶች።\n"
    "Graphic designer and teacher in Addis Ababa: templates, guides and courses for Ethiopian creators."
)
LINKS = [
    ("የቴሌግራም ቻናሌ · My Telegram channel", "https://t.me/windsurf_demo"),
    ("የዩቲዩብ ትምህርቶች · YouTube lessons", "https://www.youtube.com/@windsurf_demo"),
]
SOCIALS = {
    "telegram": "https://t.me/windsurf_demo",
    "tiktok": "https://www.tiktok.com/@windsurf_demo",
    "instagram": "https://www.instagram.com/windsurf_demo",
    "youtube": "https://www.youtube.com/@windsurf_demo",
}


def avatar_image() -> bytes:
    """A simple portrait-like picture: a face-coloured disc on the theme's green."""
    image = Image.new("RGB", (480, 480), (11, 122, 83))
    pen = ImageDraw.Draw(image)
    pen.ellipse((150, 90, 330, 270), fill=(122, 78, 48))
    pen.ellipse((90, 280, 390, 580), fill=(245, 214, 102))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


async def seed_demo_store(tenant: Tenant, handle: str, storage: ObjectStorage) -> None:
    """Fill and publish the store once; run again, it only adds product blocks for products it lacks."""
    await seed_demo_products(tenant, storage=storage)
    state = await service.get_store(tenant)
    first_time = state.published is None and not state.draft.blocks
    if first_time:
        await service.update_profile(
            tenant, inputs.profile_form(display_name=state.draft.name, handle=handle, bio=BIO)
        )
        await service.update_settings(tenant, inputs.StoreSettings("am", ethiopian_calendar=True))
        await service.update_theme(tenant, inputs.Theme("sand", "#0b7a53"))
        await service.update_socials(tenant, inputs.socials_form(SOCIALS))
        await service.set_avatar(tenant, storage, avatar_image(), "selam.png")
    present = {block.product_id for block in (await service.get_store(tenant)).draft.blocks}
    for card in await catalog.published_cards(tenant):
        if str(card.id) not in present:
            await service.add_block(tenant, inputs.ProductBlock(card.id))
    if first_time:
        await service.add_block(
            tenant, inputs.CaptureBlock("ነፃ የዲዛይን መመሪያ ያግኙ · Get my free design guide", "email")
        )
        for title, url in LINKS:
            await service.add_block(tenant, inputs.LinkBlock(title, url))
    if (await service.get_store(tenant)).unpublished_changes:
        await service.publish(tenant, storage)
