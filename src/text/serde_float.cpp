#include "serde_float.hpp"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace taskscout::text {

namespace {

// 1e0 … 1e308, each the correctly rounded double (serde_json's POW10 table).
const std::array<double, 309>& powers_of_ten() {
  static const std::array<double, 309> table = [] {
    std::array<double, 309> t{};
    for (int k = 0; k < 309; ++k) t[k] = std::strtod(("1e" + std::to_string(k)).c_str(), nullptr);
    return t;
  }();
  return table;
}

// serde_json's overflow!(a * 10 + digit, max).
template <class T>
bool overflows(T a, T digit, T max) {
  return a >= max / 10 && (a > max / 10 || digit > max % 10);
}

double from_parts(bool positive, std::uint64_t significand, std::int64_t exponent) {
  double f = static_cast<double>(significand);
  const auto& pow10 = powers_of_ten();
  while (true) {
    const std::uint64_t e = exponent < 0 ? static_cast<std::uint64_t>(-exponent) : static_cast<std::uint64_t>(exponent);
    if (e < pow10.size()) {
      if (exponent >= 0)
        f *= pow10[e];  // serde_json rejects an infinite result; json::parse did already
      else
        f /= pow10[e];
      break;
    }
    if (f == 0.0) break;
    if (exponent >= 0) return positive ? HUGE_VAL : -HUGE_VAL;
    f /= 1e308;
    exponent += 308;
  }
  return positive ? f : -f;
}

class SerdeFloats : public nlohmann::detail::json_sax_dom_parser<nlohmann::json> {
 public:
  using json_sax_dom_parser::json_sax_dom_parser;
  bool number_float(double, const std::string& lexeme) {
    return json_sax_dom_parser::number_float(serde_json_f64(lexeme), lexeme);
  }
};

}  // namespace

double serde_json_f64(std::string_view s) {
  std::size_t i = 0;
  const bool positive = !(i < s.size() && s[i] == '-');
  if (!positive) ++i;
  auto digit = [&](std::size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t significand = 0;
  std::int64_t exponent = 0;
  bool dropping = false;  // the significand is full: further digits are dropped
  for (; digit(i); ++i) {
    const auto d = static_cast<std::uint64_t>(s[i] - '0');
    if (dropping || overflows(significand, d, kMax)) {
      dropping = true;
      ++exponent;  // an integer digit past the u64 still counts (parse_long_integer)
      continue;
    }
    significand = significand * 10 + d;
  }
  if (i < s.size() && s[i] == '.') {
    for (++i; digit(i); ++i) {
      const auto d = static_cast<std::uint64_t>(s[i] - '0');
      if (dropping || overflows(significand, d, kMax)) {
        dropping = true;  // parse_decimal_overflow: ignored
        continue;
      }
      significand = significand * 10 + d;
      --exponent;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool positive_exp = true;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) positive_exp = s[i++] == '+';
    std::int32_t exp = 0;
    for (; digit(i); ++i) {
      const auto d = static_cast<std::int32_t>(s[i] - '0');
      if (overflows(exp, d, std::numeric_limits<std::int32_t>::max())) {
        // parse_exponent_overflow: a huge negative exponent is zero (a huge positive one
        // is out of range, which json::parse has rejected already).
        return positive_exp && significand != 0 ? (positive ? HUGE_VAL : -HUGE_VAL) : (positive ? 0.0 : -0.0);
      }
      exp = exp * 10 + d;
    }
    exponent += positive_exp ? exp : -static_cast<std::int64_t>(exp);
  }
  return from_parts(positive, significand, exponent);
}

nlohmann::json parse_json_as_serde(std::string_view text) {
  nlohmann::json out;
  SerdeFloats sax(out, true);
  nlohmann::json::sax_parse(text, &sax);
  return out;
}

}  // namespace taskscout::text
