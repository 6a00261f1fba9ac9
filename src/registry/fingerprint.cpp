#include "taskscout/registry/fingerprint.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "taskscout/core/error.hpp"
#include "taskscout/core/sha256.hpp"

namespace taskscout {

namespace fs = std::filesystem;

namespace {

void put_field(Sha256& h, std::string_view text) {
  const std::uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) {
    const auto b = static_cast<unsigned char>(n >> (8 * i));
    h.update(&b, 1);
  }
  h.update(text);
}

}  // namespace

std::string dataset_fingerprint(const Dataset& d) {
  // Length-prefixed fields, so no text can imitate a boundary.
  Sha256 h;
  put_field(h, "taskscout-dataset-fingerprint-v1");
  put_field(h, d.kind == LabelKind::Classification ? "classification" : "regression");
  put_field(h, std::to_string(d.size()));
  for (std::size_t i = 0; i < d.size(); ++i) {
    put_field(h, i < d.texts.size() ? d.texts[i] : "");
    put_field(h, i < d.text_pairs.size() ? d.text_pairs[i] : "");
    if (i < d.label_ids.size())
      put_field(h, d.label_names.at(static_cast<std::size_t>(d.label_ids[i])));
    else if (i < d.values.size())
      put_field(h, fmt::format("{}", d.values[i]));
    else
      put_field(h, "");
  }
  return h.finish_hex();
}

}  // namespace taskscout
