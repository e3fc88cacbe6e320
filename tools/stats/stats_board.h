// Copyright 2026 The sluice Authors.
//
// stats_board.h: what each thread of a multi-engine tool last reported
// (sluice-serve's /-/stats page, sluice-relay's --stats output).
//
// An engine's stats may be read only on its own thread, so every worker
// publishes a snapshot of its engine and of the tool's own counters now and
// then; Json() shows the latest snapshot of each thread.
//
//   sluice::tools::StatsBoard board(threads);
//   // on worker thread i:
//   board.Publish(i, {.backend = "iouring", .engine = engine->stats(),
//                     .counters = {{"connections_accepted", accepted}}});
//   // anywhere:
//   std::string json = board.Json();

#ifndef SLUICE_TOOLS_STATS_STATS_BOARD_H_
#define SLUICE_TOOLS_STATS_STATS_BOARD_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sluice/stats.h"

namespace sluice::tools {

struct ThreadSnapshot {
  std::string backend;
  EngineStats engine;
  // The tool's own counters, by name ("connections_accepted", ...).
  std::vector<std::pair<std::string, uint64_t>> counters;
};

class StatsBoard {
 public:
  explicit StatsBoard(size_t threads) : snapshots_(threads) {}

  // Thread-safe.
  void Publish(size_t thread, ThreadSnapshot snapshot);
  // {"threads": [{"thread": 0, "backend": ..., <counters>...,
  //   "engine": {"transfers_submitted": ..., "completed_by_code":
  //   {"OK": ...}, ...}}, ...]}
  std::string Json() const;

 private:
  // std::mutex rather than absl::Mutex: Debian's abseil is not built for
  // ThreadSanitizer, which then cannot see what absl::Mutex orders, and CI
  // runs the tools under it.
  mutable std::mutex mu_;
  std::vector<ThreadSnapshot> snapshots_;  // guarded by mu_
};

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_STATS_STATS_BOARD_H_
