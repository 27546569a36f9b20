"""How many SMS segments a text costs, as the network counts them (3GPP TS 23.038).

Text that fits the GSM 7-bit alphabet travels 160 characters in one message, 153 per segment once it is split
(the rest of each segment carries the concatenation header); a character from the extension table (``€``,
``[``...) takes two. Anything else, Amharic (Ge'ez script) included, is sent as UCS-2: 70 characters in one
message, 67 per segment when split, counted in UTF-16 code units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    encoding: Literal["gsm7", "ucs2"]
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # what one segment holds at this length (the single or the concatenated limit)


def count_segments(text: str) -> SegmentCount:
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        encoding: Literal["gsm7", "ucs2"] = "gsm7"
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
    else:
        encoding = "ucs2"
        units = len(text.encode("utf-16-le")) // 2
    single, concatenated = LIMITS[encoding]
    if units <= single:
        return SegmentCount(encoding, units, 1 if units else 0, single)
    return SegmentCount(encoding, units, math.ceil(units / concatenated), concatenated)
