"""Sources, device classes, Addis Ababa days and visitor hashes: what a request says about a visit."""

from __future__ import annotations

import datetime as dt

import pytest

from windsurf.analytics import classify
from windsurf.analytics.collector import NOTED_MAX, ViewCounter

PHONE = (
    "Mozilla/5.0 (Linux; Android 13; TECNO KI5k) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0 Mobile Safari/537.36"
)
TABLET = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 12; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0 Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
OPERA_MINI = "Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16"


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (PHONE, "mobile"),
        (OPERA_MINI, "mobile"),
        (TABLET, "tablet"),
        (ANDROID_TABLET, "tablet"),
        (DESKTOP, "desktop"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot"),
        ("TelegramBot (like TwitterBot)", "bot"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "bot"),
        ("curl/8.5.0", "bot"),
        ("", "bot"),
    ],
)
def test_device_classes(user_agent: str, device: str) -> None:
    assert classify.device_class(user_agent) == device


@pytest.mark.parametrize(
    ("query", "referer", "source"),
    [
        ("src=telegram", "", "telegram"),
        ("src=TG", "https://www.instagram.com/", "telegram"),  # the link's own word wins over the Referer
        ("utm_source=tiktok&utm_medium=bio", "", "tiktok"),
        ("utm_source=newsletter", "", "other"),
        ("", "https://t.me/hana_books/12", "telegram"),
        ("", "https://l.instagram.com/?u=x", "instagram"),
        ("", "https://m.facebook.com/", "facebook"),
        ("", "https://lm.facebook.com/l.php", "facebook"),
        ("", "https://web.whatsapp.com/", "whatsapp"),
        ("", "https://www.youtube.com/watch?v=1", "youtube"),
        ("", "https://t.co/abc", "x"),
        ("", "https://www.tiktok.com/@hana", "tiktok"),
        ("", "https://example.org/blog", "other"),
        ("", "", "direct"),
        ("", "https://stan.example/@hana", "direct"),  # our own page
        ("", "https://stan.example/@hana?src=youtube", "youtube"),  # our own page, reached from YouTube
        ("lang=am", "", "direct"),
    ],
)
def test_sources(query: str, referer: str, source: str) -> None:
    assert classify.source_of(query, referer, "stan.example") == source


def test_addis_ababa_days_turn_at_midnight_local_time() -> None:
    before = dt.datetime(2026, 12, 3, 20, 59, tzinfo=dt.UTC)  # 23:59 in Addis Ababa (UTC+3)
    after = dt.datetime(2026, 12, 3, 21, 1, tzinfo=dt.UTC)  # 00:01 on the 4th
    assert classify.addis_day(before) == dt.date(2026, 12, 3)
    assert classify.addis_day(after) == dt.date(2026, 12, 4)


def test_visitor_hashes_depend_on_the_salt_and_keep_nothing_readable() -> None:
    one = classify.visitor_hash("salt-a", "hana", "196.188.1.2", PHONE)
    assert one == classify.visitor_hash("salt-a", "hana", "196.188.1.2", PHONE)
    assert one != classify.visitor_hash("salt-b", "hana", "196.188.1.2", PHONE)  # another day
    assert one != classify.visitor_hash("salt-a", "abebe", "196.188.1.2", PHONE)  # another store
    assert len(one) == 64 and "196" not in one


@pytest.mark.parametrize(
    ("path", "page"),
    [
        ("/@hana", ("hana", None)),
        ("/@hana/", ("hana", None)),
        ("/@hana/career-guide", ("hana", "career-guide")),
    ],
)
def test_page_paths(path: str, page: tuple[str, str | None]) -> None:
    match = classify.PAGE_PATH.match(path)
    assert match is not None and match.groups() == page


@pytest.mark.parametrize("path", ["/@hana/career-guide/lead", "/@hana/x/files/1", "/dashboard", "/@"])
def test_other_paths_are_not_pages(path: str) -> None:
    assert classify.PAGE_PATH.match(path) is None


def test_the_fast_paths_clock_turns_the_day_at_addis_ababa_midnight() -> None:
    clock = classify.AddisClock()
    midnight = dt.datetime(2026, 12, 3, 21, 0, tzinfo=dt.UTC).timestamp()  # 00:00 on the 4th in Addis Ababa
    assert clock.day_at(midnight - 60) == dt.date(2026, 12, 3)
    assert clock.day_at(midnight - 1) == dt.date(2026, 12, 3)
    assert clock.day_at(midnight) == dt.date(2026, 12, 4)
    assert clock.day_at(midnight + 86_399) == dt.date(2026, 12, 4)
    assert clock.day_at(midnight - 86_401) == dt.date(2026, 12, 2)  # a time from before the cached day


def test_the_serving_path_notes_views_and_asks_for_them_to_be_absorbed_in_bounded_batches() -> None:
    views = ViewCounter()
    assert views.note("hana", "", "", "", "Googlebot/2.1", "196.188.1.2") is False
    assert views.pending() == 0  # bots are not even noted
    for _ in range(NOTED_MAX - 1):
        assert views.note("hana", "", "src=tg", "", PHONE, "196.188.1.2") is False
    assert views.note("hana", "", "", "", PHONE, "196.188.1.3") is True
    assert views.pending() == NOTED_MAX
