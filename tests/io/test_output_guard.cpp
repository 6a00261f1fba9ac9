// The output rule (io/output_guard.hpp): never an input, never a registry's file, never a
// file taskscout did not write unless forced; its own earlier outputs are replaced.
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/array_file.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/io/output_guard.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_text;

std::string refusal(const fs::path& out, const OutputRule& rule) {
  try {
    check_output(out, rule);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(OutputGuard, NeverAnInputOrAFileInsideAnInputFolderEvenWithForce) {
  TempDir dir;
  fs::create_directories(dir / "model");
  write_text(dir / "model" / "model.safetensors", "weights");
  write_text(dir / "data.csv", "text\nx\n");
  for (bool force : {false, true}) {
    OutputRule rule = array_output_rule(dir / "x.safetensors", {dir / "model", dir / "data.csv"}, force);
    EXPECT_NE(refusal(dir / "model" / "model.safetensors", rule).find("lies inside an input"), std::string::npos);
    EXPECT_NE(refusal(dir / "model" / ".." / "data.csv", rule).find("is an input"), std::string::npos);
    EXPECT_EQ(refusal(dir / "model" / "new.safetensors", rule), "");  // a new file beside the inputs is fine
  }
}

TEST(OutputGuard, NeverInsideARegistry) {
  TempDir dir;
  fs::create_directories(dir / "reg" / "blobs" / "ab");
  write_text(dir / "reg" / "registry.sqlite", "index");
  const OutputRule rule = array_output_rule(dir / "x.npy", {}, true);
  EXPECT_NE(refusal(dir / "reg" / "registry.sqlite", rule).find("inside the registry"), std::string::npos);
  EXPECT_NE(refusal(dir / "reg" / "blobs" / "ab" / "new.npy", rule).find("inside the registry"), std::string::npos);
  EXPECT_EQ(refusal(dir / "beside.npy", rule), "");
}

TEST(OutputGuard, AForeignFileNeedsForceButItsOwnOutputIsReplaced) {
  TempDir dir;
  write_text(dir / "notes.safetensors", "my notes");
  write_text(dir / "notes.npy", "my notes");
  write_text(dir / "notes.csv", "text,label\nhello,1\n");
  for (const char* name : {"notes.safetensors", "notes.npy", "notes.csv"}) {
    const std::string why = refusal(dir / name, array_output_rule(dir / name, {}, false));
    EXPECT_NE(why.find("was not written by taskscout"), std::string::npos) << why;
    EXPECT_NE(why.find("pass force"), std::string::npos) << why;
    EXPECT_EQ(refusal(dir / name, array_output_rule(dir / name, {}, true)), "");
  }
  Array a(DType::F32, {2, 2});
  save_array(dir / "own.safetensors", a);
  save_array(dir / "own.npy", a);
  write_text(dir / "own.csv", "a,b\n0.5,0.5\n1e-3,nan\n");
  for (const char* name : {"own.safetensors", "own.npy", "own.csv"})
    EXPECT_EQ(refusal(dir / name, array_output_rule(dir / name, {}, false)), "") << name;
  // A safetensors file another program wrote has no mark.
  write_text(dir / "plain.safetensors", std::string("\x02\0\0\0\0\0\0\0{}", 10));
  EXPECT_NE(refusal(dir / "plain.safetensors", array_output_rule(dir / "plain.safetensors", {}, false)), "");
}

}  // namespace
}  // namespace taskscout
