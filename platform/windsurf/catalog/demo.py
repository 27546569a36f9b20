"""The demo store's catalog: 24 published products of every kind, as a real Ethiopian creator would list them.

Covers are drawn here with Pillow (gradients and shapes, no text, no fonts) and go through the same image
pipeline as a creator's upload; downloads and the lead magnets get a small real PDF. Idempotent: a product
whose slug already exists is left alone, so running ``windsurf demo`` again changes nothing.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from windsurf.catalog import inputs, service
from windsurf.core.storage import ObjectStorage, build_storage
from windsurf.core.uow import Tenant
from windsurf.settings import Settings

COVER_SIZE = (960, 720)
PALETTES = [
    ((11, 122, 83), (252, 209, 22)),
    ((218, 18, 26), (252, 209, 22)),
    ((28, 52, 110), (82, 183, 222)),
    ((120, 40, 140), (255, 140, 90)),
    ((8, 84, 92), (160, 220, 180)),
    ((190, 80, 30), (250, 220, 160)),
    ((40, 40, 60), (230, 90, 120)),
    ((0, 110, 160), (250, 240, 200)),
]


@dataclass(frozen=True)
class DemoProduct:
    slug: str
    kind: str
    title: str
    amharic: str
    english: str
    price: str = ""
    compare_at: str = ""
    pwyw_min: str = ""
    url: str = ""
    minutes: str = ""
    lead_field: str = "email"
    file: bool = False


PRODUCTS = [
    DemoProduct(
        "addis-street-food-guide",
        "download",
        "Addis Ababa Street Food Guide",
        "በአዲስ አበባ ውስጥ ምርጥ የመንገድ ምግቦችን የሚያገኙበት መመሪያ፤ ከሽሮ እስከ ቋንጣ ፍርፍር፣ ከ40 በላይ ቦታዎች ከካርታ ጋር።",
        "Where to find the best street food in Addis Ababa, from shiro to quanta firfir: more than 40 "
        "places, with maps.",
        price="250",
        file=True,
    ),
    DemoProduct(
        "amharic-beginners-workbook",
        "download",
        "Amharic for Beginners Workbook",
        "ፊደላትን፣ ሰላምታዎችን እና የዕለት ተዕለት ንግግርን በ30 ቀናት ይማሩ። ለልጆችም ለአዋቂዎችም።",
        "Learn the fidel, greetings and everyday conversation in 30 days. For children and adults.",
        price="350",
        compare_at="500",
        file=True,
    ),
    DemoProduct(
        "coffee-ceremony-presets",
        "download",
        "Coffee Ceremony Photo Presets",
        "የቡና ሥነ ሥርዓት ፎቶዎችዎን ሞቅ ያለ ቀለም የሚሰጡ 12 የLightroom ቅንብሮች።",
        "Twelve Lightroom presets that give your coffee ceremony photos warm, rich colour.",
        price="450",
        file=True,
    ),
    DemoProduct(
        "habesha-embroidery-patterns",
        "download",
        "Habesha Kemis Embroidery Patterns",
        "ለሀበሻ ቀሚስ ጥልፍ 25 ባህላዊ እና ዘመናዊ ንድፎች፣ በመጠን ታትመው የሚዘጋጁ።",
        "Twenty-five traditional and modern patterns for habesha kemis embroidery, ready to print "
        "at full size.",
        price="600",
        file=True,
    ),
    DemoProduct(
        "krar-chord-charts",
        "download",
        "Krar Chord Charts: Tizita and Bati",
        "ለክራር ተማሪዎች የትዝታ እና የባቲ ቅኝቶች ሰንጠረዦች ከልምምድ መመሪያ ጋር።",
        "Chord charts for the tizita and bati scales for krar students, with a practice plan.",
        price="300",
        file=True,
    ),
    DemoProduct(
        "bookkeeping-template",
        "download",
        "Small Business Bookkeeping Kit",
        "ለትናንሽ ንግዶች የገቢ እና የወጪ መዝገብ፣ የወር ሪፖርት እና የታክስ ዝግጅት ቅጾች።",
        "Income and expense records, a monthly report and tax preparation forms for small businesses.",
        price="400",
        file=True,
    ),
    DemoProduct(
        "injera-at-home",
        "download",
        "Injera at Home: Recipe Book",
        "ጤፍን ከማቡካት እስከ ምጣድ ድረስ፤ በቤትዎ ለስላሳ እንጀራ የሚጋግሩበት ደረጃ በደረጃ መመሪያ።",
        "From mixing the teff to the mitad: a step-by-step guide to baking soft injera at home.",
        price="200",
        file=True,
    ),
    DemoProduct(
        "tigrinya-story-book",
        "download",
        "Tigrinya Bedtime Stories",
        "ለልጆች የተዘጋጁ 10 የትግርኛ ተረቶች ከሥዕሎች ጋር፤ ለማንበብ ልምምድም ይሆናሉ።",
        "Ten Tigrinya bedtime stories for children, illustrated, that double as reading practice.",
        price="150",
        file=True,
    ),
    DemoProduct(
        "telegram-growth-playbook",
        "download",
        "Telegram Channel Growth Playbook",
        "የቴሌግራም ቻናልዎን ከ0 ወደ 10,000 ተከታዮች ያሳደግኩበት ትክክለኛ ዕቅድ እና የይዘት ቀን መቁጠሪያ።",
        "The exact plan and content calendar I used to grow a Telegram channel from 0 to 10,000 subscribers.",
        price="750",
        compare_at="1000",
        file=True,
    ),
    DemoProduct(
        "canva-brand-templates",
        "download",
        "Canva Templates for Ethiopian Brands",
        "ለማኅበራዊ ሚዲያ 60 የCanva አብነቶች በአማርኛ ፊደል ተስማሚ አቀማመጥ። የፈለጉትን ይክፈሉ።",
        "Sixty Canva templates for social media, laid out for Amharic text. Pay what you want.",
        price="300",
        pwyw_min="100",
        file=True,
    ),
    DemoProduct(
        "grade-12-math-notes",
        "download",
        "Grade 12 Mathematics Exam Notes",
        "ለብሔራዊ ፈተና የሚያዘጋጁ አጭር ማስታወሻዎች እና የተፈቱ ጥያቄዎች።",
        "Short notes and solved questions to prepare for the national exam.",
        price="180",
        file=True,
    ),
    DemoProduct(
        "lalibela-itinerary",
        "download",
        "Lalibela in Three Days: Travel Itinerary",
        "የላሊበላ ውቅር አብያተ ክርስቲያናትን በሦስት ቀን ለመጎብኘት ዕቅድ፣ ወጪ እና የማረፊያ ምክሮች።",
        "A plan for visiting the rock-hewn churches of Lalibela in three days, with costs and where to stay.",
        price="220",
        file=True,
    ),
    DemoProduct(
        "amharic-proverbs-wallpapers",
        "lead_magnet",
        "Free: 30 Amharic Proverbs Wallpapers",
        "ለስልክዎ 30 የአማርኛ ምሳሌዎች የግድግዳ ሥዕሎች በነጻ። ኢሜይልዎን ያስገቡ።",
        "Thirty Amharic proverb wallpapers for your phone, free. Leave your email to get them.",
        file=True,
    ),
    DemoProduct(
        "student-budget-planner",
        "lead_magnet",
        "Free Budget Planner for Students",
        "ለዩኒቨርሲቲ ተማሪዎች ወርሃዊ የበጀት ዕቅድ ማውጫ በነጻ። ስልክ ቁጥርዎን ያስገቡ።",
        "A free monthly budget planner for university students. Leave your phone number to get it.",
        lead_field="phone",
        file=True,
    ),
    DemoProduct(
        "design-tips-newsletter",
        "lead_magnet",
        "Weekly Design Tips",
        "በየሳምንቱ አንድ አጭር የዲዛይን ምክር በኢሜይል። በነጻ ይመዝገቡ።",
        "One short design tip by email every week. Sign up for free.",
        url="https://example.com/design-tips-archive",
    ),
    DemoProduct(
        "cooking-with-selam",
        "link",
        "YouTube: Cooking with Selam",
        "በየሳምንቱ አዲስ የኢትዮጵያ ምግብ አሰራር ቪዲዮ።",
        "A new Ethiopian recipe video every week.",
        url="https://www.youtube.com/",
    ),
    DemoProduct(
        "addis-stories-podcast",
        "link",
        "Addis Stories Podcast",
        "የአዲስ አበባ ሰዎችን ታሪክ የሚያቀርብ ሳምንታዊ ፖድካስት።",
        "A weekly podcast telling the stories of the people of Addis Ababa.",
        url="https://open.spotify.com/",
    ),
    DemoProduct(
        "printed-book",
        "link",
        "My Printed Book at the Bookshop",
        "የታተመውን መጽሐፌን በአቅራቢያዎ ካለ የመጽሐፍ መደብር ይግዙ።",
        "Buy my printed book from a bookshop near you.",
        price="420",
        url="https://example.com/book",
    ),
    DemoProduct(
        "daily-amharic-tiktok",
        "link",
        "Daily Amharic Lessons on TikTok",
        "በየቀኑ አንድ ደቂቃ የአማርኛ ትምህርት።",
        "One minute of Amharic every day.",
        url="https://www.tiktok.com/",
    ),
    DemoProduct(
        "portfolio-review",
        "coaching",
        "1:1 Portfolio Review",
        "የዲዛይን ወይም የፎቶግራፍ ሥራዎን በቪዲዮ ጥሪ በጥልቀት እንገመግማለን፤ ግልጽ የማሻሻያ ዝርዝር ይደርስዎታል።",
        "We review your design or photography portfolio in depth on a video call; you get a clear "
        "list of improvements.",
        price="1500",
        minutes="60",
    ),
    DemoProduct(
        "amharic-conversation",
        "coaching",
        "Amharic Conversation Lesson",
        "ለውጭ ሀገር ነዋሪዎች እና ለዲያስፖራ ልጆች የንግግር ልምምድ።",
        "Conversation practice for foreigners and diaspora children.",
        price="400",
        minutes="45",
    ),
    DemoProduct(
        "business-plan-coaching",
        "coaching",
        "Business Plan Coaching",
        "የንግድ ዕቅድዎን፣ የገበያ ጥናትዎን እና የፋይናንስ ትንበያዎን አብረን እናዘጋጃለን።",
        "We work through your business plan, market research and financial forecast together.",
        price="2500",
        compare_at="3000",
        minutes="90",
    ),
    DemoProduct(
        "photography-mentoring",
        "coaching",
        "Photography Mentoring",
        "ብርሃን፣ አቀማመጥ እና ኤዲቲንግ፤ በራስዎ ፎቶዎች ላይ የተመሠረተ ምክር።",
        "Light, composition and editing: advice based on your own photos.",
        price="1200",
        minutes="60",
    ),
    DemoProduct(
        "cv-interview-prep",
        "coaching",
        "CV and Interview Preparation",
        "የሥራ ማመልከቻዎን እናሻሽላለን እና ለቃለ መጠይቅ እንለማመዳለን።",
        "We improve your CV and practise for your interview.",
        price="350",
        minutes="30",
    ),
]


def draw_cover(seed: int) -> bytes:
    """A colourful geometric cover (PNG bytes): a diagonal gradient with a few translucent shapes."""
    rng = random.Random(seed)
    start, end = PALETTES[seed % len(PALETTES)]
    width, height = COVER_SIZE
    mask = Image.linear_gradient("L").rotate(rng.choice([0, 45, 90, 135]), expand=False).resize(COVER_SIZE)
    image = Image.composite(Image.new("RGB", COVER_SIZE, end), Image.new("RGB", COVER_SIZE, start), mask)
    overlay = Image.new("RGBA", COVER_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _ in range(rng.randint(3, 5)):
        colour = (*rng.choice([start, end, (255, 255, 255), (20, 20, 20)]), rng.randint(60, 140))
        x, y, size = rng.randint(0, width), rng.randint(0, height), rng.randint(120, 420)
        shape = rng.choice(["circle", "triangle", "square"])
        if shape == "circle":
            draw.ellipse((x - size, y - size, x + size, y + size), fill=colour)
        elif shape == "triangle":
            draw.polygon([(x, y - size), (x + size, y + size), (x - size, y + size)], fill=colour)
        else:
            draw.rectangle((x - size // 2, y - size // 2, x + size // 2, y + size // 2), fill=colour)
    image = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # re-encoded on upload: quick to write is enough
    return out.getvalue()


def sample_pdf(seed: int) -> bytes:
    """A one-page PDF (the cover as its page), small but real, to stand in for the creator's file."""
    image = Image.open(io.BytesIO(draw_cover(seed + 100))).resize((320, 240))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=72)
    return out.getvalue()


