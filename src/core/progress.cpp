#include "taskscout/core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace taskscout {

ProgressBar::ProgressBar(std::string label, std::int64_t total)
    : label_(std::move(label)), total_(std::max<std::int64_t>(total, 1)), enabled_(::isatty(STDERR_FILENO) == 1) {
  draw();
}

ProgressBar::~ProgressBar() {
  if (enabled_) std::fputc('\n', stderr);
}

void ProgressBar::show(std::string_view detail) {
  detail_ = detail;
  draw();
}

void ProgressBar::advance(std::int64_t n) {
  done_ = std::min(done_ + n, total_);
  draw();
}

void ProgressBar::draw() {
  if (!enabled_) return;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done_ / total_);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '-');
  // \r and "erase to end of line" redraw in place.
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %s  %.1fs\x1b[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), detail_.c_str(), watch_.seconds());
  std::fflush(stderr);
}

}  // namespace taskscout
