"""Every user-facing message is translated into Amharic and English, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from storefront import LOCALES_DIR
from storefront.messages import missing, used_messages
from windsurf.core.i18n import SUPPORTED_LOCALES, translations_for

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_message_in_the_code_has_a_translation(locale: str) -> None:
    untranslated = list(missing(locale))
    assert untranslated == [], (
        f"{len(untranslated)} messages lack a {locale} translation, e.g. {untranslated[:3]}"
    )


def test_the_extractor_sees_python_and_template_messages() -> None:
    messages = used_messages()
    assert "That handle is taken. Please choose another." in messages  # N_() in a service
    assert "Forgot your password?" in messages  # _() in a template


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    translations = translations_for(LOCALES_DIR, locale)
    for msgid in used_messages():
        translated = translations.gettext(msgid)
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(msgid)), msgid


async def test_pages_follow_the_language_cookie_then_accept_language(
    client: AsyncTestClient[Litestar],
) -> None:
    amharic = await client.get("/login", headers={"Accept-Language": "am-ET,am;q=0.9,en;q=0.5"})
    assert 'lang="am"' in amharic.text and "የይለፍ ቃልዎን ረሱ?" in amharic.text

    english = await client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in english.text and "Forgot your password?" in english.text

    client.cookies.set("lang", "am")
    chosen = await client.get("/login", headers={"Accept-Language": "en-US"})
    assert "የይለፍ ቃልዎን ረሱ?" in chosen.text
