#include "taskscout/io/safetensors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/json_error.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

namespace {

using nlohmann::json;

// The safetensors reference implementation's limit: no real header comes close.
constexpr std::uint64_t kMaxHeader = 100'000'000;

// Every dtype of the format, with its element size; only some map to a taskscout DType.
struct DtypeInfo {
  std::string_view name;
  std::size_t size;
  std::optional<DType> dtype;
};
constexpr DtypeInfo kDtypes[] = {
    {"BOOL", 1, {}}, {"U8", 1, {}},          {"I8", 1, {}},          {"F8_E5M2", 1, {}},       {"F8_E4M3", 1, {}},
    {"I16", 2, {}},  {"U16", 2, {}},         {"F16", 2, DType::F16}, {"BF16", 2, DType::BF16}, {"I32", 4, DType::I32},
    {"U32", 4, {}},  {"F32", 4, DType::F32}, {"F64", 8, DType::F64}, {"I64", 8, DType::I64},   {"U64", 8, {}},
};

const DtypeInfo* find_dtype(std::string_view name) {
  for (const auto& d : kDtypes)
    if (d.name == name) return &d;
  return nullptr;
}

std::string name_list(const std::vector<std::string>& names) {
  constexpr std::size_t shown = 20;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out.empty() ? "(none)" : out;
}

std::uint64_t json_size(const json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(v.get<std::int64_t>());
  throw std::invalid_argument("not a non-negative integer");
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(MappedFile::open(path)) {
  const std::string where = location(file_->path());
  auto fail = [&](const std::string& what) { return InputError(where + "invalid safetensors file: " + what); };
  const std::size_t size = file_->size();
  if (size < 8) throw fail(fmt::format("the file has {} bytes, fewer than the 8-byte header length", size));
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | std::to_integer<std::uint64_t>(file_->data()[i]);
  if (n > kMaxHeader || n > size - 8)
    throw fail(
        fmt::format("the header length is {} bytes but only {} bytes follow it; the file is truncated or not "
                    "a safetensors file",
                    n, size - 8));
  data_start_ = 8 + static_cast<std::size_t>(n);
  const std::size_t data_size = size - data_start_;

  json header;
  // JSON keeps the last of two equal keys; a header naming a tensor twice is ambiguous
  // (which offsets are meant?), so it is refused, as the reference implementation does.
  std::vector<std::set<std::string>> keys;  // of each open object
  std::string duplicate;
  const json::parser_callback_t note_keys = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second &&
        duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  try {
    header = json::parse(file_->text().substr(8, n), note_keys);
  } catch (const json::parse_error& e) {
    throw fail(fmt::format("the header is not valid JSON (at byte {} of it)", e.byte));
  } catch (const json::exception& e) {  // out_of_range: a number like 1e999
    throw fail("the header is not valid JSON (" + json_error_text(e) + ")");
  }
  if (!duplicate.empty())
    throw fail(fmt::format("the header names \"{}\" twice; re-save the file with a tool that writes each name once",
                           duplicate.substr(0, 200)));
  if (!header.is_object()) throw fail("the header is not a JSON object");

  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw fail("__metadata__ is not an object of strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) throw fail(fmt::format("__metadata__ value \"{}\" is not a string", k));
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    // A named copy: clang 14 cannot capture a structured binding.
    auto bad = [&, &name = key](const std::string& what) { return fail(fmt::format("tensor \"{}\": {}", name, what)); };
    if (!value.is_object() || !value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
      throw bad("expected an object with \"dtype\", \"shape\" and \"data_offsets\"");
    SafetensorsEntry e;
    e.name = key;
    if (!value["dtype"].is_string()) throw bad("\"dtype\" is not a string");
    e.dtype = value["dtype"].get<std::string>();
    const DtypeInfo* info = find_dtype(e.dtype);
    if (!info) throw bad(fmt::format("unknown dtype \"{}\"", e.dtype));

    const json& shape = value["shape"];
    const json& offsets = value["data_offsets"];
    std::uint64_t nbytes = info->size;
    try {
      if (!shape.is_array()) throw std::invalid_argument("");
      for (const auto& d : shape) {
        const std::uint64_t dim = json_size(d);
        if (dim > static_cast<std::uint64_t>(INT64_MAX) || __builtin_mul_overflow(nbytes, dim, &nbytes))
          throw bad("the shape is too large");
        e.shape.push_back(static_cast<std::int64_t>(dim));
      }
    } catch (const std::invalid_argument&) {
      throw bad("\"shape\" must be a list of non-negative integers");
    }
    try {
      if (!offsets.is_array() || offsets.size() != 2) throw std::invalid_argument("");
      const std::uint64_t b = json_size(offsets[0]), end = json_size(offsets[1]);
      if (b > end || end > data_size)
        throw bad(
            fmt::format("data_offsets [{}, {}] lie outside the data section, which has {} bytes", b, end, data_size));
      e.begin = static_cast<std::size_t>(b);
      e.end = static_cast<std::size_t>(end);
    } catch (const std::invalid_argument&) {
      throw bad("\"data_offsets\" must be two non-negative integers [begin, end]");
    }
    if (e.end - e.begin != nbytes)
      throw bad(fmt::format("shape {} of {} needs {} bytes but data_offsets [{}, {}] span {}", shape_string(e.shape),
                            e.dtype, nbytes, e.begin, e.end, e.end - e.begin));
    entries_.push_back(std::move(e));
  }

  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const auto& a, const auto& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  const SafetensorsEntry* prev = nullptr;  // the last non-empty tensor
  for (const auto& e : entries_) {
    if (e.begin == e.end) continue;  // an empty tensor occupies no bytes
    if (prev && e.begin < prev->end)
      throw fail(fmt::format("tensors \"{}\" [{}, {}] and \"{}\" [{}, {}] overlap", prev->name, prev->begin, prev->end,
                             e.name, e.begin, e.end));
    prev = &e;
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
}

const std::string& SafetensorsFile::path() const { return file_->path(); }

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.name);
  return out;
}

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) > 0; }

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end())
    throw InputError(location(path()) + fmt::format("no tensor \"{}\"; the file holds {}", name, name_list(names())));
  return entries_[it->second];
}

