#!/usr/bin/env python3
"""Checks behind tests/report/render_test.sh (python3 standard library only).

  render_test.py static FILE.html                       nothing outside the file is referenced
  render_test.py harness FILE.html OUT.html sort|inject  a copy that tests sorting / the CSP
  render_test.py dom DOM.html KIND [SELECTOR=N ...]      the DOM Chromium built (KIND: benchmark, ranking)
  render_test.py sorted DOM.html                         the sort harness reported success
  render_test.py injected DOM.html                       the injected script did not run
  render_test.py png FILE.png                            the screenshot is not blank

Each prints what is wrong and exits 1 on failure.
"""
import html.parser
import re
import struct
import sys
import zlib

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class Builder(html.parser.HTMLParser):
    """A tolerant tree: void and self-closed elements have no children; an end tag closes
    up to its element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", [], None)
        self.stack = [self.root]
        self.style_text = []
        self.script_text = []

    def handle_starttag(self, tag, attrs):
        el = Element(tag, attrs, self.stack[-1])
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, attrs, self.stack[-1]))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        top = self.stack[-1]
        top.text.append(data)
        if top.tag == "style":
            self.style_text.append(data)
        if top.tag == "script":
            self.script_text.append(data)


def parse(path):
    with open(path, encoding="utf-8") as f:  # invalid UTF-8 fails here, as it should
        text = f.read()
    b = Builder()
    b.feed(text)
    b.close()
    return text, b


COMPOUND = re.compile(r'^([a-zA-Z][\w-]*)?((?:[#.][\w-]+|\[[\w-]+(?:=(?:"[^"]*"|[^\]]*))?\])*)$')
PART = re.compile(r'([#.])([\w-]+)|\[([\w-]+)(?:=(?:"([^"]*)"|([^\]]*)))?\]')


def matches(el, compound):
    m = COMPOUND.match(compound)
    if not m:
        raise SystemExit(f"render_test.py: unsupported selector {compound!r}")
    if m.group(1) and el.tag != m.group(1).lower():
        return False
    for p in PART.finditer(m.group(2)):
        if p.group(1) == "#" and el.attrs.get("id") != p.group(2):
            return False
        if p.group(1) == "." and p.group(2) not in el.classes():
            return False
        if p.group(3):
            name, value = p.group(3).lower(), p.group(4) if p.group(4) is not None else p.group(5)
            if name not in el.attrs or (value is not None and el.attrs[name] != value):
                return False
    return True


def select(root, selector):
    """Elements matching a descendant selector of compounds: tag, #id, .class, [attr], [attr=v]."""
    parts = selector.split()
    out = []
    for el in root.walk():
        if el.tag.startswith("#") or not matches(el, parts[-1]):
            continue
        i, anc = len(parts) - 2, el.parent
        while i >= 0 and anc is not None:
            if not anc.tag.startswith("#") and matches(anc, parts[i]):
                i -= 1
            anc = anc.parent
        if i < 0:
            out.append(el)
    return out


def fail(problems, what):
    if problems:
        for p in problems:
            print(f"FAIL ({what}): {p}")
        sys.exit(1)
    print(f"ok: {what}")


LOCAL = re.compile(r"^\s*(#|data:)", re.I)
URL = re.compile(r"url\(\s*(['\"]?)([^'\")]*)\1\s*\)", re.I)


def check_static(path):
    text, b = parse(path)
    problems = []
    for el in b.root.walk():
        for name, value in el.attrs.items():
            value = value or ""
            if name in ("src", "href", "xlink:href", "action", "formaction", "poster", "data", "background",
                        "srcset", "ping", "manifest", "codebase", "cite", "longdesc", "archive"):
                if not LOCAL.match(value) or (name == "href" and not value.startswith("#")):
                    problems.append(f"<{el.tag} {name}=\"{value}\"> points outside the file")
            for u in URL.finditer(value):
                if not LOCAL.match(u.group(2)):
                    problems.append(f"<{el.tag} {name}> uses url({u.group(2)})")
        if el.tag in ("link", "iframe", "frame", "object", "embed", "base"):
            problems.append(f"<{el.tag}> element (would load or embed a resource)")
        if el.tag == "meta" and (el.attrs.get("http-equiv") or "").lower() == "refresh":
            problems.append("<meta http-equiv=refresh>")
        if el.tag == "script" and "src" in el.attrs:
            problems.append("external <script src>")
    css = "".join(b.style_text)
    if re.search(r"@import", css, re.I):
        problems.append("@import in a stylesheet")
    for u in URL.finditer(css):
        if not LOCAL.match(u.group(2)):
            problems.append(f"stylesheet url({u.group(2)})")
    if re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|import\s*\(|sendBeacon)\b", "".join(b.script_text)):
        problems.append("the script can reach the network")
    fail(problems, f"{path} references nothing outside itself")


