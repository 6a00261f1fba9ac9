#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/safetensors.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::TempDir;

namespace {

Array iota(std::vector<std::int64_t> shape) {
  Array a(DType::F32, std::move(shape));
  auto v = a.mutable_values<float>();
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return a;
}

}  // namespace

TEST(IoArrayFile, SavesAndLoadsByExtension) {
  TempDir dir;
  const Array a = iota({3, 2});
  save_array(dir / "a.npy", a);
  EXPECT_EQ(load_array((dir / "a.npy").string()).shape(), a.shape());
  save_array(dir / "a.safetensors", a);
  EXPECT_EQ(SafetensorsFile(dir / "a.safetensors").names(), (std::vector<std::string>{"data"}));
  save_array(dir / "b.safetensors", a, "features");
  const Array back = load_array((dir / "b.safetensors").string());
  EXPECT_EQ(back.shape(), a.shape());
  EXPECT_EQ(back.values<float>()[5], 5.0f);
  EXPECT_EQ(load_array((dir / "b.safetensors:features").string()).numel(), 6);
}

TEST(IoArrayFile, NamedTensorAndPathsWithColons) {
  TempDir dir;
  std::filesystem::create_directory(dir / "x:y");
  write_safetensors(dir / "x:y" / "m.safetensors", {{"w", iota({2})}, {"b", iota({3})}});
  const std::string file = (dir / "x:y" / "m.safetensors").string();
  EXPECT_EQ(load_array(file + ":b").numel(), 3);
  EXPECT_EQ(load_array(file + ":w").numel(), 2);
  try {
    load_array(file);
    FAIL();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("holds 2 tensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("w, b"), std::string::npos) << msg;
    EXPECT_NE(msg.find(file + ":NAME"), std::string::npos) << msg;
  }
  EXPECT_THROW(load_array(file + ":nope"), InputError);
  write_safetensors(dir / "none.safetensors", {});
  EXPECT_THROW(load_array((dir / "none.safetensors").string()), InputError);
}

TEST(IoArrayFile, UnknownFormsAreUsageErrors) {
  TempDir dir;
  EXPECT_THROW(load_array((dir / "a.csv").string()), UsageError);
  EXPECT_THROW(load_array("a.npy:x"), UsageError);
  EXPECT_THROW(save_array(dir / "a.pt", iota({1})), UsageError);
  EXPECT_THROW(save_array(dir / "a", iota({1})), UsageError);
  EXPECT_THROW(load_array((dir / "absent.npy").string()), IoError);
  EXPECT_THROW(load_array((dir / "absent.safetensors:x").string()), IoError);
}

TEST(IoArrayFile, FailedSaveKeepsTheOldFile) {
  TempDir dir;
  save_array(dir / "a.npy", iota({2}));
  const std::string before = taskscout::testing::read_text(dir / "a.npy");
  EXPECT_THROW(save_array(dir / "a.npy", Array(DType::BF16, {2})), UsageError);
  EXPECT_EQ(taskscout::testing::read_text(dir / "a.npy"), before);
  EXPECT_THROW(save_array(dir / "missing-dir" / "a.npy", iota({2})), IoError);
}