Array SafetensorsFile::get(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  const DtypeInfo* info = find_dtype(e.dtype);
  if (!info->dtype)
    throw InputError(location(path()) + fmt::format("tensor \"{}\" has dtype {}, which taskscout does not read (it "
                                                    "reads F16, BF16, F32, F64, I32 and I64)",
                                                    name, e.dtype));
  const std::byte* data = file_->data() + data_start_ + e.begin;
  if (reinterpret_cast<std::uintptr_t>(data) % info->size != 0) {
    Array copy(*info->dtype, e.shape);
    std::memcpy(copy.mutable_bytes(), data, copy.nbytes());
    return copy;
  }
  return Array::view(*info->dtype, e.shape, data, file_);
}

void SafetensorsFile::release(const std::string& name, std::size_t begin, std::size_t end) const {
  const SafetensorsEntry& e = entry(name);
  const std::size_t size = e.end - e.begin;
  end = std::min(end, size);
  if (begin < end) file_->release(data_start_ + e.begin + begin, end - begin);
}

void SafetensorsFile::prefetch(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  file_->prefetch(data_start_ + e.begin, e.end - e.begin);
}

void write_safetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, Array>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string_view> seen;
  std::size_t offset = 0;
  for (const auto& [name, array] : tensors) {
    if (name.empty() || name == "__metadata__" || !seen.insert(name).second)
      throw UsageError(location(path.string()) +
                       fmt::format("cannot write a tensor named \"{}\": names must be unique, non-empty and not "
                                   "__metadata__",
                                   name));
    if (array.nbytes() > 0 && array.bytes() == nullptr) throw Error("internal: writing an array without data");
    header[name] = {{"dtype", dtype_name(array.dtype())},
                    {"shape", array.shape()},
                    {"data_offsets", {offset, offset + array.nbytes()}}};
    offset += array.nbytes();
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::type_error&) {
    throw UsageError(location(path.string()) + "tensor names and metadata must be valid UTF-8");
  }
  text.append((8 - text.size() % 8) % 8, ' ');
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((static_cast<std::uint64_t>(text.size()) >> (8 * i)) & 0xff);

  AtomicFile f(path);
  f.write(len, 8);
  f.write(text);
  for (const auto& [name, array] : tensors) f.write(array.bytes(), array.nbytes());
  f.commit();
}

}  // namespace taskscout
