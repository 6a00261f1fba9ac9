#pragma once
// A progress bar on stderr for long work: "label [#####-----] 3/9 detail  12.3s".
// It draws only when stderr is a terminal, so logs, pipes and CI output stay clean.
#include <cstdint>
#include <string>
#include <string_view>

#include "taskscout/core/timer.hpp"

namespace taskscout {

// "42s", "3m07s", "1h05m": a duration as people read it.
std::string format_duration(double seconds);

// Shows the elapsed time and, once something is done, the time left at the rate so far.
class ProgressBar {
 public:
  ProgressBar(std::string label, std::int64_t total);
  ~ProgressBar();  // ends the line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Shows what is being worked on now, without counting it as done.
  void show(std::string_view detail);
  // Counts `n` more items as done.
  void advance(std::int64_t n = 1);

 private:
  void draw();

  std::string label_, detail_;
  std::int64_t total_, done_ = 0;
  bool enabled_;
  Stopwatch watch_;
};

}  // namespace taskscout
