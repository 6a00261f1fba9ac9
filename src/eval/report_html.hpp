#pragma once
// Building blocks of the HTML reports (private to src/eval): safe text, numbers, the page
// shell and sortable tables. Everything returns strings; nothing here knows the figures.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace taskscout::report {

// `text` as valid UTF-8: each invalid sequence (its maximal valid prefix, as the Unicode
// standard recommends) and each control character other than tab and newline becomes U+FFFD.
std::string clean_utf8(std::string_view text);
// clean_utf8, then & < > " ' as entities: safe as element text and inside a quoted attribute.
std::string esc(std::string_view text);
// At most `max_chars` code points of clean_utf8(text), its middle cut out and marked with
// "…" when longer; then esc.
std::string esc_short(std::string_view text, std::size_t max_chars);
// Code points of clean_utf8(text) (what a label's width depends on).
std::size_t text_length(std::string_view text);

// Values as text; "—" for NaN or ±Inf everywhere.
std::string fixed(double v, int decimals);         // 0.423
std::string signed_fixed(double v, int decimals);  // +0.023
std::string general(double v, int digits = 4);     // 4 significant digits, exponent when needed
std::string seconds_text(double seconds);          // 12 ms, 1.3 s, 2.5 min
// A value for a data-sort attribute: shortest round-trip form, "" when not finite.
std::string sort_key(double v);
// An SVG coordinate (one decimal). Never "nan": a non-finite value (a caller bug) gives 0.
std::string px(double v);

// One table cell: its HTML content and, for numbers, the sort key (data-sort).
struct Cell {
  std::string html;
  std::string sort;  // empty with numeric = false: sorts as text
  bool numeric = false;
  std::string title;  // tooltip (already escaped), optional
  bool wrap = false;  // long text that may wrap
};
Cell text_cell(std::string_view text, std::size_t max_chars = 60);
Cell number_cell(double v, int decimals, std::string title = {});
// A <table class="sortable ..."> (id optional) with one header row.
std::string sortable_table(std::string_view id, std::string_view extra_class, const std::vector<std::string>& headers,
                           const std::vector<std::vector<Cell>>& rows);

// Title, the facts line under it, and the section links.
std::string page_header(std::string_view title, std::string_view subtitle,
                        const std::vector<std::pair<std::string, std::string>>& facts,
                        const std::vector<std::pair<std::string, std::string>>& toc /* id, label */);
// <h2 id=...>heading</h2><p class="how">how to read it</p> (`how` is trusted HTML).
std::string section_heading(std::string_view id, std::string_view heading, std::string_view how);
// The complete document: head (charset, CSP, stylesheet), `body_html` inside <main>, script.
std::string page(std::string_view title, const std::string& body_html);

}  // namespace taskscout::report
