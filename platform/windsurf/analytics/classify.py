"""What a request says about a visit: its source (``?src=``, UTM, then the Referer's host), its device class
(from the user agent; bots are not visits), its Addis Ababa day, and the visitor's daily hash.

Pure functions, cheap enough for the store page's fast path: a few substring checks and one sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

ADDIS = ZoneInfo("Africa/Addis_Ababa")
SOURCES = ("telegram", "tiktok", "instagram", "facebook", "whatsapp", "youtube", "x", "direct", "other")
DEVICES = ("mobile", "tablet", "desktop")
BOT = "bot"
# Referer hosts (the registered domain and its subdomains) and the ?src= / utm_source spellings of each source.
_HOSTS = {
    "telegram": ("t.me", "telegram.org", "telegram.me"),
    "tiktok": ("tiktok.com",),
    "instagram": ("instagram.com",),
    "facebook": ("facebook.com", "fb.com", "fb.me", "messenger.com"),
    "whatsapp": ("whatsapp.com", "wa.me"),
    "youtube": ("youtube.com", "youtu.be"),
    "x": ("x.com", "twitter.com", "t.co"),
}
_ALIASES = {
    "tg": "telegram",
    "tt": "tiktok",
    "ig": "instagram",
    "insta": "instagram",
    "fb": "facebook",
    "wa": "whatsapp",
    "yt": "youtube",
    "twitter": "x",
}
# A store page (/@handle) or a product page (/@handle/slug), lower-cased: the pages a view is counted on.
PAGE_PATH = re.compile(r"^/@([a-z0-9_]{1,30})(?:/([a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?))?/?$")
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|preview|curl|wget|python-|httpx|go-http|headless|"
    r"lighthouse|pingdom|monitor|scan|fetch|java/|okhttp|libwww",
    re.IGNORECASE,
)
_TABLET = re.compile(r"ipad|tablet|kindle|silk/|playbook", re.IGNORECASE)
_MOBILE = re.compile(r"mobi|iphone|ipod|opera mini|blackberry|windows phone|kaios", re.IGNORECASE)


def addis_day(moment: dt.datetime) -> dt.date:
    """The Africa/Addis_Ababa date of a UTC moment: what every rollup is keyed by."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ADDIS).date()


def today() -> dt.date:
    return addis_day(dt.datetime.now(dt.UTC))


def device_class(user_agent: str) -> str:
    """mobile, tablet, desktop, or ``bot`` (not counted). No user agent at all is a script, not a person."""
    if not user_agent or _BOTS.search(user_agent):
        return BOT
    if _TABLET.search(user_agent):
        return "tablet"
    if _MOBILE.search(user_agent):
        return "mobile"
    # Android without "Mobile" is a tablet (Google's convention for Android browsers).
    return "tablet" if "android" in user_agent.lower() else "desktop"


def named_source(value: str) -> str | None:
    """A ``?src=`` / ``utm_source`` value as one of SOURCES; anything else that is not empty is ``other``."""
    value = value.strip().lower()[:40]
    if not value:
        return None
    value = _ALIASES.get(value, value)
    if value in SOURCES:
        return value
    return _host_source(value) or "other"


def _host_source(host: str) -> str | None:
    host = host.lower().removeprefix("www.")
    for source, domains in _HOSTS.items():
        if any(host == domain or host.endswith("." + domain) for domain in domains):
            return source
    return None


def source_of(query: str, referer: str, own_host: str = "") -> str:
    """The visit's source: ``src`` or ``utm_source`` in the query, else the Referer's host; no Referer (or our
    own pages) is ``direct``. Telegram and WhatsApp in-app browsers often send no Referer: hence the share links
    that carry ``?src=``."""
    if query:
        params = parse_qs(query, max_num_fields=20)
        for name in ("src", "utm_source"):
            if params.get(name):
                named = named_source(params[name][0])
                if named:
                    return named
    if not referer or referer == "-":
        return "direct"
    try:
        parts = urlsplit(referer)
    except ValueError:
        return "other"
    host = (parts.hostname or "").lower()
    if not host or (own_host and host == own_host.lower()):
        # From one of our own pages: the source the buyer arrived with, if the link still carries it.
        return source_of(parts.query, "", "") if parts.query else "direct"
    return _host_source(host) or "other"


def visitor_hash(salt: str, store: str | uuid.UUID, address: str, user_agent: str) -> str:
    """Plausible's cookie-less visitor id: sha256(daily salt + store + address + user agent) (the store's
    handle stands for its creator, as the site's domain does for Plausible). The address
    and the user agent are never kept; without the day's salt (deleted after two days) nothing links back."""
    material = f"{salt}\x00{store}\x00{address}\x00{user_agent}".encode()
    return hashlib.sha256(material).hexdigest()
