#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "array_values.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;
using taskscout::testing::make;
using taskscout::testing::read_text;
using taskscout::testing::TempDir;
using taskscout::testing::values_of;
using taskscout::testing::write_text;

namespace {

// A safetensors file from a header text and data, with the real header length unless
// `claimed_length` says otherwise.
void write_raw(const std::filesystem::path& path, const std::string& header, std::size_t data_bytes,
               std::optional<std::uint64_t> claimed_length = std::nullopt) {
  const std::uint64_t n = claimed_length.value_or(header.size());
  std::string bytes(8, '\0');
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  bytes += header;
  bytes.append(data_bytes, '\x01');
  write_text(path, bytes);
}

// The InputError that opening `path` throws; it must name the file.
std::string open_error(const std::filesystem::path& path) {
  try {
    SafetensorsFile f(path);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no InputError for " << path;
  return "";
}

std::string tensor(const std::string& name, const std::string& dtype, const std::string& shape, std::size_t b,
                   std::size_t e) {
  return "\"" + name + "\": {\"dtype\": \"" + dtype + "\", \"shape\": " + shape + ", \"data_offsets\": [" +
         std::to_string(b) + ", " + std::to_string(e) + "]}";
}

}  // namespace

TEST(Safetensors, RoundTripWithMetadata) {
  TempDir dir;
  const Array w = make<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Array ids = make<std::int64_t>({4}, {-1, 0, 1ll << 50, 7});
  const Array d = make<double>({1, 1}, {0.125});
  const Array i = make<std::int32_t>({0, 5}, {});
  write_safetensors(dir / "m.safetensors", {{"w", w}, {"ids", ids}, {"d", d}, {"empty", i}},
                    {{"format", "pt"}, {"note", "caf\xC3\xA9"}});
  SafetensorsFile f(dir / "m.safetensors");
  EXPECT_EQ(f.path(), (dir / "m.safetensors").string());
  EXPECT_EQ(f.names(), (std::vector<std::string>{"w", "ids", "d", "empty"}));  // written order
  EXPECT_EQ(f.metadata(), (std::map<std::string, std::string>{{"format", "pt"}, {"note", "caf\xC3\xA9"}}));
  EXPECT_TRUE(f.contains("ids"));
  EXPECT_FALSE(f.contains("nope"));
  EXPECT_EQ(values_of<float>(f.get("w")), values_of<float>(w));
  EXPECT_EQ(f.get("w").shape(), w.shape());
  EXPECT_EQ(values_of<std::int64_t>(f.get("ids")), values_of<std::int64_t>(ids));
  EXPECT_EQ(values_of<double>(f.get("d")), (std::vector<double>{0.125}));
  EXPECT_EQ(f.get("empty").shape(), (std::vector<std::int64_t>{0, 5}));
  EXPECT_EQ(f.entry("ids").dtype, "I64");
}

TEST(Safetensors, FollowsTheSpecLayout) {
  TempDir dir;
  write_safetensors(dir / "a.safetensors", {{"b", make<float>({1}, {1})}, {"a", make<double>({2}, {2, 3})}});
  const std::string bytes = read_text(dir / "a.safetensors");
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + n + 4 + 16);  // contiguous data, nothing after it
  const auto header = nlohmann::json::parse(bytes.substr(8, n));
  EXPECT_EQ(header["b"]["data_offsets"], nlohmann::json({0, 4}));
  EXPECT_EQ(header["a"]["data_offsets"], nlohmann::json({4, 20}));
  EXPECT_EQ(header["a"]["dtype"], "F64");
  EXPECT_EQ(header["a"]["shape"], nlohmann::json({2}));
  EXPECT_FALSE(header.contains("__metadata__"));  // omitted when there is none
  float b;
  std::memcpy(&b, bytes.data() + 8 + n, 4);
  EXPECT_EQ(b, 1.0f);
}

