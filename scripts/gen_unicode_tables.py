#!/usr/bin/python3
"""Writes src/text/unicode_tables.cpp: the Unicode data the BERT normalizer and
pre-tokenizer need, as compact sorted tables.

    /usr/bin/python3 scripts/gen_unicode_tables.py [UCD_DIR]   (default /usr/share/unicode)

Input: Debian's unicode-data package (Unicode 15.0): UnicodeData.txt, DerivedAge.txt,
PropList.txt, SpecialCasing.txt, DerivedNormalizationProps.txt, Scripts.txt,
IndicSyllabicCategory.txt, auxiliary/GraphemeBreakProperty.txt, emoji/emoji-data.txt.

The Hugging Face `tokenizers` crate mixes three Unicode versions, and ids are only identical
if we mix them the same way (each verified code point by code point against npm
`tokenizers` 0.23 with scripts/oracles/tokenizers/probe_unicode.js):
  - categories (control/format/private-use, Mn, P*) come from the `unicode_categories`
    crate, whose tables are Unicode 8.0: we take 15.0 categories of the code points
    assigned by 8.0 (DerivedAge) and undo the six category changes made since (CHANGED);
  - NFD, NFKD, NFC, NFKC and StripAccents' combining marks come from
    `unicode-normalization-alignments`, whose tables are Unicode 9.0: the decompositions,
    compositions and combining classes of code points assigned after 9.0 are left out
    (probed: U+32FF and U+1DF6 (12.1, 10.0) are unknown to it, U+11938 (13.0) too), and
    its marks (gc M) are 9.0's (MARKS_9: the category changes since);
  - lowercase is Rust's char::to_lowercase, which is Unicode 16.0: the 15.0 mappings
    plus the 16.0 additions listed in LOWER_16.
The ByteLevel pre-tokenizer's GPT-2 regex runs on Oniguruma, whose \\p{L}, \\p{N} are Unicode
16.0 and \\s is White_Space (probed with scripts/oracles/tokenizers/probe_bytelevel.js): the
15.0 letters and numbers plus the 16.0 additions LETTER_16 / NUMBER_16 (no code point left
L or N between 15.0 and 16.0).
The Whitespace pre-tokenizer's regex \\w+|[^\\w\\s]+ (Rust's regex crate) sees the UTS #18 \\w:
Alphabetic, marks, Nd, Pc and Join_Control of 15.0 plus the 16.0 additions WORD_16; the Digits pre-tokenizer is
Rust's char::is_numeric: N* of 15.0 plus NUMERIC_16 (16.0 and 17.0 additions). Both lists
are what scripts/oracles/tokenizers/probe_pre_tokenizers.js found npm tokenizers doing
beyond the 15.0 data.
The Precompiled normalizer walks extended grapheme clusters (`unicode-segmentation`, UAX #29):
Grapheme_Cluster_Break and Extended_Pictographic of 15.0, and Indic_Conjunct_Break (15.1's
GB9c) derived as 16.0 defines it from Indic_Syllabic_Category and Scripts. Only clusters
shorter than 6 UTF-8 bytes are looked up whole, so GB9c (clusters of three or more Indic
letters) cannot change what the normalizer does.
"""
import os
import sys

UCD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "src", "text", "unicode_tables.cpp")
# The UAX #29 conformance cases (auxiliary/GraphemeBreakTest.txt without its comments), for
# tests/text/test_precompiled.cpp.
GRAPHEME_TEST_OUT = os.path.join(HERE, "..", "tests", "fixtures", "text", "grapheme_break_test.txt")

CATEGORIES = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
              "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
              "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"]

# Unicode 8.0 categories of code points whose category changed in 9.0..15.0.
CHANGED = {0x166D: "Po", 0x111C9: "Po", 0x1885: "Lo", 0x1886: "Lo", 0xA9BD: "Mc",
           0x1734: "Mn"}

