// Copyright 2026 The sluice Authors.
//
// stats_board.h: what each sluice-serve thread last reported, for /-/stats.
//
// An engine's stats may be read only on its own thread, so every worker
// publishes a snapshot now and then (and right before it answers /-/stats);
// the page shows the latest snapshot of each thread.

#ifndef SLUICE_TOOLS_SERVE_STATS_BOARD_H_
#define SLUICE_TOOLS_SERVE_STATS_BOARD_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/stats.h"

namespace sluice::serve {

struct ThreadSnapshot {
  std::string backend;
  EngineStats engine;
  uint64_t connections_accepted = 0;
  uint64_t connections_open = 0;
  uint64_t requests = 0;
};

class StatsBoard {
 public:
  explicit StatsBoard(size_t threads) : snapshots_(threads) {}

  // Thread-safe.
  void Publish(size_t thread, ThreadSnapshot snapshot);
  // {"threads": [{"thread": 0, "backend": ..., "requests": ...,
  //   "engine": {"transfers_submitted": ..., "completed_by_code":
  //   {"OK": ...}, ...}}, ...]}
  std::string Json() const;

 private:
  // std::mutex rather than absl::Mutex: Debian's abseil is not built for
  // ThreadSanitizer, which then cannot see what absl::Mutex orders, and CI
  // runs sluice-serve under it.
  mutable std::mutex mu_;
  std::vector<ThreadSnapshot> snapshots_;  // guarded by mu_
};

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_STATS_BOARD_H_
