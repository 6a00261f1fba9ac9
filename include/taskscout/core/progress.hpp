#pragma once
// A progress bar on stderr for long work: "label [#####-----] 3/9 detail  12.3s".
// It draws only when stderr is a terminal, so logs, pipes and CI output stay clean.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "taskscout/core/timer.hpp"

namespace taskscout {

// How a long library call reports its work, and how its caller stops it. The call runs in
// phases, each with a name and a total of units; `advance` gets the units done so far in the
// phase and, optionally, what is being worked on now. Any callback may throw to stop the
// call (Cancelled for an interrupt); the call cleans up what it was writing and rethrows.
// Empty callbacks are skipped. Callbacks may come from worker threads, one at a time.
struct Progress {
  std::function<void(const std::string& phase, std::int64_t total)> start;
  std::function<void(std::int64_t done, const std::string& detail)> advance;
  std::function<void()> finish;  // the phase ended, done or not
};

// One phase of a call: start when made, finish when it goes out of scope.
class ProgressPhase {
 public:
  ProgressPhase(const Progress& progress, const std::string& name, std::int64_t total);
  ~ProgressPhase();
  ProgressPhase(const ProgressPhase&) = delete;
  ProgressPhase& operator=(const ProgressPhase&) = delete;
  void advance(std::int64_t done, const std::string& detail = {}) const;

 private:
  const Progress& progress_;
};

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
