// Datasets: CSV, TSV and JSONL tables read into labelled datasets (io/table.hpp,
// io/dataset.hpp). The first byte picks the format (by extension, as the commands do) and
// the options; the rest is the file.
#include "fuzz_support.hpp"
#include "taskscout/core/error.hpp"
#include "taskscout/io/dataset.hpp"

using namespace taskscout;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const char* const kExtensions[] = {"csv", "tsv", "jsonl"};
  const std::uint8_t mode = data[0];
  const auto path = fuzz::scratch_file(std::string("data.") + kExtensions[mode % 3], data + 1, size - 1);
  DatasetOptions options;
  if (mode & 4) options.kind = LabelKind::Regression;
  if (mode & 8) options.text_pair_column = "pair";
  if (mode & 16) options.label_column.clear();
  if (mode & 32) options.text_column.clear();
  if ((mode & 64) && !options.kind) options.label_names = {"neg", "pos"};
  try {
    const Dataset d = load_dataset(path, options);
    (void)d.size();
  } catch (const Error&) {
  }
  return 0;
}