def harness(path, out, mode):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if mode == "sort":
        # Without the CSP (which admits only the report's own script) so this probe may run.
        text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
        probe = r"""<script>
(() => {
  const result = [];
  const tables = document.querySelectorAll('table.sortable');
  for (const t of tables) {
    const heads = t.tHead.rows[0].cells;
    let col = -1;
    for (let i = 0; i < heads.length && col < 0; i++)
      if (t.tBodies[0].rows.length > 1 && t.tBodies[0].rows[0].cells[i].dataset.sort !== undefined) col = i;
    if (col < 0) continue;
    const values = () => Array.from(t.tBodies[0].rows, r => r.cells[col].dataset.sort)
                              .filter(s => s !== '').map(parseFloat);
    const n = t.tBodies[0].rows.length;
    heads[col].click();
    const up = values();
    heads[col].click();
    const down = values();
    const asc = up.every((v, i) => i === 0 || up[i - 1] <= v);
    const desc = down.every((v, i) => i === 0 || down[i - 1] >= v);
    const kept = t.tBodies[0].rows.length === n;
    const label = (t.id || t.className) + ' column ' + col;
    if (!(asc && desc && kept)) result.push('not sorted: ' + label + ' up=' + up + ' down=' + down);
    else result.push('ok');
  }
  const none = tables.length ? 'no numeric column' : 'no table';
  document.body.setAttribute('data-sort-check', result.length ? result.join(' | ') : none);
})();
</script>"""
    else:
        probe = "<script>document.body.setAttribute('data-injected', 'ran');</script>"
    text = text.replace("</body>", probe + "\n</body>", 1)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


# What every report has, even an empty one; counts of the rest come from --expect.
REQUIRED = {
    "benchmark": ["svg#transfer-heatmap", "svg#ranker-ci", "svg#quality-cost"],
    "ranking": ["#ranking-bars", "#skipped"],
}


def check_dom(path, kind, expects):
    text, b = parse(path)
    problems = []
    for sel in REQUIRED[kind]:
        if not select(b.root, sel):
            problems.append(f"no element matches {sel}")
    for e in expects:
        sel, _, n = e.rpartition("=")
        got = len(select(b.root, sel))
        if got != int(n):
            problems.append(f"{sel}: {got} elements, expected {n}")
    tables = select(b.root, "table.sortable")
    not_ready = [t for t in tables if t.attrs.get("data-sortable") != "ready"]
    if not_ready:
        problems.append(f"{len(not_ready)} of {len(tables)} sortable tables were not set up: the script did not run")
    scripts = select(b.root, "script")
    if len(scripts) != 1:
        problems.append(f"{len(scripts)} <script> elements in the DOM, expected the report's own only")
    for el in b.root.walk():
        for name, value in el.attrs.items():
            if value and re.search(r"\b(nan|inf|infinity)\b", value, re.I):
                problems.append(f"<{el.tag} {name}=\"{value}\">")
    fail(problems, f"{path}: the DOM after scripts ran ({kind})")


def body_attr(path, name):
    _, b = parse(path)
    body = select(b.root, "body")
    return body[0].attrs.get(name) if body else None


def check_sorted(path):
    got = body_attr(path, "data-sort-check")
    problems = []
    if got is None:
        problems.append("the sort probe did not run")
    elif got == "no table":
        print("ok: no sortable table to click")
        return
    elif got == "no numeric column" or any(r != "ok" for r in got.split(" | ")):
        problems.append(got)
    fail(problems, "clicking a header sorts the table, twice reverses it")


def check_injected(path):
    got = body_attr(path, "data-injected")
    fail(["an injected inline script ran: the Content-Security-Policy does not hold"] if got else [],
         "an injected inline script is blocked by the CSP")


def png_pixels(path):
    """(width, height, rows of RGB tuples' bytes, channels) from an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"FAIL: {path} is not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"FAIL: {path}: unsupported PNG (depth {depth}, colour type {ctype})")
            channels = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 255
        elif ftype == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b_, c = prev[i], prev[i - channels] if i >= channels else 0
                p = a + b_ - c
                pa, pb, pc = abs(p - a), abs(p - b_), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b_ if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, channels


def check_png(path):
    width, height, rows, ch = png_pixels(path)
    colours, ink, coloured = set(), 0, 0
    for row in rows:
        for i in range(0, len(row), ch * 2):  # every other pixel: enough, and twice as fast
            r, g, b = row[i], row[i + 1], row[i + 2]
            colours.add((r, g, b))
            if min(r, g, b) < 235:
                ink += 1
            if max(r, g, b) - min(r, g, b) > 60:
                coloured += 1
    sampled = sum(len(r) // (ch * 2) for r in rows)
    problems = []
    if len(colours) < 32:
        problems.append(f"only {len(colours)} distinct colours: blank or unstyled")
    if ink < 0.01 * sampled:
        problems.append(f"only {100.0 * ink / sampled:.2f}% of the pixels are not white: blank")
    if coloured < 300:
        problems.append(f"only {coloured} saturated pixels: the figures did not render")
    print(f"{path}: {width}x{height}, {len(colours)} colours, {100.0 * ink / sampled:.1f}% ink, "
          f"{coloured} saturated pixels (of {sampled} sampled)")
    fail(problems, f"{path} is not blank")


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd = argv[1]
    if cmd == "static":
        check_static(argv[2])
    elif cmd == "harness":
        harness(argv[2], argv[3], argv[4])
    elif cmd == "dom":
        check_dom(argv[2], argv[3], argv[4:])
    elif cmd == "sorted":
        check_sorted(argv[2])
    elif cmd == "injected":
        check_injected(argv[2])
    elif cmd == "png":
        check_png(argv[2])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
