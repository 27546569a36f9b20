"""Draw the dashboard's home-screen icons (web app manifest) with Pillow; the PNGs are committed.

Run ``uv run python tools/make_icons.py`` after changing the design, and bump the ``-v1`` in the file names
(they are served with an immutable cache header) and in storefront/pages/builder_store.py.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "storefront" / "static" / "icons"
GREEN = (11, 122, 83)
SAND = (251, 250, 247)


def draw(size: int, *, maskable: bool) -> Image.Image:
    image = Image.new("RGB", (size, size), GREEN)
    pen = ImageDraw.Draw(image)
    if not maskable:  # a rounded tile; maskable icons fill the square and keep their art in the safe zone
        image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        pen = ImageDraw.Draw(image)
        pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=size // 5, fill=GREEN)
    art = size * (0.56 if maskable else 0.7)
    x0 = (size - art) / 2
    y0 = (size - art) / 2
    # A sail over a wave: "windsurf".
    pen.polygon(
        [(x0 + art * 0.5, y0), (x0 + art * 0.5, y0 + art * 0.72), (x0 + art * 0.12, y0 + art * 0.72)],
        fill=SAND,
    )
    pen.polygon(
        [
            (x0 + art * 0.56, y0 + art * 0.1),
            (x0 + art * 0.56, y0 + art * 0.72),
            (x0 + art * 0.9, y0 + art * 0.72),
        ],
        fill=(190, 230, 210),
    )
    pen.rounded_rectangle((x0, y0 + art * 0.8, x0 + art, y0 + art * 0.92), radius=int(art * 0.06), fill=SAND)
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192-v1.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512-v1.png", optimize=True)
    draw(512, maskable=True).save(OUT / "maskable-512-v1.png", optimize=True)


if __name__ == "__main__":
    main()
