// SafetensorsWriter, tensor by tensor: the file is write_safetensors' file, whether each
// tensor is written in place or on the writer's thread (write_async), and nothing is left
// behind without commit.
#include <gtest/gtest.h>

#include "array_values.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/safetensors.hpp"
#include "taskscout/io/safetensors_writer.hpp"
#include "test_support.hpp"

using namespace taskscout;
using taskscout::testing::make;
using taskscout::testing::read_text;
using taskscout::testing::TempDir;

namespace {

const std::vector<std::pair<std::string, Array>>& tensors() {
  static const std::vector<std::pair<std::string, Array>> t = {{"a", make<float>({2, 3}, {1, 2, 3, 4, 5, 6})},
                                                               {"b", make<std::int64_t>({2}, {-7, 1ll << 40})},
                                                               {"c", make<float>({1}, {0.5f})},
                                                               {"d", make<float>({0, 4}, {})}};
  return t;
}

std::vector<TensorDeclaration> declarations() {
  std::vector<TensorDeclaration> d;
  for (const auto& [name, a] : tensors()) d.push_back({name, a.dtype(), a.shape()});
  return d;
}

}  // namespace

TEST(SafetensorsWriter, InPlaceAndAsyncWritesGiveWriteSafetensorsFile) {
  TempDir dir;
  write_safetensors(dir / "whole.safetensors", tensors(), {{"format", "pt"}});
  for (const int async_mask : {0, 0b1111, 0b0101, 0b1010}) {
    const auto path = dir / ("streamed" + std::to_string(async_mask) + ".safetensors");
    SafetensorsWriter w(path, declarations(), {{"format", "pt"}});
    for (std::size_t i = 0; i < tensors().size(); ++i) {
      const auto& [name, a] = tensors()[i];
      if (async_mask >> i & 1)
        w.write_async(name, a);
      else
        w.write(name, a);
    }
    w.commit();
    EXPECT_EQ(read_text(path), read_text(dir / "whole.safetensors")) << "mask " << async_mask;
  }
}

TEST(SafetensorsWriter, AsyncWriteChecksOrderAndShapeAtOnce) {
  TempDir dir;
  SafetensorsWriter w(dir / "m.safetensors", declarations());
  w.write_async("a", tensors()[0].second);
  EXPECT_THROW(w.write_async("c", tensors()[2].second), Error);  // "b" comes next
  EXPECT_THROW(w.write_async("b", tensors()[0].second), Error);  // b is int64 [2]
  EXPECT_THROW(w.commit(), Error);                               // b, c and d were never written
}

TEST(SafetensorsWriter, NothingIsLeftWithoutCommitEvenWithAWriteInFlight) {
  TempDir dir;
  {
    SafetensorsWriter w(dir / "m.safetensors", declarations());
    w.write_async("a", tensors()[0].second);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}
