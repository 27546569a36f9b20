"""The contact list: merged by email or phone, consent recorded, imports validated per row, data rights."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import drain_jobs
from tests.helpers import acting
from tests.platform.payments.test_money_path import Platform, platform  # noqa: F401 - the fixture
from windsurf.audience import inputs
from windsurf.audience import service as audience
from windsurf.core.errors import InvalidInput, NotFoundError
from windsurf.core.uow import tenant_for
from windsurf.settings import Settings


async def test_a_person_is_one_contact_whatever_door_they_came_through(settings: Settings) -> None:
    creator = uuid.uuid4()
    lead = inputs.lead_capture("email", "  Hana@Example.COM ")
    first = await acting(creator, audience.add_contact, lead.as_contact("lead_block", "lead block"))
    assert (first.email, first.source, first.email_consent, first.email_consent_how) == (
        "hana@example.com",
        "lead_block",
        True,
        "lead block",
    )
    # A purchase with the same email and a phone fills the phone in and withdraws no consent.
    bought = await acting(
        creator,
        audience.add_contact,
        audience.NewContact(source="purchase", email="hana@example.com", phone="+251911234567", name="Hana"),
    )
    assert bought.id == first.id and bought.phone == "+251911234567" and bought.name == "Hana"
    assert bought.email_consent and not bought.sms_consent and bought.source == "lead_block"
    # The phone alone finds the same person; SMS consent given by them is recorded.
    texted = await acting(
        creator,
        audience.add_contact,
        inputs.lead_capture("phone", "0911 234 567").as_contact("lead_magnet", "lead magnet"),
    )
    assert texted.id == first.id and texted.sms_consent and texted.sms_consent_how == "lead magnet"
    contacts, total = await acting(creator, audience.list_contacts)
    assert total == 1 and contacts[0].id == first.id
    # Another creator's list is separate, and their contact is not found here.
    other = uuid.uuid4()
    assert (await acting(other, audience.list_contacts))[1] == 0
    with pytest.raises(NotFoundError):
        await acting(other, audience.get_contact, first.id)


async def test_search_tags_and_notes(settings: Settings) -> None:
    creator = uuid.uuid4()
    for email, tags in (("abebe@example.com", ("vip", "addis")), ("sara@example.com", ("addis",))):
        await acting(
            creator, audience.add_contact, audience.NewContact(source="manual", email=email, tags=tags)
        )
    (abebe,), _ = await acting(creator, audience.list_contacts, search="ABEBE")
    await acting(
        creator,
        audience.edit_contact,
        abebe.id,
        inputs.contact_form({"tags": "VIP, Adama, vip", "notes": "ጥሩ ደንበኛ"}),
    )
    edited = await acting(creator, audience.get_contact, abebe.id)
    assert edited.tags == ("vip", "adama") and edited.notes == "ጥሩ ደንበኛ"
    assert [c.email for c in (await acting(creator, audience.list_contacts, tag="addis"))[0]] == [
        "sara@example.com"
    ]
    assert (await acting(creator, audience.list_contacts, search="ደንበኛ"))[1] == 1
    assert await acting(creator, audience.all_tags) == ["adama", "addis", "vip"]
    with pytest.raises(InvalidInput) as refused:
        inputs.contact_form({"tags": "x" * 31, "notes": ""})
    assert "tags" in refused.value.errors


CSV = """Email,Phone,Name,Tags,Email consent,SMS consent
abebe@example.com,0911234567,Abebe,vip;addis,yes,yes
not-an-email,,Bad Email,,yes,no
,0111234567,Landline,,no,yes
sara@example.com,,Sara,,maybe,no
,,,,,
,0722345678,Safaricom,,no,yes
lemlem@example.com,,Lemlem,,no,yes
"""


async def test_an_import_keeps_the_good_rows_and_lists_the_bad_ones(settings: Settings) -> None:
    preview = inputs.parse_import(CSV)
    assert [row.email or row.phone for row in preview.good] == ["abebe@example.com", "+251722345678"]
    assert {bad.line: bad.reasons for bad in preview.bad} == {
        3: ("The email address is not valid.",),
        4: ("The phone number is not a valid Ethiopian mobile number.",),
        5: ("Write yes or no in the consent columns.",),
        8: ("SMS consent needs a phone number.",),
    }
    creator = uuid.uuid4()
    assert await acting(creator, audience.import_contacts, preview.good) == 2
    contacts, total = await acting(creator, audience.list_contacts)
    assert total == 2
    abebe = next(c for c in contacts if c.email == "abebe@example.com")
    assert abebe.tags == ("vip", "addis") and abebe.email_consent and abebe.sms_consent
    assert abebe.email_consent_how == "import" and abebe.source == "import"
    exported = await acting(creator, audience.export_csv)
    assert exported.splitlines()[0].startswith("email,phone,name,source,joined_at,email_consent")
    assert "abebe@example.com,+251911234567,Abebe,import," in exported


def test_an_import_without_a_consent_column_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        inputs.parse_import("email,name\nabebe@example.com,Abebe\n")
    assert "consent" in refused.value.errors["file"]
    with pytest.raises(InvalidInput):
        inputs.parse_import("")


async def test_unsubscribed_and_deleted_addresses_are_never_sent_to_again(settings: Settings) -> None:
    creator = uuid.uuid4()
    new = audience.NewContact(
        source="manual",
        email="yonas@example.com",
        phone="+251911000111",
        email_consent=True,
        sms_consent=True,
        consent_how="manual",
    )
    contact = await acting(creator, audience.add_contact, new)
    assert await acting(creator, audience.may_send, contact, "email")
    unsubscribed = await acting(creator, audience.unsubscribe, contact.id, "email", "link")
    assert not unsubscribed.email_consent and not await acting(
        creator, audience.may_send, unsubscribed, "email"
    )
    assert await acting(creator, audience.may_send, unsubscribed, "sms")
    # Deleted on request: gone, and a later import that claims consent sends nothing either.
    await acting(creator, audience.delete_contact, contact.id)
    with pytest.raises(NotFoundError):
        await acting(creator, audience.get_contact, contact.id)
    again = await acting(creator, audience.add_contact, new)
    assert again.id != contact.id
    assert not await acting(creator, audience.may_send, again, "email")
    assert not await acting(creator, audience.may_send, again, "sms")


async def test_a_stop_reply_silences_a_phone_for_every_creator(settings: Settings) -> None:
    new = audience.NewContact(source="manual", phone="+251911000222", sms_consent=True, consent_how="manual")
    first, second = uuid.uuid4(), uuid.uuid4()
    contacts = [await acting(creator, audience.add_contact, new) for creator in (first, second)]
    async with tenant_for(first) as tenant:
        await audience.stop_sms(tenant.uow, "+251911000222")
    assert not await acting(first, audience.may_send, contacts[0], "sms")
    assert not await acting(second, audience.may_send, contacts[1], "sms")


async def test_a_paid_order_brings_its_buyer_onto_the_list(platform: Platform) -> None:  # noqa: F811
    order = await platform.order(phone="+251911345678")
    await platform.pay(await platform.start(order))
    await drain_jobs(platform.app)
    await drain_jobs(platform.app)
    assert await platform.status(order) == "paid"
    contacts, total = await acting(platform.creator_id, audience.list_contacts)
    assert total == 1
    buyer = contacts[0]
    assert (buyer.email, buyer.phone, buyer.name, buyer.source) == (
        order.email,
        "+251911345678",
        "Abebe Kebede",
        "purchase",
    )
    assert not buyer.email_consent and not buyer.sms_consent  # a purchase is no consent to marketing


@pytest.mark.parametrize(
    "text",
    [
        "email,email_consent\rselam@example.com,yes\r",  # old Mac line breaks
        "email,email_consent\r\nselam@example.com,yes\r\n",  # a spreadsheet's
        'email,email_consent\n"selam@example.com",yes\n',
    ],
)
def test_an_import_reads_every_kind_of_line_break(text: str) -> None:
    [contact] = inputs.parse_import(text).good
    assert contact.email == "selam@example.com"


@pytest.mark.parametrize("text", ["email,email_consent\n" + "x" * 200_000, 'email\x00,"a\rb'])
def test_an_unreadable_import_is_a_clear_error_not_a_crash(text: str) -> None:
    """The csv module raises on a cell longer than its limit (and once did on a lone carriage return)."""
    with pytest.raises(InvalidInput) as refused:
        inputs.parse_import(text)
    assert "file" in refused.value.errors
