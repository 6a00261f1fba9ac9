#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/mapped_file.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;
using taskscout::testing::write_text;

TEST(IoMappedFile, MapsContentsAndEmptyFiles) {
  TempDir dir;
  write_text(dir / "a.bin", std::string("ab\0c", 4));
  auto f = MappedFile::open(dir / "a.bin");
  EXPECT_EQ(f->size(), 4u);
  EXPECT_EQ(f->text(), std::string_view("ab\0c", 4));
  EXPECT_EQ(f->path(), (dir / "a.bin").string());
  write_text(dir / "empty", "");
  MappedFile empty(dir / "empty");
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_TRUE(empty.text().empty());
}

TEST(IoMappedFile, MissingFileAndDirectoryAreIoErrors) {
  TempDir dir;
  try {
    MappedFile f(dir / "absent");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "absent").string()), std::string::npos) << e.what();
  }
  EXPECT_THROW(MappedFile f(dir.path()), IoError);
}
