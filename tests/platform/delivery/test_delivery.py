"""Delivery: one grant per paid order, signed expiring links, download limits, PDF stamping and the library."""

from __future__ import annotations

import asyncio
import io
import re
import uuid

import pytest
from litestar import Litestar
from pypdf import PdfReader, PdfWriter

from tests.conftest import drain_jobs
from windsurf.core import storage
from windsurf.core.errors import NotFoundError
from windsurf.core.uow import tenant_for, unit_of_work
from windsurf.delivery import service
from windsurf.delivery.service import DownloadRefused, FileRef, NewGrant
from windsurf.settings import Settings

SECRET = "delivery-test-secret-0123456789-abcdef"
postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


def _pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_outline_item(title="Chapter 1", page_number=0)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def _grant(
    creator: uuid.UUID,
    files: tuple[FileRef, ...] = (),
    *,
    email: str | None = "buyer@example.com",
    **changes: object,
) -> service.GrantView:
    values: dict[str, object] = {
        "order_id": uuid.uuid4(),
        "order_number": "K7Q3M9TXAB",
        "product_id": uuid.uuid4(),
        "product_title": "Injera at home",
        "store_name": "Hana's kitchen",
        "email": email,
        "phone": None,
        "files": files,
    }
    values.update(changes)
    async with tenant_for(creator) as tenant:
        return await service.grant_for_order(tenant, NewGrant(**values), secret_key=SECRET)  # type: ignore[arg-type]


def _file(key: str = "private/x/guide.pdf", content_type: str = "application/pdf") -> FileRef:
    return FileRef(uuid.uuid4(), "guide.pdf", content_type, key)


async def test_one_grant_per_order_with_its_files(app: Litestar) -> None:
    creator, order_id = uuid.uuid4(), uuid.uuid4()
    first = await _grant(
        creator, (_file(), _file("private/x/notes.zip", "application/zip")), order_id=order_id
    )
    again = await _grant(creator, (_file(),), order_id=order_id)
    assert again.id == first.id and len(again.files) == 2
    async with tenant_for(uuid.uuid4()) as other:
        with pytest.raises(NotFoundError):
            await service.get_grant(other, first.id)


def test_links_are_signed_and_expire() -> None:
    creator, grant, file = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    token = service.download_token(SECRET, creator, grant, file, now=1_000_000)
    claims = service.read_download_token(SECRET, token, now=1_000_000)
    assert (claims.creator_id, claims.grant_id, claims.file_id) == (creator, grant, file)
    # Another grant's id put into the body, another key, or a truncated signature: not a link at all.
    other = service.download_token(SECRET, creator, uuid.uuid4(), file, now=1_000_000)
    forged = f"{other.split('.')[0]}.{token.split('.')[1]}"
    for bad in (
        forged,
        service.download_token("another-secret-0123456789-abcdef", creator, grant, file),
        token[:-2],
    ):
        with pytest.raises(NotFoundError):
            service.read_download_token(SECRET, bad, now=1_000_000)
    with pytest.raises(DownloadRefused) as expired:
        service.read_download_token(SECRET, token, now=1_000_000 + 8 * 24 * 3600)
    assert expired.value.code == "link_expired"


async def test_the_download_limit_and_a_refund_end_access(app: Litestar) -> None:
    creator = uuid.uuid4()
    ref = _file()
    grant = await _grant(creator, (ref,))
    for _ in range(service.DOWNLOAD_LIMIT):
        async with tenant_for(creator) as tenant:
            assert (await service.use_download(tenant, grant.id, ref.file_id)).storage_key == ref.storage_key
    async with tenant_for(creator) as tenant:
        with pytest.raises(DownloadRefused) as used_up:
            await service.use_download(tenant, grant.id, ref.file_id)
        assert used_up.value.code == "limit_reached"
        with pytest.raises(NotFoundError):
            await service.use_download(tenant, grant.id, uuid.uuid4())

    refunded_ref = _file()
    refunded = await _grant(creator, (refunded_ref,))
    async with tenant_for(creator) as tenant:
        assert await service.revoke(tenant, refunded.order_id)
        assert not await service.revoke(tenant, refunded.order_id)
    async with tenant_for(creator) as tenant:
        with pytest.raises(DownloadRefused) as revoked:
            await service.use_download(tenant, refunded.id, refunded_ref.file_id)
        assert revoked.value.code == "revoked"


@postgres_only
async def test_the_download_limit_holds_under_concurrency(app: Litestar) -> None:
    creator = uuid.uuid4()
    ref = _file()
    grant = await _grant(creator, (ref,))

    async def download() -> bool:
        try:
            async with tenant_for(creator) as tenant:
                await service.use_download(tenant, grant.id, ref.file_id)
        except DownloadRefused:
            return False
        return True

    results = await asyncio.gather(*(download() for _ in range(service.DOWNLOAD_LIMIT * 2)))
    assert sum(results) == service.DOWNLOAD_LIMIT


async def test_pdfs_are_stamped_by_a_job_and_links_are_sent(app: Litestar, settings: Settings) -> None:
    files = storage.build_storage(settings)
    creator = uuid.uuid4()
    good, damaged = _file(f"private/{creator}/guide.pdf"), _file(f"private/{creator}/broken.pdf")
    await files.put(good.storage_key, _pdf(), "application/pdf")
    await files.put(damaged.storage_key, b"%PDF-1.7 not really", "application/pdf")
    email = f"buyer.{uuid.uuid4().hex[:6]}@example.com"
    grant = await _grant(creator, (good, damaged), email=email)
    await drain_jobs(app)

    async with tenant_for(creator) as tenant:
        stamped = await service.use_download(tenant, grant.id, good.file_id)
        original = await service.use_download(tenant, grant.id, damaged.file_id)
    assert stamped.storage_key != good.storage_key and original.storage_key == damaged.storage_key
    reader = PdfReader(io.BytesIO(await files.get(stamped.storage_key)))
    assert f"{email} - K7Q3M9TXAB" in reader.pages[0].extract_text()
    assert [item.title for item in reader.outline] == ["Chapter 1"]

    sent = [mail for mail in app.state.jobs.email.emails if mail.to == email]
    assert len(sent) == 1 and "Injera at home" in sent[0].subject
    tokens = re.findall(r"/download/([\w.-]+)", sent[0].body)
    claims = {service.read_download_token(settings.secret_key, token).file_id for token in tokens}
    assert claims == {good.file_id, damaged.file_id}


async def test_the_library_opens_once_and_lists_purchases_across_stores(app: Litestar) -> None:
    contact = f"library.{uuid.uuid4().hex[:6]}@example.com"
    first = await _grant(uuid.uuid4(), (_file(),), email=contact)
    second = await _grant(uuid.uuid4(), (_file(),), email=contact.upper())
    await _grant(uuid.uuid4(), (_file(),), email="somebody.else@example.com")

    async with unit_of_work() as uow:
        token = await service.new_library_link(uow, SECRET, service.buyer_key(SECRET, contact))
    async with unit_of_work() as uow:
        key = await service.redeem_library_link(uow, SECRET, token)
    async with unit_of_work() as uow:
        with pytest.raises(DownloadRefused):
            await service.redeem_library_link(uow, SECRET, token)
    async with unit_of_work() as uow:
        purchases = await service.library(await uow.act_for_buyer(key))
    assert {grant.id for grant in purchases} == {first.id, second.id}
    assert all(len(grant.files) == 1 for grant in purchases)
    async with unit_of_work() as uow:
        assert (
            await service.library(await uow.act_for_buyer(service.buyer_key(SECRET, "nobody@example.com")))
            == []
        )
