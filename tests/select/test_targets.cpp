// One label loader for score, rank and Python (select/targets.hpp).
#include <gtest/gtest.h>

#include "taskscout/core/error.hpp"
#include "taskscout/io/npy.hpp"
#include "taskscout/select/targets.hpp"
#include "test_support.hpp"

namespace taskscout {
namespace {

Array doubles(std::vector<double> v) {
  Array a(DType::F64, {static_cast<std::int64_t>(v.size())});
  std::copy(v.begin(), v.end(), a.mutable_values<double>().begin());
  return a;
}

TEST(Targets, IntegerLabelsAreClassesAndFloatLabelsRegressionUnlessTold) {
  Array ids(DType::I32, {4});
  std::vector<std::int32_t> v = {2, 0, 1, 2};
  std::copy(v.begin(), v.end(), ids.mutable_values<std::int32_t>().begin());
  const Targets classes = targets_from_array(ids, TaskChoice::Auto, "y");
  EXPECT_EQ(classes.kind, TaskKind::Classification);
  EXPECT_EQ(classes.num_classes, 3);
  EXPECT_EQ(targets_from_array(doubles({0.5, 1.5}), TaskChoice::Auto, "y").kind, TaskKind::Regression);
  EXPECT_EQ(targets_from_array(ids, TaskChoice::Regression, "y").kind, TaskKind::Regression);
  // Whole numbers stored as floats are accepted as classes when asked.
  const Targets whole = targets_from_array(doubles({1, 0, 1}), TaskChoice::Classification, "y");
  EXPECT_EQ(whole.kind, TaskKind::Classification);
  EXPECT_EQ(whole.num_classes, 2);
}

TEST(Targets, FractionalClassLabelsAreAnErrorNamingTheRow) {
  try {
    targets_from_array(doubles({0, 1, 1.7}), TaskChoice::Classification, "labels.npy");
    FAIL() << "1.7 was taken as a class";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "labels.npy: label at row 2 is 1.7, not a class id; give integer class ids, or treat the "
                 "labels as regression targets");
  }
  EXPECT_THROW(targets_from_array(doubles({0, NAN}), TaskChoice::Classification, "y"), InputError);
  Array matrix(DType::I64, {3, 2});
  EXPECT_THROW(targets_from_array(matrix, TaskChoice::Auto, "y"), InputError);
  EXPECT_THROW(parse_task_choice("ranking"), UsageError);
}

TEST(Targets, ATableAndAnArrayOfTheSameLabelsAgree) {
  testing::TempDir dir;
  testing::write_text(dir / "t.csv", "label\npos\nneg\npos\n");
  const Targets table = load_targets((dir / "t.csv").string(), "label", TaskChoice::Auto);
  EXPECT_EQ(table.kind, TaskKind::Classification);
  Array ids(DType::I64, {3});
  std::vector<std::int64_t> v = {1, 0, 1};  // neg < pos
  std::copy(v.begin(), v.end(), ids.mutable_values<std::int64_t>().begin());
  write_npy(dir / "y.npy", ids);
  const Targets array = load_targets((dir / "y.npy").string(), "label", TaskChoice::Auto);
  EXPECT_EQ(table.classes, array.classes);
}

}  // namespace
}  // namespace taskscout