TEST(Safetensors, GetIsAZeroCopyViewThatKeepsTheMappingAlive) {
  TempDir dir;
  write_safetensors(dir / "v.safetensors", {{"x", make<float>({3}, {1, 2, 3})}});
  Array x;
  {
    SafetensorsFile f(dir / "v.safetensors");
    x = f.get("x");
    EXPECT_EQ(f.get("x").bytes(), x.bytes());  // both views of the same mapped bytes
  }
  std::filesystem::remove(dir / "v.safetensors");
  EXPECT_EQ(values_of<float>(x), (std::vector<float>{1, 2, 3}));
  EXPECT_THROW(x.mutable_bytes(), Error);  // read-only
}

TEST(Safetensors, MisalignedTensorsAreCopied) {
  TempDir dir;
  // An F16 of 1 element first leaves the F32 at data offset 2: not 4-byte aligned.
  const std::string header = "{" + tensor("h", "F16", "[1]", 0, 2) + ", " + tensor("f", "F32", "[1]", 2, 6) + "}  ";
  std::string bytes(8, '\0');
  bytes[0] = static_cast<char>(header.size());
  bytes += header;
  const std::uint16_t h = float_to_half(2.0f);
  const float v = 3.5f;
  bytes.append(reinterpret_cast<const char*>(&h), 2).append(reinterpret_cast<const char*>(&v), 4);
  write_text(dir / "m.safetensors", bytes);
  SafetensorsFile f(dir / "m.safetensors");
  EXPECT_EQ(values_of<float>(f.get("f")), (std::vector<float>{3.5f}));
  EXPECT_EQ(values_of<float>(f.get("h").to(DType::F32)), (std::vector<float>{2.0f}));
}

TEST(Safetensors, ReadsF16AndBf16WrittenByNumpyAndTorch) {
  SafetensorsFile f(fixtures_dir() / "io" / "mixed.safetensors");
  EXPECT_EQ(f.names(), (std::vector<std::string>{"half", "brain", "weight", "ids"}));
  EXPECT_EQ(f.metadata().at("source"), "numpy");
  const Array half = f.get("half");
  EXPECT_EQ(half.dtype(), DType::F16);
  EXPECT_EQ(values_of<float>(half.to(DType::F32)),
            (std::vector<float>{1.0f, -2.5f, 0.0999755859375f, 65504.0f, 1.1920928955078125e-07f}));
  const Array brain = f.get("brain");
  EXPECT_EQ(brain.dtype(), DType::BF16);
  EXPECT_EQ(values_of<float>(brain.to(DType::F32)),
            (std::vector<float>{1.0f, -2.5f, 0.10009765625f, 65536.0f, 1.0011717677116394e-07f}));
  EXPECT_EQ(values_of<float>(f.get("weight")), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(values_of<std::int64_t>(f.get("ids")), (std::vector<std::int64_t>{7, -1, 1ll << 40}));
}

TEST(Safetensors, F16AndBf16RoundTrip) {
  TempDir dir;
  const std::vector<float> values = {1.0f, -2.5f, 0.1f, 65504.0f, 1e-7f};
  const Array src = make<float>({5}, values);
  write_safetensors(dir / "h.safetensors", {{"half", src.to(DType::F16)}, {"brain", src.to(DType::BF16)}});
  SafetensorsFile f(dir / "h.safetensors");
  // Our encoders must produce the same bits as numpy/torch did for the fixture.
  SafetensorsFile ref(fixtures_dir() / "io" / "mixed.safetensors");
  for (const char* name : {"half", "brain"}) {
    const Array a = f.get(name), b = ref.get(name);
    EXPECT_EQ(a.dtype(), b.dtype());
    ASSERT_EQ(a.nbytes(), b.nbytes());
    EXPECT_EQ(std::memcmp(a.bytes(), b.bytes(), a.nbytes()), 0) << name;
  }
}

TEST(Safetensors, UnknownNameListsTheAvailableNames) {
  TempDir dir;
  write_safetensors(dir / "n.safetensors", {{"alpha", make<float>({1}, {1})}, {"beta", make<float>({1}, {2})}});
  SafetensorsFile f(dir / "n.safetensors");
  try {
    f.get("gamma");
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("n.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"gamma\""), std::string::npos) << msg;
    EXPECT_NE(msg.find("\"alpha\", \"beta\""), std::string::npos) << msg;
  }
}

