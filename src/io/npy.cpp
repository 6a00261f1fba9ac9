#include "taskscout/io/npy.hpp"

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <cstring>

#include "taskscout/core/error.hpp"
#include "taskscout/io/atomic_file.hpp"
#include "taskscout/io/mapped_file.hpp"

namespace taskscout {

namespace {

static_assert(std::endian::native == std::endian::little, "the .npy and safetensors code assumes a little-endian host");

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr std::string_view kSupported = "<f2, <f4, <f8, <i4 and <i8";

struct NpyHeader {
  DType dtype = DType::F32;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
};

// The header is a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(std::string_view s, const std::string& path) : s_(s), path_(path) {}

  NpyHeader parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    for (;;) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        h.dtype = descr();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.shape = tuple();
        have_shape = true;
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      expect('}');
      break;
    }
    if (!have_descr || !have_order || !have_shape) fail("it must have the keys 'descr', 'fortran_order' and 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string why = what;  // may quote a key from the file
    for (char& c : why)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    throw InputError(location(path_) + "malformed .npy header (" + why + "): " + shown() +
                     "; re-save the array with numpy.save");
  }
  // The header as one line: its padding and newline trimmed, control bytes as '?', at most
  // 200 characters (a message is one line whatever the file holds).
  std::string shown() const {
    std::string_view h = s_;
    while (!h.empty() && (h.back() == ' ' || h.back() == '\n' || h.back() == '\0')) h.remove_suffix(1);
    std::string out;
    for (char c : h.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return h.size() > 200 ? out + "..." : out;
  }
  void skip_space() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected '{}' at offset {}", c, i_));
    ++i_;
  }

  std::string string_literal() {
    skip_space();
    const char q = peek();
    if (q != '\'' && q != '"') fail(fmt::format("expected a quoted string at offset {}", i_));
    const std::size_t end = s_.find(q, i_ + 1);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(i_ + 1, end - i_ - 1));
    i_ = end + 1;
    return out;
  }

  bool boolean() {
    skip_space();
    if (s_.substr(i_).starts_with("True")) return i_ += 4, true;
    if (s_.substr(i_).starts_with("False")) return i_ += 5, false;
    fail("'fortran_order' must be True or False");
  }

  std::vector<std::int64_t> tuple() {
    skip_space();
    const char close = peek() == '(' ? ')' : peek() == '[' ? ']' : '\0';
    if (!close) fail("'shape' must be a tuple of integers");
    ++i_;
    std::vector<std::int64_t> dims;
    for (;;) {
      skip_space();
      if (peek() == close) break;
      std::int64_t v = 0;
      bool digits = false;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, peek() - '0', &v))
          fail("a dimension is too large");
        digits = true;
        ++i_;
      }
      if (!digits) fail("'shape' must hold non-negative integers");
      if (peek() == 'L') ++i_;  // Python 2 long
      dims.push_back(v);
      skip_space();
      if (peek() == ',')
        ++i_;
      else if (peek() != close)
        fail("'shape' must be a tuple of integers");
    }
    ++i_;
    return dims;
  }

  DType descr() {
    skip_space();
    if (peek() == '[')
      throw InputError(location(path_) +
                       "structured .npy arrays are not supported; save a plain "
                       "numeric array (" +
                       std::string(kSupported) + ")");
    const std::string d = string_literal();
    static const std::pair<std::string_view, DType> known[] = {
        {"f2", DType::F16}, {"f4", DType::F32}, {"f8", DType::F64}, {"i4", DType::I32}, {"i8", DType::I64}};
    if (d.size() >= 2 && (d[0] == '<' || d[0] == '=' || d[0] == '>'))
      for (const auto& [code, dtype] : known)
        if (d.substr(1) == code) {
          if (d[0] == '>')
            throw InputError(location(path_) + "big-endian dtype '" + d +
                             "' is not supported; save it as "
                             "little-endian, e.g. numpy.save(path, a.astype('<" +
                             std::string(code) + "'))");
          return dtype;
        }
    throw InputError(location(path_) + "unsupported dtype '" + d + "'; taskscout reads " + std::string(kSupported) +
                     ", e.g. numpy.save(path, a.astype('<f4'))");
  }

  std::string_view s_;
  const std::string& path_;
  std::size_t i_ = 0;
};

std::uint32_t read_le(const std::byte* p, int bytes) {
  std::uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  return v;
}

