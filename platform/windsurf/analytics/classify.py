"""What a request says about a visit: its source (``?src=``, UTM, then the Referer's host), its device class
(from the user agent; bots are not visits), its Addis Ababa day, and the visitor's daily hash.

Pure functions, cheap enough for the store page's fast path: a few substring checks and one sha256.
"""

from __future__ import annotations

import datetime as dt
import functools
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
# Substrings of a lower-cased user agent (plain substring tests: a regular expression with this many
# alternatives costs a hundred times more on the store page's fast path).
_BOTS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "preview",
    "curl",
    "wget",
    "python-",
    "httpx",
    "go-http",
    "headless",
    "lighthouse",
    "pingdom",
    "monitor",
    "scan",
    "fetch",
    "java/",
    "okhttp",
    "libwww",
)
_TABLET = ("ipad", "tablet", "kindle", "silk/", "playbook")
_MOBILE = ("mobi", "iphone", "ipod", "opera mini", "blackberry", "windows phone", "kaios")


def addis_day(moment: dt.datetime) -> dt.date:
    """The Africa/Addis_Ababa date of a UTC moment: what every rollup is keyed by."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ADDIS).date()


def today() -> dt.date:
    return addis_day(dt.datetime.now(dt.UTC))


class AddisClock:
    """Today's Addis Ababa date for the fast path: worked out once a day, then one comparison per view."""

    def __init__(self) -> None:
        self._day = dt.date.min
        self._until = 0.0  # epoch seconds when ``_day`` ends

    def day_at(self, epoch: float) -> dt.date:
        if epoch >= self._until or epoch < self._until - 86_400:
            moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
            self._day = addis_day(moment)
            midnight = dt.datetime.combine(self._day + dt.timedelta(days=1), dt.time(), ADDIS)
            self._until = midnight.timestamp()
        return self._day


@functools.lru_cache(maxsize=4096)
def device_class(user_agent: str) -> str:
    """mobile, tablet, desktop, or ``bot`` (not counted). No user agent at all is a script, not a person.

    Cached: buyers' phones send a few thousand distinct user agents, each many times a day."""
    agent = user_agent.lower()
    if not agent or any(token in agent for token in _BOTS):
        return BOT
    if any(token in agent for token in _TABLET):
        return "tablet"
    if any(token in agent for token in _MOBILE):
        return "mobile"
    # Android without "Mobile" is a tablet (Google's convention for Android browsers).
    return "tablet" if "android" in agent else "desktop"


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