TEST(Safetensors, HeaderLengthPastTheEnd) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{}", 0, 1000);
  EXPECT_NE(open_error(dir / "a.safetensors").find("header length is 1000"), std::string::npos);
  write_raw(dir / "b.safetensors", "{}", 0, ~std::uint64_t{0});
  open_error(dir / "b.safetensors");
  write_text(dir / "c.safetensors", "abc");
  open_error(dir / "c.safetensors");
}

TEST(Safetensors, NonJsonHeader) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{\"x\": ", 0);
  EXPECT_NE(open_error(dir / "a.safetensors").find("not valid JSON"), std::string::npos);
  write_raw(dir / "b.safetensors", "[1, 2]  ", 0);
  EXPECT_NE(open_error(dir / "b.safetensors").find("not a JSON object"), std::string::npos);
  write_raw(dir / "c.safetensors", "\x93NUMPY\x01\x00", 0);
  open_error(dir / "c.safetensors");
  // A number too large for a double (nlohmann's out_of_range, not parse_error).
  write_raw(dir / "d.safetensors", "{\"__metadata__\": {}, \"x\": 1e999}   ", 0);
  EXPECT_NE(open_error(dir / "d.safetensors").find("not valid JSON"), std::string::npos);
}

TEST(Safetensors, ATensorNamedTwiceIsRefused) {
  // JSON parsers keep the last of two equal keys: which data is "w" would depend on the reader.
  TempDir dir;
  write_raw(dir / "d.safetensors", "{" + tensor("w", "F32", "[1]", 0, 4) + ", " + tensor("w", "F32", "[1]", 4, 8) + "}",
            8);
  const std::string e = open_error(dir / "d.safetensors");
  EXPECT_NE(e.find("names \"w\" twice"), std::string::npos) << e;
  write_raw(dir / "m.safetensors",
            "{\"__metadata__\": {\"format\": \"a\", \"format\": \"b\"}, " + tensor("w", "F32", "[1]", 0, 4) + "}", 4);
  EXPECT_NE(open_error(dir / "m.safetensors").find("\"format\" twice"), std::string::npos);
  // The same name in two different objects is fine.
  write_raw(dir / "ok.safetensors", "{\"__metadata__\": {\"w\": \"x\"}, " + tensor("w", "F32", "[1]", 0, 4) + "}", 4);
  EXPECT_EQ(SafetensorsFile(dir / "ok.safetensors").names(), std::vector<std::string>{"w"});
}