// Copies column-major data into row-major order.
void fortran_to_c(const std::byte* src, std::byte* dst, const std::vector<std::int64_t>& shape, std::size_t item) {
  const std::size_t nd = shape.size();
  std::vector<std::int64_t> fstride(nd, 1), idx(nd, 0);
  for (std::size_t k = 1; k < nd; ++k) fstride[k] = fstride[k - 1] * shape[k - 1];
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  std::int64_t off = 0;
  for (std::int64_t c = 0; c < n; ++c) {
    std::memcpy(dst + c * item, src + off * item, item);
    for (std::size_t k = nd; k-- > 0;) {  // advance the C-order index, last axis fastest
      if (++idx[k] < shape[k]) {
        off += fstride[k];
        break;
      }
      off -= (shape[k] - 1) * fstride[k];
      idx[k] = 0;
    }
  }
}

std::string_view npy_descr(DType dtype) {
  switch (dtype) {
    case DType::F16:
      return "<f2";
    case DType::F32:
      return "<f4";
    case DType::F64:
      return "<f8";
    case DType::I32:
      return "<i4";
    case DType::I64:
      return "<i8";
    case DType::BF16:
      break;
  }
  throw UsageError("numpy has no bfloat16 dtype; save BF16 arrays as .safetensors, or convert them to F32 first");
}

}  // namespace

Array read_npy(const std::filesystem::path& path) {
  const std::string name = path.string();
  const MappedFile file(path);
  const std::byte* p = file.data();
  const std::size_t size = file.size();
  if (size < 10 || file.text().substr(0, 6) != kMagic) {
    const bool zip = file.text().starts_with("PK");
    throw InputError(location(name) + (zip ? "this is an .npz archive, not an .npy file; extract the array with "
                                             "numpy and save it with numpy.save"
                                           : "not an .npy file (it does not start with \\x93NUMPY)"));
  }
  const int major = std::to_integer<int>(p[6]), minor = std::to_integer<int>(p[7]);
  if (major < 1 || major > 3 || minor != 0)
    throw InputError(location(name) +
                     fmt::format(".npy format version {}.{} is not supported (1.0, 2.0 and 3.0 are)", major, minor));
  const int len_bytes = major == 1 ? 2 : 4;
  const std::size_t prefix = 8 + static_cast<std::size_t>(len_bytes);
  if (size < prefix) throw InputError(location(name) + "truncated .npy file: it ends inside the header");
  const std::size_t header_len = read_le(p + 8, len_bytes);
  if (prefix + header_len > size)
    throw InputError(location(name) + fmt::format("truncated .npy file: the header claims {} bytes, the file has {} "
                                                  "after the header length",
                                                  header_len, size - prefix));
  const NpyHeader h = HeaderParser(file.text().substr(prefix, header_len), name).parse();

  std::size_t expected = dtype_size(h.dtype);
  for (auto d : h.shape)
    if (__builtin_mul_overflow(expected, static_cast<std::size_t>(d), &expected))
      throw InputError(location(name) + "the shape " + shape_string(h.shape) + " is too large");
  const std::size_t actual = size - prefix - header_len;
  if (actual != expected)
    throw InputError(location(name) + fmt::format("{} .npy file: the header describes {} {} ({} bytes of data), the "
                                                  "file holds {} bytes of data",
                                                  actual < expected ? "truncated" : "malformed", dtype_name(h.dtype),
                                                  shape_string(h.shape), expected, actual));

  Array out(h.dtype, h.shape);
  const std::byte* data = p + prefix + header_len;
  if (expected == 0) return out;
  if (h.fortran_order && h.shape.size() > 1)
    fortran_to_c(data, out.mutable_bytes(), h.shape, dtype_size(h.dtype));
  else
    std::memcpy(out.mutable_bytes(), data, expected);
  return out;
}

void write_npy(const std::filesystem::path& path, const Array& array) {
  const auto& shape = array.shape();
  // The dict exactly as numpy 1.24 formats it, with its spare room for growing axis 0.
  std::string shape_repr = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) shape_repr += (i ? ", " : "") + std::to_string(shape[i]);
  shape_repr += shape.size() == 1 ? ",)" : ")";
  std::string dict =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", npy_descr(array.dtype()), shape_repr);
  if (!shape.empty()) dict.append(21 - std::to_string(shape[0]).size(), ' ');

  const std::size_t hlen = dict.size() + 1;  // + the final newline
  int version = 1;
  std::size_t pad = 64 - (10 + hlen) % 64;
  if (hlen + pad > 0xffff) {
    version = 2;
    pad = 64 - (12 + hlen) % 64;
  }
  const std::size_t total = hlen + pad;
  std::string head(kMagic);
  head += static_cast<char>(version);
  head += '\0';
  for (int i = 0; i < (version == 1 ? 2 : 4); ++i) head += static_cast<char>((total >> (8 * i)) & 0xff);
  head += dict;
  head.append(pad, ' ');
  head += '\n';

  if (array.nbytes() > 0 && array.bytes() == nullptr) throw Error("internal: writing an array without data");
  AtomicFile f(path);
  f.write(head);
  f.write(array.bytes(), array.nbytes());
  f.commit();
}

}  // namespace taskscout
