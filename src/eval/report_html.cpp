#include "report_html.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "taskscout/core/sha256.hpp"
#include "taskscout/eval/report.hpp"

namespace taskscout::report {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the valid UTF-8 sequence at text[i], or 0 with `bad` set to the length of
// its maximal valid prefix (≥ 1) to replace.
std::size_t utf8_sequence(std::string_view text, std::size_t i, std::size_t& bad) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    need = 1;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 2;
    if (b == 0xE0) lo = 0xA0;  // overlong
    if (b == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 3;
    if (b == 0xF0) lo = 0x90;  // overlong
    if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k <= need; ++k) {
    const bool ok = i + k < text.size() && byte(i + k) >= (k == 1 ? lo : 0x80) && byte(i + k) <= (k == 1 ? hi : 0xBF);
    if (!ok) {
      bad = k;
      return 0;
    }
  }
  return need + 1;
}

bool is_control(std::string_view cp) {
  const auto b0 = static_cast<unsigned char>(cp[0]);
  if (cp.size() == 1) return (b0 < 0x20 && b0 != '\t' && b0 != '\n') || b0 == 0x7F;
  // C1 controls U+0080..U+009F are encoded C2 80..C2 9F.
  return cp.size() == 2 && b0 == 0xC2 && static_cast<unsigned char>(cp[1]) < 0xA0;
}

// Removes the sign of a printed zero ("-0.00" → "0.00").
std::string unsigned_zero(std::string s) {
  if (!s.empty() && s[0] == '-' && s.find_first_not_of("0.", 1) == std::string::npos) s.erase(0, 1);
  return s;
}

std::string base64(const Sha256Digest& digest) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < digest.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{digest[i]} << 16) | (i + 1 < digest.size() ? digest[i + 1] << 8 : 0) |
                            (i + 2 < digest.size() ? digest[i + 2] : 0);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < digest.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < digest.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// Click (or Enter on) a header to sort by that column; again to reverse. Numeric cells carry
// data-sort (empty: no value, always last); other cells sort by text. Sorting is stable.
constexpr std::string_view kScript = R"js((() => {
  const key = (row, i) => {
    const c = row.cells[i];
    if (!c) return [2, ''];
    const s = c.dataset.sort;
    if (s === undefined) return [1, c.textContent.trim().toLowerCase()];
    return s === '' ? [2, 0] : [0, parseFloat(s)];
  };
  const sort = (table, i, th) => {
    const asc = th.getAttribute('aria-sort') !== 'ascending';
    for (const h of th.parentNode.cells) h.removeAttribute('aria-sort');
    th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    const body = table.tBodies[0];
    const rows = Array.from(body.rows, (r, n) => [key(r, i), n, r]);
    rows.sort((a, b) => {
      if (a[0][0] !== b[0][0]) return a[0][0] - b[0][0];
      const x = a[0][1], y = b[0][1];
      const d = typeof x === 'number' ? x - y : x.localeCompare(y);
      return (asc ? d : -d) || a[1] - b[1];
    });
    for (const r of rows) body.appendChild(r[2]);
  };
  for (const table of document.querySelectorAll('table.sortable')) {
    if (!table.tHead || !table.tBodies.length) continue;
    Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
      th.tabIndex = 0;
      th.addEventListener('click', () => sort(table, i, th));
      th.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(table, i, th); }
      });
    });
    table.dataset.sortable = 'ready';
  }
})();
)js";

constexpr std::string_view kStyle = R"css(
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--fg); line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", "Liberation Sans",
    "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1340px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 1.65rem; margin: 0 0 .2rem; font-weight: 650; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 .3rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); font-weight: 620; }
