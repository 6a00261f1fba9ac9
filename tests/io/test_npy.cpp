#include <gtest/gtest.h>

#include <cstring>

#include "array_values.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/npy.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::fixtures_dir;
using taskscout::testing::make;
using taskscout::testing::read_text;
using taskscout::testing::TempDir;
using taskscout::testing::values_of;
using taskscout::testing::write_text;

namespace {

std::filesystem::path fixture(const std::string& name) { return fixtures_dir() / "io" / name; }

std::string error_reading(const std::filesystem::path& path) {
  try {
    read_npy(path);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no InputError for " << path;
  return "";
}

}  // namespace

TEST(Npy, ReadsNumpyFiles) {
  Array f4 = read_npy(fixture("f4_2x3.npy"));
  EXPECT_EQ(f4.dtype(), DType::F32);
  EXPECT_EQ(f4.shape(), (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(values_of<float>(f4), (std::vector<float>{0, 0.25, 0.5, 0.75, 1, 1.25}));

  Array f8 = read_npy(fixture("f8_4.npy"));
  EXPECT_EQ(f8.shape(), (std::vector<std::int64_t>{4}));
  EXPECT_EQ(values_of<double>(f8), (std::vector<double>{0, 0.25, 0.5, 0.75}));

  Array i4 = read_npy(fixture("i4_3x2.npy"));
  EXPECT_EQ(i4.shape(), (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(values_of<std::int32_t>(i4), (std::vector<std::int32_t>{-3, -2, -1, 0, 1, 2}));

  Array i8 = read_npy(fixture("i8_2x2.npy"));
  EXPECT_EQ(values_of<std::int64_t>(i8), (std::vector<std::int64_t>{-(1ll << 40), 1, 2, 1ll << 62}));

  Array f2 = read_npy(fixture("f2_3.npy"));
  EXPECT_EQ(f2.dtype(), DType::F16);
  EXPECT_EQ(values_of<float>(f2.to(DType::F32)), (std::vector<float>{1.0f, -2.5f, 0.0999755859375f}));

  Array empty = read_npy(fixture("f4_0x3.npy"));
  EXPECT_EQ(empty.shape(), (std::vector<std::int64_t>{0, 3}));
  EXPECT_TRUE(empty.empty());

  Array scalar = read_npy(fixture("f8_scalar.npy"));
  EXPECT_EQ(scalar.ndim(), 0);
  EXPECT_EQ(values_of<double>(scalar), (std::vector<double>{3.5}));
}

TEST(Npy, ReadsHeaderVersions2And3) {
  for (const char* name : {"f4_v2.npy", "f4_v3.npy"}) {
    Array a = read_npy(fixture(name));
    EXPECT_EQ(a.shape(), (std::vector<std::int64_t>{2, 3})) << name;
    EXPECT_EQ(values_of<float>(a), (std::vector<float>{0, 0.25, 0.5, 0.75, 1, 1.25})) << name;
  }
}

TEST(Npy, FortranOrderIsTransposedIntoCOrder) {
  Array a = read_npy(fixture("f8_fortran_3x4.npy"));
  EXPECT_EQ(a.shape(), (std::vector<std::int64_t>{3, 4}));
  std::vector<double> want(12);
  for (int i = 0; i < 12; ++i) want[i] = i;
  EXPECT_EQ(values_of<double>(a), want);

  Array b = read_npy(fixture("i4_fortran_2x3x4.npy"));
  EXPECT_EQ(b.shape(), (std::vector<std::int64_t>{2, 3, 4}));
  std::vector<std::int32_t> want3(24);
  for (int i = 0; i < 24; ++i) want3[i] = i;
  EXPECT_EQ(values_of<std::int32_t>(b), want3);
}

TEST(Npy, WritesExactlyWhatNumpyWrites) {
  TempDir dir;
  write_npy(dir / "a.npy", make<float>({2, 3}, {0, 0.25, 0.5, 0.75, 1, 1.25}));
  EXPECT_EQ(read_text(dir / "a.npy"), read_text(fixture("f4_2x3.npy")));
  write_npy(dir / "b.npy", make<double>({4}, {0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(read_text(dir / "b.npy"), read_text(fixture("f8_4.npy")));
  write_npy(dir / "c.npy", Array(DType::F32, {0, 3}));
  EXPECT_EQ(read_text(dir / "c.npy"), read_text(fixture("f4_0x3.npy")));
  write_npy(dir / "d.npy", make<double>({}, {3.5}));
  EXPECT_EQ(read_text(dir / "d.npy"), read_text(fixture("f8_scalar.npy")));
}

TEST(Npy, RoundTripsEveryDtypeAndShape) {
  TempDir dir;
  const std::vector<std::vector<std::int64_t>> shapes = {{}, {5}, {0}, {0, 4}, {3, 0}, {2, 3}, {2, 3, 4}, {1, 1, 1, 7}};
  for (DType dtype : {DType::F16, DType::F32, DType::F64, DType::I32, DType::I64}) {
    for (const auto& shape : shapes) {
      Array src(dtype, shape);
      auto* bytes = src.mutable_bytes();
      for (std::size_t i = 0; i < src.nbytes(); ++i) bytes[i] = static_cast<std::byte>(i * 37 + 11);
      write_npy(dir / "x.npy", src);
      Array back = read_npy(dir / "x.npy");
      EXPECT_EQ(back.dtype(), dtype);
      EXPECT_EQ(back.shape(), shape) << shape_string(shape);
      // An empty array may have no buffer: memcmp of null pointers is undefined even for 0 bytes (UBSan).
      if (src.nbytes() > 0) EXPECT_EQ(std::memcmp(back.bytes(), src.bytes(), src.nbytes()), 0);
    }
  }
}

TEST(Npy, LargeHeaderUsesVersion2) {
  TempDir dir;
  std::vector<std::int64_t> shape(25000, 1);  // a header longer than 65535 bytes needs version 2.0
  write_npy(dir / "wide.npy", Array(DType::F32, shape));
  const std::string bytes = read_text(dir / "wide.npy");
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ(read_npy(dir / "wide.npy").shape(), shape);
}

TEST(Npy, Bf16CannotBeWritten) {
  TempDir dir;
  EXPECT_THROW(write_npy(dir / "x.npy", Array(DType::BF16, {2})), UsageError);
  EXPECT_FALSE(std::filesystem::exists(dir / "x.npy"));
}

TEST(Npy, UnsupportedDtypesAreNamed) {
  auto msg = error_reading(fixture("f8_bigendian.npy"));
  EXPECT_NE(msg.find("big-endian"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'>f8'"), std::string::npos) << msg;
  msg = error_reading(fixture("b1_bool.npy"));
  EXPECT_NE(msg.find("'|b1'"), std::string::npos) << msg;
}

TEST(Npy, TruncatedDataStatesExpectedAndActualBytes) {
  TempDir dir;
  const std::string full = read_text(fixture("f4_2x3.npy"));  // 128 header bytes + 24 data bytes
  write_text(dir / "short.npy", full.substr(0, full.size() - 5));
  auto msg = error_reading(dir / "short.npy");
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find("24 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("19 bytes"), std::string::npos) << msg;

  write_text(dir / "long.npy", full + "xx");
  msg = error_reading(dir / "long.npy");
  EXPECT_NE(msg.find("26 bytes"), std::string::npos) << msg;

  write_text(dir / "header.npy", full.substr(0, 60));
  msg = error_reading(dir / "header.npy");
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
}

TEST(Npy, BadMagicAndMalformedHeaders) {
  TempDir dir;
  write_text(dir / "text.npy", "this is not numpy at all");
  auto msg = error_reading(dir / "text.npy");
  EXPECT_NE(msg.find("not an .npy file"), std::string::npos) << msg;
  write_text(dir / "zip.npy", "PK\x03\x04 and so on, an npz archive");
  msg = error_reading(dir / "zip.npy");
  EXPECT_NE(msg.find(".npz"), std::string::npos) << msg;
  write_text(dir / "tiny.npy", "\x93NUM");
  error_reading(dir / "tiny.npy");

  auto with_header = [&](const std::string& name, const std::string& dict, int major = 1) {
    std::string h = std::string("\x93NUMPY") + char(major) + '\0' + char(dict.size()) + '\0' + dict;
    write_text(dir / name, h);
    return error_reading(dir / name);
  };
  EXPECT_NE(with_header("v9.npy", "{}", 9).find("version 9.0"), std::string::npos);
  EXPECT_NE(with_header("nokeys.npy", "{'descr': '<f4'}\n").find("'shape'"), std::string::npos);
  EXPECT_NE(with_header("key.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}").find("'x'"),
            std::string::npos);
  with_header("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }");
  with_header("order.npy", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (), }");
  with_header("open.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, ");
  with_header("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }");
  with_header("overflow.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }");
  EXPECT_NE(with_header("struct.npy", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }")
                .find("structured"),
            std::string::npos);
  EXPECT_NE(with_header("u2.npy", "{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }").find("'<u2'"),
            std::string::npos);
  // A real header ends in padding and '\n': the message quotes it on one line.
  msg = with_header("padded.npy", "{'descr': '<f4', 'fortran_order': Nope, 'shape': (2,), }        \n");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("'shape': (2,), }; re-save"), std::string::npos) << msg;
  msg = with_header("nl.npy", "{'descr': '<f4',\n'fortran_order': False, 'shape': (2,), 'x\ny': 1}\n");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(Npy, MissingFileIsAnIoError) {
  TempDir dir;
  EXPECT_THROW(read_npy(dir / "absent.npy"), IoError);
  EXPECT_THROW(read_npy(dir.path()), IoError);  // a directory
}
