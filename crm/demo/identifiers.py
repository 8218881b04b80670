"""Valid CVR and CPR numbers, and the ASCII slugs of user names and e-mail addresses."""

import datetime
import random
import re
import unicodedata

from crm.models import Founder


def demo_cvrs(count: int, seed: int) -> list[str]:
    """``count`` distinct valid CVR numbers (mod 11 with weights 2765 4321), from ``seed``."""
    rng = random.Random(f"cvr-{seed}")
    numbers: dict[str, None] = {}
    while len(numbers) < count:
        body = str(rng.randrange(1_000_000, 4_500_000))
        check = -sum(w * int(d) for w, d in zip((2, 7, 6, 5, 4, 3, 2), body, strict=True)) % 11
        if check < 10:
            numbers[body + str(check)] = None
    return list(numbers)


def demo_cpr(rng: random.Random, born: datetime.date, sex: str) -> str:
    """A CPR number for ``born``: the 7th digit and the year give the century (CPR rules),
    the last digit the sex (odd: male)."""
    yy = born.year % 100
    if born.year < 2000:
        centuries = "0123" + ("49" if yy >= 37 else "")
    else:
        centuries = ("49" if yy <= 36 else "") + ("5678" if yy <= 57 else "")
    last = rng.choice("13579" if sex == Founder.Sex.MALE else "02468")
    return f"{born:%d%m%y}{rng.choice(centuries)}{rng.randrange(100):02d}{last}"


def ascii_slug(text: str) -> str:
    text = text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text)
