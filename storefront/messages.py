"""Which user-facing messages the code and templates use, and which of them a catalog still lacks.

``python -m storefront.messages`` prints, per language, the msgids with no translation as ready-to-fill ``.po``
entries; the test suite fails while any remain.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_from_dir

from storefront import HERE, LOCALES_DIR
from windsurf.core.i18n import SUPPORTED_LOCALES, translations_for

PLATFORM_DIR = HERE.parent / "platform" / "windsurf"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}
METHODS = [("**/piccolo_migrations/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {
    "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true", "trimmed": "false"}
}


def used_messages() -> dict[str, str]:
    """Every msgid in the platform and storefront sources, with one place it is used."""
    found: dict[str, str] = {}
    for root in (PLATFORM_DIR, HERE):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            root, METHODS, OPTIONS, KEYWORDS, strip_comment_tags=True
        ):
            for msgid in message if isinstance(message, tuple) else (message,):
                if msgid:
                    found.setdefault(msgid, f"{Path(root).name}/{filename}:{lineno}")
    return found


def missing(locale: str) -> Iterator[tuple[str, str]]:
    catalog = translations_for(LOCALES_DIR, locale)._catalog
    for msgid, where in sorted(used_messages().items()):
        if not catalog.get(msgid):
            yield msgid, where


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    total = 0
    for locale in SUPPORTED_LOCALES:
        for msgid, where in missing(locale):
            total += 1
            print(f'# {locale}: {where}\nmsgid {_po_string(msgid)}\nmsgstr ""\n')
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
