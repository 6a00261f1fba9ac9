#pragma once
// tokenizer.json is read by serde_json, whose default float parsing is fast but not always
// correctly rounded (the "float_roundtrip" feature, off in the tokenizers crate, fixes it):
// "-10.430802345275879" becomes the double one unit in the last place below the nearest.
// Unigram scores are sums of such values, and exact ties between segmentations are broken
// by that last bit, so taskscout reads floats as serde_json does. Private to src/text.
#include <nlohmann/json.hpp>
#include <string_view>

namespace taskscout::text {

// A JSON number lexeme (valid JSON syntax) as serde_json's default f64 parsing reads it:
// the digits as a u64 (digits past its range dropped), then one multiplication or division
// by a power of ten.
double serde_json_f64(std::string_view lexeme);

// json::parse, except that floats are serde_json_f64 of their text. Throws
// nlohmann::json::parse_error as json::parse does.
nlohmann::json parse_json_as_serde(std::string_view text);

}  // namespace taskscout::text