h3 { font-size: 1rem; margin: 1.1rem 0 .3rem; font-weight: 620; }
p { margin: .3rem 0; }
.subtitle { color: var(--muted); margin: 0 0 .6rem; }
.how { color: var(--muted); max-width: 95ch; margin: .2rem 0 .8rem; font-size: .92rem; }
.facts { display: flex; flex-wrap: wrap; gap: .2rem 1.6rem; margin: .4rem 0; padding: 0; list-style: none; font-size: .92rem; }
.facts li span { color: var(--muted); margin-right: .35rem; }
nav.toc { margin: .8rem 0 0; font-size: .92rem; }
nav.toc a { color: #0b62c4; text-decoration: none; margin-right: 1.2rem; }
nav.toc a:hover { text-decoration: underline; }
.figure { overflow-x: auto; margin: .2rem 0 .4rem; }
svg { display: block; font-size: 11px; font-family: inherit; overflow: visible; }
svg text { fill: var(--fg); }
svg .muted { fill: var(--muted); }
svg .axis line, svg .axis path { stroke: #8c959f; }
svg .axis line.gridline { stroke: #eaeef2; }
svg .cell:hover rect.bg { stroke: #1f2328; stroke-width: 1.5; }
.panels { display: flex; flex-wrap: wrap; gap: 6px 14px; }
.note { color: var(--muted); font-size: .86rem; }
.empty { color: var(--muted); font-style: italic; }
table { border-collapse: collapse; font-size: .86rem; font-variant-numeric: tabular-nums; margin: .3rem 0 .8rem; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
th { background: var(--soft); font-weight: 600; border-bottom: 1px solid var(--line); }
th.text, td.text { text-align: left; }
td.na { color: var(--muted); }
td.wrap { white-space: normal; max-width: 70ch; }
tbody tr:hover { background: #f3f7fc; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th:hover { background: #eaeef2; }
table.sortable th[aria-sort=ascending]::after { content: " \25B2"; font-size: .7em; }
table.sortable th[aria-sort=descending]::after { content: " \25BC"; font-size: .7em; }
details { margin: .3rem 0; }
details > summary { cursor: pointer; color: #0b62c4; }
.table-wrap { overflow-x: auto; }
)css";

}  // namespace

std::string clean_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t bad = 0;
    const std::size_t n = utf8_sequence(text, i, bad);
    if (n == 0) {
      out += kReplacement;
      i += bad;
      continue;
    }
    const std::string_view cp = text.substr(i, n);
    if (is_control(cp))
      out += kReplacement;
    else
      out += cp;
    i += n;
  }
  return out;
}

std::string esc(std::string_view text) {
  const std::string clean = clean_utf8(text);
  std::string out;
  out.reserve(clean.size() + 16);
  for (char c : clean) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::size_t text_length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : clean_utf8(text)) n += (c & 0xC0) != 0x80;
  return n;
}

std::string esc_short(std::string_view text, std::size_t max_chars) {
  const std::string clean = clean_utf8(text);
  const std::size_t length = text_length(clean);
  if (max_chars == 0 || length <= max_chars) return esc(clean);
  // Cut the middle: names of models and tasks differ mostly at their ends ("…-finetuned-sst2").
  const std::size_t head = (max_chars - 1) * 2 / 5, tail = max_chars - 1 - head;
  std::size_t count = 0, head_end = clean.size(), tail_begin = clean.size();
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if ((static_cast<unsigned char>(clean[i]) & 0xC0) == 0x80) continue;
    if (count == head) head_end = std::min(head_end, i);
    if (count == length - tail) tail_begin = i;
    ++count;
  }
  const std::string_view v(clean);
  return esc(v.substr(0, head_end)) + "…" + esc(v.substr(tail_begin));
}

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "—";
  return unsigned_zero(fmt::format("{:.{}f}", v, decimals));
}

std::string signed_fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "—";
  std::string s = unsigned_zero(fmt::format("{:+.{}f}", v, decimals));
  if (s[0] == '+' && s.find_first_not_of("+0.") == std::string::npos) s.erase(0, 1);  // zero has no sign
  return s;
}

std::string general(double v, int digits) {
  if (!std::isfinite(v)) return "—";
  return unsigned_zero(fmt::format("{:.{}g}", v, digits));
}

std::string seconds_text(double s) {
  if (!std::isfinite(s) || s < 0) return "—";
  if (s == 0) return "0 s";
  if (s < 1e-3) return fmt::format("{:.3g} µs", s * 1e6);
  if (s < 1) return fmt::format("{:.3g} ms", s * 1e3);
  if (s < 60) return fmt::format("{:.3g} s", s);
  if (s < 3600) return fmt::format("{:.3g} min", s / 60);
  return fmt::format("{:.3g} h", s / 3600);
}

