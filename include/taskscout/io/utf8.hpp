#pragma once
// UTF-8 validation (RFC 3629): overlong encodings, UTF-16 surrogates (U+D800..U+DFFF),
// code points above U+10FFFF and truncated sequences are all invalid.
#include <cstddef>
#include <optional>
#include <string_view>

namespace taskscout {

// The byte offset of the first invalid sequence in `text`, or nullopt when it is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

inline bool is_valid_utf8(std::string_view text) { return !find_invalid_utf8(text).has_value(); }

}  // namespace taskscout
