#pragma once
// nlohmann::json's messages start with their own tag ("[json.exception.parse_error.101]
// parse error at line 1, column 20: …"); users get the part after it, which already says
// where and what.
#include <exception>
#include <string>

namespace taskscout {

// The message of a nlohmann::json exception without its "[json.exception.…] " tag.
std::string json_error_text(const std::exception& e);

}  // namespace taskscout