# Unicode 16.0 lowercase mappings missing from 15.0: (first, last, offset).
LOWER_16 = [(0x1C89, 0x1C89, 1), (0xA7CB, 0xA7CB, 0x0264 - 0xA7CB), (0xA7CC, 0xA7CC, 1),
            (0xA7CE, 0xA7CE, 1), (0xA7D2, 0xA7D2, 1), (0xA7D4, 0xA7D4, 1),
            (0xA7DA, 0xA7DA, 1), (0xA7DC, 0xA7DC, 0x019B - 0xA7DC),
            (0x10D50, 0x10D65, 0x20), (0x16EA0, 0x16EB8, 0x1B)]

# Code points that are letters (L*) / numbers (N*) in Unicode 16.0 and unassigned in 15.0.
LETTER_16 = [(0x1C89, 0x1C8A), (0xA7CB, 0xA7CD), (0xA7DA, 0xA7DC), (0x105C0, 0x105F3),
             (0x10D4A, 0x10D65), (0x10D6F, 0x10D85), (0x10EC2, 0x10EC4), (0x11380, 0x11389),
             (0x1138B, 0x1138B), (0x1138E, 0x1138E), (0x11390, 0x113B5), (0x113B7, 0x113B7),
             (0x113D1, 0x113D1), (0x113D3, 0x113D3), (0x11BC0, 0x11BE0), (0x13460, 0x143FA),
             (0x16100, 0x1611D), (0x16D40, 0x16D6C), (0x18CFF, 0x18CFF), (0x1E5D0, 0x1E5ED),
             (0x1E5F0, 0x1E5F0), (0x2EBF0, 0x2EE5D)]
NUMBER_16 = [(0x10D40, 0x10D49), (0x116D0, 0x116E3), (0x11BF0, 0x11BF9), (0x16130, 0x16139),
             (0x16D70, 0x16D79), (0x1CCF0, 0x1CCF9), (0x1E5F1, 0x1E5FA)]


# The Rust regex crate's \w beyond 15.0 (probed): [first, last].
WORD_16 = [(0x897, 0x897), (0x1C89, 0x1C8A), (0xA7CB, 0xA7CD), (0xA7DA, 0xA7DC), (0x105C0, 0x105F3),
           (0x10D40, 0x10D65), (0x10D69, 0x10D6D), (0x10D6F, 0x10D85), (0x10EC2, 0x10EC4),
           (0x10EFC, 0x10EFC), (0x11380, 0x11389), (0x1138B, 0x1138B), (0x1138E, 0x1138E),
           (0x11390, 0x113B5), (0x113B7, 0x113C0), (0x113C2, 0x113C2), (0x113C5, 0x113C5),
           (0x113C7, 0x113CA), (0x113CC, 0x113D3), (0x113E1, 0x113E2), (0x116D0, 0x116E3),
           (0x11BC0, 0x11BE0), (0x11BF0, 0x11BF9), (0x11F5A, 0x11F5A), (0x13460, 0x143FA),
           (0x16100, 0x16139), (0x16D40, 0x16D6C), (0x16D70, 0x16D79), (0x18CFF, 0x18CFF),
           (0x1CCF0, 0x1CCF9), (0x1E5D0, 0x1E5FA), (0x2EBF0, 0x2EE5D)]
# Rust's char::is_numeric beyond 15.0 (probed): [first, last].
NUMERIC_16 = [(0x10D40, 0x10D49), (0x116D0, 0x116E3), (0x11BF0, 0x11BF9), (0x11DE0, 0x11DE9),
              (0x16130, 0x16139), (0x16D70, 0x16D79), (0x16FF4, 0x16FF6), (0x1CCF0, 0x1CCF9),
              (0x1E5F1, 0x1E5FA)]