def _description(item: DemoProduct) -> str:
    return f"{item.amharic}\n\n{item.english}"


async def seed_demo_products(
    tenant: Tenant, *, storage: ObjectStorage | None = None, settings: Settings | None = None
) -> None:
    """Create the 24 demo products that are missing and publish them; existing ones are left as they are."""
    settings = settings or Settings.from_env()
    storage = storage or build_storage(settings)
    existing = {product.slug for product in await service.list_products(tenant)}
    for index, item in enumerate(PRODUCTS):
        if item.slug in existing:
            continue
        fields = {
            "title": item.title,
            "slug": item.slug,
            "description": _description(item),
            "price": item.price,
            "compare_at": item.compare_at,
            "pwyw_min": item.pwyw_min,
            "external_url": item.url,
            "duration_minutes": item.minutes,
            "lead_field": item.lead_field,
        }
        product = await service.create_product(tenant, inputs.new_product_form(item.kind, fields))
        await service.set_cover(tenant, product.id, storage, draw_cover(index), "cover.png")
        if item.file:
            await service.add_file(
                tenant,
                product.id,
                storage,
                sample_pdf(index),
                f"{item.slug}.pdf",
                max_bytes=settings.max_file_mb * 1024 * 1024,
            )
        await service.set_visibility(tenant, product.id, "published")