std::string sort_key(double v) { return std::isfinite(v) ? fmt::format("{}", v) : std::string(); }

std::string px(double v) { return std::isfinite(v) ? unsigned_zero(fmt::format("{:.1f}", v)) : "0"; }

Cell text_cell(std::string_view text, std::size_t max_chars) {
  Cell c;
  c.html = esc_short(text, max_chars);
  if (text_length(text) > max_chars) c.title = esc(text);
  return c;
}

Cell number_cell(double v, int decimals, std::string title) {
  return Cell{fixed(v, decimals), sort_key(v), true, std::move(title)};
}

std::string sortable_table(std::string_view id, std::string_view extra_class, const std::vector<std::string>& headers,
                           const std::vector<std::vector<Cell>>& rows) {
  std::string out = "<div class=\"table-wrap\"><table class=\"sortable";
  if (!extra_class.empty()) out += fmt::format(" {}", extra_class);
  out += "\"";
  if (!id.empty()) out += fmt::format(" id=\"{}\"", id);
  out += ">\n<thead><tr>";
  // A column is numeric when its first row says so (every row of a column has one kind).
  for (std::size_t i = 0; i < headers.size(); ++i) {
    const bool numeric = !rows.empty() && i < rows[0].size() && rows[0][i].numeric;
    out += fmt::format("<th{} scope=\"col\">{}</th>", numeric ? "" : " class=\"text\"", esc(headers[i]));
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const auto& c : row) {
      std::string cls = c.numeric ? "" : "text";
      if (c.numeric && c.sort.empty()) cls = "na";
      if (c.wrap) cls += " wrap";
      out += "<td";
      if (!cls.empty()) out += fmt::format(" class=\"{}\"", cls);
      if (c.numeric) out += fmt::format(" data-sort=\"{}\"", c.sort);
      if (!c.title.empty()) out += fmt::format(" title=\"{}\"", c.title);
      out += fmt::format(">{}</td>", c.html);
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  return out;
}

std::string page_header(std::string_view title, std::string_view subtitle,
                        const std::vector<std::pair<std::string, std::string>>& facts,
                        const std::vector<std::pair<std::string, std::string>>& toc) {
  std::string out = fmt::format("<header>\n<h1>{}</h1>\n", esc(title));
  if (!subtitle.empty()) out += fmt::format("<p class=\"subtitle\">{}</p>\n", esc(subtitle));
  if (!facts.empty()) {
    out += "<ul class=\"facts\">";
    for (const auto& [k, v] : facts) out += fmt::format("<li><span>{}</span>{}</li>", esc(k), esc(v));
    out += "</ul>\n";
  }
  if (!toc.empty()) {
    out += "<nav class=\"toc\">";
    for (const auto& [id, label] : toc) out += fmt::format("<a href=\"#{}\">{}</a>", esc(id), esc(label));
    out += "</nav>\n";
  }
  return out + "</header>\n";
}

std::string section_heading(std::string_view id, std::string_view heading, std::string_view how) {
  std::string out = fmt::format("<h2 id=\"{}\">{}</h2>\n", esc(id), esc(heading));
  if (!how.empty()) out += fmt::format("<p class=\"how\">{}</p>\n", how);
  return out;
}

std::string page(std::string_view title, const std::string& body_html) {
  // Only this script may run (by its hash): an injected one would not, even unescaped.
  Sha256 hash;
  hash.update(kScript);
  const std::string csp = fmt::format(
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{}'; base-uri 'none'; "
      "form-action 'none'",
      base64(hash.finish()));
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += std::string("<meta name=\"generator\" content=\"") + kReportGenerator + "\">\n";
  out += fmt::format("<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n", csp);
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", esc(title), kStyle);
  out += body_html;
  out += fmt::format("</main>\n<script>{}</script>\n</body>\n</html>\n", kScript);
  return out;
}

}  // namespace taskscout::report
