#!/usr/bin/python3
"""NormalizationTest-style cases for taskscout's NFC/NFD/NFKC/NFKD, with their expected forms
from Python's unicodedata (an implementation independent of the tokenizers crate).

    /usr/bin/python3 make_normalization_cases.py [UCD_DIR]     (default /usr/share/unicode)

The tokenizers crate normalizes with Unicode 9.0 tables (scripts/gen_unicode_tables.py);
Python's unicodedata is newer. Normalization is stable for assigned characters, so the two
must agree on text made only of characters assigned by 9.0: every case is such text.
Cases:
  - Parts 0 and 3 of NormalizationTest.txt (the UCD's own conformance cases) and every
    fourth line of its Part 2, when their characters all date from 9.0 or before;
  - for every primary composite: its decomposition, the pair with a mark between them that
    does or does not block composition, and the composite followed by marks in the wrong
    canonical order;
  - Hangul: L V, L V T, LV T, LV + a non-conjoining T, a syllable followed by a mark.
Writes tests/fixtures/text/normalization_cases.txt: one case a line, five fields separated
by ";" (source; NFC; NFD; NFKC; NFKD), each a space-separated list of hex code points, as
NormalizationTest.txt, except that an empty field repeats another: NFC the source, NFKC
the NFC, NFKD the NFD. check_normalization_cases.js then checks npm tokenizers on them.
"""
import bz2
import os
import sys
import unicodedata

UCD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests",
                   "fixtures", "text", "normalization_cases.txt")


def code_range(field):
    a, _, b = field.partition("..")
    return range(int(a, 16), int(b or a, 16) + 1)


def main():
    age = {}
    with open(os.path.join(UCD, "DerivedAge.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                rng, version = (x.strip() for x in line.split(";"))
                for c in code_range(rng):
                    age[c] = tuple(int(x) for x in version.split("."))
    old = lambda s: all(age.get(ord(ch), (99,)) <= (9, 0) for ch in s)

    cases = []
    with bz2.open(os.path.join(UCD, "NormalizationTest.txt.bz2"), "rt", encoding="utf-8") as f:
        part, n = None, 0
        for line in f:
            line = line.split("#")[0].strip()
            if line.startswith("@Part"):
                part = line[5]
            elif line and (part in "03" or (part == "2" and (n := n + 1) % 4 == 0)):
                source = "".join(chr(int(x, 16)) for x in line.split(";")[0].split())
                if old(source):
                    cases.append(source)

    marks = [chr(c) for c in (0x0301, 0x0316, 0x0327, 0x0323, 0x0308, 0x031B, 0x0345, 0x05B0,
                              0x093C, 0x0F71, 0x1DCE, 0x302A)]
    composites = 0
    for c in range(0x110000):
        ch = chr(c)
        d = unicodedata.decomposition(ch)
        if not d or d.startswith("<") or not old(ch) or len(d.split()) != 2:
            continue
        a, b = (chr(int(x, 16)) for x in d.split())
        cases += [a + b, ch + marks[0] + marks[1], a + marks[3] + b]
        composites += 1
        if unicodedata.combining(b) and composites % 16 == 0:  # marks of other classes between
            for m in marks:
                cases.append(a + m + b)
    for lv in ("\u1100\u1161", "\u1100\u1161\u11a8", "\uac00\u11a8", "\uac00\u11a7",
               "\uac01\u11a8", "\u1100\u0301\u1161", "\uac00\u0301", "\u1112\u1175\u11c2"):
        cases.append(lv)

    seen, lines = set(), []
    hexes = lambda s: " ".join(f"{ord(ch):04X}" for ch in s)
    for s in cases:
        if s in seen or not old(s):
            continue
        seen.add(s)
        forms = [unicodedata.normalize(f, s) for f in ("NFC", "NFD", "NFKC", "NFKD")]
        nfc, nfd, nfkc, nfkd = forms
        lines.append(";".join([hexes(s), hexes(nfc) if nfc != s else "", hexes(nfd),
                               hexes(nfkc) if nfkc != nfc else "", hexes(nfkd) if nfkd != nfd else ""]))
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# source;NFC;NFD;NFKC;NFKD from Python unicodedata "
                f"{unicodedata.unidata_version} (make_normalization_cases.py)\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} cases")


if __name__ == "__main__":
    main()
