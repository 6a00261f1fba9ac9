#include "taskscout/core/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace taskscout {

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, s % 3600 / 60);
  else if (s >= 60)
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%llds", s);
  return text;
}

ProgressPhase::ProgressPhase(const Progress& progress, const std::string& name, std::int64_t total)
    : progress_(progress) {
  if (progress_.start) progress_.start(name, total);
}

ProgressPhase::~ProgressPhase() {
  if (progress_.finish) progress_.finish();
}

void ProgressPhase::advance(std::int64_t done, const std::string& detail) const {
  if (progress_.advance) progress_.advance(done, detail);
}

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
  const double elapsed = watch_.seconds();
  // The remaining time at the rate so far, once there is a rate to go by.
  std::string eta;
  if (done_ > 0 && done_ < total_)
    eta = "  ETA " + format_duration(elapsed / static_cast<double>(done_) * static_cast<double>(total_ - done_));
  // \r and "erase to end of line" redraw in place.
  std::fprintf(stderr, "\r%s [%s] %lld/%lld %s  %.1fs%s\x1b[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(done_), static_cast<long long>(total_), detail_.c_str(), elapsed, eta.c_str());
  std::fflush(stderr);
}

}  // namespace taskscout
