"""SMS segment counting: GSM-7 160/153, UCS-2 (Amharic) 70/67."""

from __future__ import annotations

import pytest

from windsurf.audience.segments import count_segments

# 10 Ge'ez characters, each one UTF-16 code unit.
AMHARIC_TEN = "ሰላምለእናንተይሁ"


def test_amharic_text_is_ucs2_seventy_a_segment_then_sixty_seven() -> None:
    assert len(AMHARIC_TEN) == 10
    one = count_segments(AMHARIC_TEN * 7)
    assert (one.encoding, one.units, one.segments, one.per_segment) == ("ucs2", 70, 1, 70)
    two = count_segments(AMHARIC_TEN * 7 + "ሀ")
    assert (two.units, two.segments, two.per_segment) == (71, 2, 67)
    assert count_segments(AMHARIC_TEN * 13 + "ሀሀሀሀ").segments == 2  # 134 = 2 x 67
    assert count_segments(AMHARIC_TEN * 13 + "ሀሀሀሀሀ").segments == 3  # 135


def test_one_amharic_letter_makes_latin_text_ucs2() -> None:
    text = "Sale today! " + "a" * 60 + " ቅናሽ"
    counted = count_segments(text)
    assert counted.encoding == "ucs2" and counted.units == len(text) and counted.segments == 2


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)]
)
def test_gsm7_text_is_160_then_153(length: int, segments: int) -> None:
    counted = count_segments("a" * length)
    assert (counted.encoding, counted.segments) == ("gsm7", segments)


def test_extension_characters_take_two_septets() -> None:
    counted = count_segments("€" * 80)
    assert (counted.encoding, counted.units, counted.segments) == ("gsm7", 160, 1)
    assert count_segments("€" * 80 + "a").segments == 2


def test_emoji_are_two_ucs2_units() -> None:
    assert count_segments("🎉" * 35).units == 70 and count_segments("🎉" * 35).segments == 1
    assert count_segments("🎉" * 36).segments == 2
