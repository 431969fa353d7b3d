#!/usr/bin/env python3
"""Rebuild assets/fonts/LatentLabHangul-Regular.ttf: NanumGothic cut down to the
characters of the Korean strings in src/ui/i18n/ko.rs (and any Hangul elsewhere in src/), renamed as the SIL Open
Font License asks of modified versions (NanumGothic is a Reserved Font Name).

Needs fontTools (pip install fonttools) and NanumGothic.ttf from Debian's
fonts-nanum package:

    apt-get download fonts-nanum && dpkg-deb -x fonts-nanum_*.deb nanum
    python3 scripts/subset_korean_font.py nanum/usr/share/fonts/truetype/nanum/NanumGothic.ttf

Run it again whenever ko.rs gains characters; the test `i18n::every_korean_string_has_its_glyphs`
fails until you do.
"""
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parent.parent
KO = ROOT / "src/ui/i18n/ko.rs"
OUT = ROOT / "assets/fonts/LatentLabHangul-Regular.ttf"
FAMILY = "Latent Lab Hangul"


def is_hangul(c: str) -> bool:
    o = ord(c)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "NanumGothic.ttf")
    text = KO.read_text(encoding="utf-8")
    chars = {c for c in text if ord(c) > 0x7F}
    # Hangul written anywhere else in the UI (the language menu names itself
    # "한국어" in every language).
    for path in (ROOT / "src").rglob("*.rs"):
        chars |= {c for c in path.read_text(encoding="utf-8") if is_hangul(c)}
    # ASCII and Latin punctuation come from egui's own fonts; keep the Korean
    # punctuation, Hangul and anything else non-ASCII the strings use.
    font = TTFont(source)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_legacy = True
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.layout_features = ["*"]
    options.hinting = False
    options.drop_tables += ["TSI0", "TSI1", "TSI2", "TSI3", "TSI5"]  # VTT hinting sources
    sub = subset.Subsetter(options)
    sub.populate(unicodes=sorted(ord(c) for c in chars))
    sub.subset(font)
    names = font["name"]
    for rec in names.names:
        if rec.nameID in (1, 16):
            rec.string = FAMILY
        elif rec.nameID == 4:
            rec.string = f"{FAMILY} Regular"
        elif rec.nameID == 6:
            rec.string = "LatentLabHangul-Regular"
        elif rec.nameID == 3:
            rec.string = "Latent Lab Hangul Regular (subset of NanumGothic)"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    missing = [c for c in sorted(chars) if ord(c) not in font.getBestCmap()]
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {len(chars)} characters)")
    # Symbols such as − or ± that NanumGothic lacks come from egui's own fonts; the
    # test `every_korean_string_has_its_glyphs` checks that every one is covered.
    others = [c for c in missing if not is_hangul(c)]
    if others:
        print(f"left to egui's fonts: {''.join(others)}")
    hangul = [c for c in missing if is_hangul(c)]
    if hangul:
        sys.exit(f"NanumGothic lacks: {''.join(hangul)}")


if __name__ == "__main__":
    main()
