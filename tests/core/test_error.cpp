// Errors name a library call's options by the library's names, and front ends spell them
// as their own (core/error.hpp).
#include <gtest/gtest.h>

#include <string>

#include "taskscout/core/error.hpp"

namespace taskscout {
namespace {

TEST(Error, OptionsReadAsLibraryNamesAndAFrontEndSpellsThemItsWay) {
  const UsageError e(opt("fine_tune.learning_rate") + " must be positive, not -1; or lower " + opt("k"));
  EXPECT_STREQ(e.what(), "fine_tune.learning_rate must be positive, not -1; or lower k");
  const std::string flags = e.message([](std::string_view o) {
    std::string f = "--" + std::string(o.substr(o.rfind('.') + 1));
    for (char& ch : f)
      if (ch == '_') ch = '-';
    return f;
  });
  EXPECT_EQ(flags, "--learning-rate must be positive, not -1; or lower --k");
  // A message without options, and one whose mark is never closed, pass through as written.
  EXPECT_EQ(InputError("plain: nothing to spell").message({}), "plain: nothing to spell");
  const std::string open_only = "half \x1eopen";
  EXPECT_STREQ(IoError(open_only).what(), open_only.c_str());
  EXPECT_STREQ(Cancelled().what(), "interrupted");
}

}  // namespace
}  // namespace taskscout