TEST(Safetensors, OffsetsOutOfRange) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{" + tensor("t", "F32", "[4]", 0, 16) + "}", 12);
  const auto msg = open_error(dir / "a.safetensors");
  EXPECT_NE(msg.find("\"t\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("outside the data section"), std::string::npos) << msg;
  write_raw(dir / "b.safetensors", "{" + tensor("t", "F32", "[1]", 8, 4) + "}", 12);
  open_error(dir / "b.safetensors");
  write_raw(dir / "c.safetensors", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}", 12);
  EXPECT_NE(open_error(dir / "c.safetensors").find("data_offsets"), std::string::npos);
  write_raw(dir / "d.safetensors", "{\"t\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}", 12);
  open_error(dir / "d.safetensors");
}

TEST(Safetensors, OverlappingTensors) {
  TempDir dir;
  write_raw(dir / "a.safetensors",
            "{" + tensor("a", "F32", "[2]", 0, 8) + ", " + tensor("b", "F32", "[2]", 4, 12) + "}", 12);
  const auto msg = open_error(dir / "a.safetensors");
  EXPECT_NE(msg.find("overlap"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"a\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"b\""), std::string::npos) << msg;
  // Empty tensors touch nothing, and gaps between tensors are allowed.
  write_raw(dir / "ok.safetensors",
            "{" + tensor("a", "F32", "[1]", 0, 4) + ", " + tensor("z", "F32", "[0]", 2, 2) + ", " +
                tensor("b", "F32", "[1]", 8, 12) + "}",
            12);
  EXPECT_EQ(SafetensorsFile(dir / "ok.safetensors").names(), (std::vector<std::string>{"a", "z", "b"}));
}

TEST(Safetensors, SizeMismatchWithShape) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{" + tensor("t", "F32", "[2, 3]", 0, 20) + "}", 24);
  const auto msg = open_error(dir / "a.safetensors");
  EXPECT_NE(msg.find("needs 24 bytes"), std::string::npos) << msg;
  write_raw(dir / "b.safetensors", "{" + tensor("t", "F32", "[-1]", 0, 4) + "}", 4);
  EXPECT_NE(open_error(dir / "b.safetensors").find("shape"), std::string::npos);
  write_raw(dir / "c.safetensors", "{" + tensor("t", "F64", "[4294967296, 4294967296]", 0, 4) + "}", 4);
  open_error(dir / "c.safetensors");
  write_raw(dir / "d.safetensors", "{" + tensor("t", "F32", "[1.5]", 0, 4) + "}", 4);
  open_error(dir / "d.safetensors");
}

TEST(Safetensors, UnknownAndUnsupportedDtypes) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{" + tensor("t", "F7", "[1]", 0, 1) + "}", 1);
  const auto msg = open_error(dir / "a.safetensors");
  EXPECT_NE(msg.find("\"t\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"F7\""), std::string::npos) << msg;
  // A valid safetensors dtype that taskscout cannot hold fails only when read.
  write_raw(dir / "u8.safetensors",
            "{" + tensor("mask", "U8", "[3]", 0, 3) + ", " + tensor("w", "F32", "[1]", 4, 8) + "}", 8);
  SafetensorsFile f(dir / "u8.safetensors");
  EXPECT_EQ(f.get("w").numel(), 1);
  try {
    f.get("mask");
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("u8.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find("\"mask\""), std::string::npos) << m;
    EXPECT_NE(m.find("U8"), std::string::npos) << m;
  }
}

TEST(Safetensors, BadMetadata) {
  TempDir dir;
  write_raw(dir / "a.safetensors", "{\"__metadata__\": {\"epoch\": 3}}", 0);
  EXPECT_NE(open_error(dir / "a.safetensors").find("\"epoch\""), std::string::npos);
  write_raw(dir / "b.safetensors", "{\"__metadata__\": [\"x\"]}", 0);
  open_error(dir / "b.safetensors");
  write_raw(dir / "c.safetensors", "{\"t\": {\"dtype\": \"F32\"}}", 0);
  open_error(dir / "c.safetensors");
}

TEST(Safetensors, WriterRejectsBadNamesAndLeavesNoFile) {
  TempDir dir;
  const Array a = make<float>({1}, {1});
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", {{"a", a}, {"a", a}}), UsageError);
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", {{"", a}}), UsageError);
  EXPECT_THROW(write_safetensors(dir / "x.safetensors", {{"__metadata__", a}}), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.safetensors"));
  write_safetensors(dir / "empty.safetensors", {});
  EXPECT_TRUE(SafetensorsFile(dir / "empty.safetensors").names().empty());
}

TEST(Safetensors, MissingFileIsAnIoError) {
  TempDir dir;
  EXPECT_THROW(SafetensorsFile(dir / "absent.safetensors"), IoError);
}