# Unicode 9.0: the version of unicode-normalization-alignments' tables.
NORMALIZATION_AGE = (9, 0)
# Code points whose "is a mark" changed since 9.0 (U+1CF2/3 Mc → Lo, U+111C9 Po → Mn).
MARKS_9 = {0x1CF2: True, 0x1CF3: True, 0x111C9: False}

GRAPHEME_BREAKS = ["Other", "CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator",
                   "Prepend", "SpacingMark", "L", "V", "T", "LV", "LVT"]
EXTENDED_PICTOGRAPHIC = 0x10  # flags beside the Grapheme_Cluster_Break index
INCB_LINKER, INCB_CONSONANT, INCB_EXTEND = 0x20, 0x40, 0x60
INCB_SCRIPTS = {"Bengali", "Devanagari", "Gujarati", "Malayalam", "Oriya", "Telugu"}


def lines(name):
    with open(os.path.join(UCD, name), encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                yield [x.strip() for x in line.split(";")]


def code_range(field):
    a, _, b = field.partition("..")
    return range(int(a, 16), int(b or a, 16) + 1)


def main():
    category, decomposition, compat, ccc, lower = {}, {}, {}, {}, {}
    first = None
    for f in lines("UnicodeData.txt"):
        cp = int(f[0], 16)
        if f[1].endswith("First>"):
            first = cp
            continue
        for c in (range(first, cp + 1) if f[1].endswith("Last>") else [cp]):
            category[c] = f[2]
        if f[3] != "0":
            ccc[cp] = int(f[3])
        if f[5] and not f[5].startswith("<"):
            decomposition[cp] = [int(x, 16) for x in f[5].split()]
        elif f[5]:
            compat[cp] = [int(x, 16) for x in f[5].split()[1:]]
        if f[13]:
            lower[cp] = [int(f[13], 16)]
    age = {}
    for f in lines("DerivedAge.txt"):
        for c in code_range(f[0]):
            age[c] = tuple(int(x) for x in f[1].split("."))
    white_space = [c for f in lines("PropList.txt") if f[1] == "White_Space"
                   for c in code_range(f[0])]
    word = {c for f in lines("DerivedCoreProperties.txt") if f[1] == "Alphabetic"
            for c in code_range(f[0])}
    word |= {c for f in lines("PropList.txt") if f[1] == "Join_Control" for c in code_range(f[0])}
    for f in lines("SpecialCasing.txt"):
        if len(f) > 4 and f[4]:
            continue  # conditional (language or context): char::to_lowercase ignores them
        lower[int(f[0], 16)] = [int(x, 16) for x in f[1].split()]
    for a, b, d in LOWER_16:
        for c in range(a, b + 1):
            lower[c] = [c + d]

    hf_category = {c: k for c, k in category.items() if age.get(c, (99,)) <= (8, 0)}
    hf_category.update(CHANGED)

    regex_class = {c: "Lu" if k[0] == "L" else "Nd" for c, k in category.items()
                   if k[0] in "LN"}
    for table, k in ((LETTER_16, "Lu"), (NUMBER_16, "Nd")):
        for a, b in table:
            for c in range(a, b + 1):
                regex_class[c] = k

    def full_nfd(c):
        if c not in decomposition or age[c] > NORMALIZATION_AGE:
            return [c]
        return [x for d in decomposition[c] for x in full_nfd(d)]
    nfd = {c: full_nfd(c) for c in sorted(decomposition) if full_nfd(c) != [c]}

    def full_nfkd(c):
        if age.get(c, (99,)) > NORMALIZATION_AGE:
            return [c]
        if c in decomposition:
            return [x for d in decomposition[c] for x in full_nfkd(d)]
        if c in compat:
            return [x for d in compat[c] for x in full_nfkd(d)]
        return [c]
    # Only where NFKD differs from NFD: the lookup tries nfd first, then this table.
    nfkd = {c: full_nfkd(c) for c in sorted(compat) if full_nfkd(c) != [c]}
    nfkd.update({c: d for c in sorted(decomposition) if (d := full_nfkd(c)) != nfd.get(c, [c])})

    # Canonical composition: the primary composites (pairs, not excluded, old enough).
    excluded = {c for f in lines("DerivedNormalizationProps.txt")
                if f[1] == "Full_Composition_Exclusion" for c in code_range(f[0])}
    compositions = sorted((d[0], d[1], c) for c, d in decomposition.items()
                          if len(d) == 2 and c not in excluded and age[c] <= NORMALIZATION_AGE)
    hf_ccc = {c: k for c, k in ccc.items() if age[c] <= NORMALIZATION_AGE}

    gcb = {}
    for f in lines("auxiliary/GraphemeBreakProperty.txt"):
        for c in code_range(f[0]):
            gcb[c] = GRAPHEME_BREAKS.index(f[1])
    for f in lines("emoji/emoji-data.txt"):
        if f[1] == "Extended_Pictographic":
            for c in code_range(f[0]):
                assert gcb.get(c, 0) == 0, hex(c)
                gcb[c] = EXTENDED_PICTOGRAPHIC
    script = {c: f[1] for f in lines("Scripts.txt") for c in code_range(f[0])}
    for f in lines("IndicSyllabicCategory.txt"):
        for c in code_range(f[0]):
            if script.get(c) in INCB_SCRIPTS and f[1] in ("Virama", "Consonant"):
                gcb[c] = gcb.get(c, 0) | (INCB_LINKER if f[1] == "Virama" else INCB_CONSONANT)
    for c, k in gcb.items():  # InCB=Extend: gcb Extend or ZWJ, not a linker, not ZWNJ
        if k & 0xF in (4, 5) and not k & 0x60 and c != 0x200C:
            gcb[c] = k | INCB_EXTEND

    out = []
    w = out.append
    w("// Generated by scripts/gen_unicode_tables.py from the Unicode 15.0 character database")
    w("// (see the script for the versions the Hugging Face tokenizers mix). Do not edit.")
    w('#include "unicode_tables.hpp"')
    w("")
    w("namespace taskscout::text::tables {")
    w("")

    def runs(name, table, index=CATEGORIES.index):
        rows, prev = [], None
        for c in range(0x110000):
            k = index(table.get(c, "Cn"))
            if k != prev:
                rows.append((c, k))
                prev = k
        w(f"const Run {name}[] = {{")
        for i in range(0, len(rows), 6):
            w("    " + " ".join(f"{{0x{c:X}, {k}}}," for c, k in rows[i:i + 6]))
        w("};")
        w(f"const std::size_t {name}_size = {len(rows)};")
        w("")
    w("// Runs of equal general category: (first code point, Category index).")
    runs("category_runs", category)
    w("// The same as the unicode_categories crate (Unicode 8.0) that HF tokenizers uses.")
    runs("hf_category_runs", hf_category)
    w("// Oniguruma's \\p{L} (as Lu) and \\p{N} (as Nd), Unicode 16.0; everything else Cn.")
    runs("regex_class_runs", regex_class)

    def mappings(name, table):
        data, rows = [], []
        for c in sorted(table):
            rows.append((c, len(data), len(table[c])))
            data.extend(table[c])
        w(f"const char32_t {name}_data[] = {{")
        for i in range(0, len(data), 10):
            w("    " + " ".join(f"0x{x:X}," for x in data[i:i + 10]))
        w("};")
        w(f"const Mapping {name}[] = {{")
        for i in range(0, len(rows), 5):
            w("    " + " ".join(f"{{0x{c:X}, {o}, {n}}}," for c, o, n in rows[i:i + 5]))
        w("};")
        w(f"const std::size_t {name}_size = {len(rows)};")
        w("")
    w("// Full canonical decompositions (already recursive); Hangul syllables are computed.")
    mappings("nfd", nfd)
    w("// Full compatibility decompositions where they differ from the canonical ones (9.0).")
    mappings("nfkd", nfkd)
    w("// char::to_lowercase, including the unconditional SpecialCasing entries.")
    mappings("lowercase", {c: m for c, m in lower.items() if m != [c]})

    w("// Canonical combining classes other than 0: (code point, class).")
    w("const CombiningClass combining_classes[] = {")
    items = sorted(hf_ccc.items())
    for i in range(0, len(items), 6):
        w("    " + " ".join(f"{{0x{c:X}, {k}}}," for c, k in items[i:i + 6]))
    w("};")
    w(f"const std::size_t combining_classes_size = {len(items)};")
    w("")
    w("// Canonical compositions (primary composites of 9.0): (first, second, composite).")
    w("const Composition compositions[] = {")
    for i in range(0, len(compositions), 4):
        w("    " + " ".join(f"{{0x{a:X}, 0x{b:X}, 0x{c:X}}}," for a, b, c in compositions[i:i + 4]))
    w("};")
    w(f"const std::size_t compositions_size = {len(compositions)};")
    w("")
    w("// Grapheme_Cluster_Break index | 0x10 Extended_Pictographic | Indic_Conjunct_Break")
    w("// (0x20 Linker, 0x40 Consonant, 0x60 Extend), in runs.")
    runs("grapheme_runs", gcb, index=lambda k: 0 if k == "Cn" else k)
    def range_list(name, members, comment):
        ranges = []
        for c in sorted(members):
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
        w(comment)
        w(f"const char32_t {name}[] = {{")
        for i in range(0, len(ranges), 6):
            w("    " + " ".join(f"0x{a:X}, 0x{b:X}," for a, b in ranges[i:i + 6]))
        w("};")
        w(f"const std::size_t {name}_size = {2 * len(ranges)};")
        w("")
    word |= {c for c, k in category.items() if k[0] == "M" or k in ("Nd", "Pc")}
    word |= {c for a, b in WORD_16 for c in range(a, b + 1)}
    range_list("word_chars", word, "// UTS #18 \\w (Unicode 16.0), Rust regex's: [first, last] ranges.")
    numeric = {c for c, k in category.items() if k[0] == "N"}
    numeric |= {c for a, b in NUMERIC_16 for c in range(a, b + 1)}
    range_list("numeric_chars", numeric, "// Rust's char::is_numeric: [first, last] ranges.")
    w("// General category M (Mn, Mc, Me) of Unicode 9.0, the normalization crate's")
    w("// is_combining_mark that HF's StripAccents uses: [first, last] ranges.")
    marks = [c for c in range(0x110000) if MARKS_9.get(c, category.get(c, "Cn")[0] == "M"
                                                       and age.get(c, (99,)) <= NORMALIZATION_AGE)]
    ranges = []
    for c in marks:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    w("const char32_t combining_marks[] = {")
    for i in range(0, len(ranges), 6):
        w("    " + " ".join(f"0x{a:X}, 0x{b:X}," for a, b in ranges[i:i + 6]))
    w("};")
    w(f"const std::size_t combining_marks_size = {2 * len(ranges)};")
    w("")
    w("// The White_Space property (Rust's char::is_whitespace).")
    w("const char32_t white_space[] = {" + ", ".join(f"0x{c:X}" for c in white_space) + "};")
    w(f"const std::size_t white_space_size = {len(white_space)};")
    w("")
    w("}  // namespace taskscout::text::tables")
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    with open(os.path.join(UCD, "auxiliary", "GraphemeBreakTest.txt"), encoding="utf-8") as f:
        cases = [line.split("#")[0].strip() for line in f]
    with open(GRAPHEME_TEST_OUT, "w", encoding="utf-8") as f:
        f.write("# GraphemeBreakTest.txt of Unicode 15.0 (÷ break, × no break), comments removed\n")
        f.write("\n".join(c for c in cases if c) + "\n")


if __name__ == "__main__":
    main()
