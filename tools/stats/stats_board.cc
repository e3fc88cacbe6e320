// Copyright 2026 The sluice Authors.

#include "stats/stats_board.h"

#include <utility>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace sluice::tools {
namespace {

nlohmann::json EngineJson(const EngineStats& s) {
  nlohmann::json by_code = nlohmann::json::object();
  for (size_t code = 0; code < s.completed_by_code.size(); ++code) {
    if (s.completed_by_code[code] == 0) continue;
    by_code[absl::StatusCodeToString(static_cast<absl::StatusCode>(code))] =
        s.completed_by_code[code];
  }
  return {
      {"transfers_submitted", s.transfers_submitted},
      {"transfers_completed", s.transfers_completed},
      {"completed_by_code", by_code},
      {"fallbacks", s.fallbacks},
      {"file_bytes", s.file_bytes},
      {"header_trailer_bytes", s.header_trailer_bytes},
      {"pushes", s.pushes},
      {"turns", s.turns},
      {"syscalls", s.syscalls},
      {"would_block", s.would_block},
      {"submits", s.submits},
      {"sqes", s.sqes},
      {"cqes", s.cqes},
      {"splices", s.splices},
      {"min_rate_checks", s.min_rate_checks},
      {"min_rate_cuts", s.min_rate_cuts},
      {"rate_waits", s.rate_waits},
      {"paced_transfers", s.paced_transfers},
      {"backend_note", s.backend_note},
  };
}

}  // namespace

void StatsBoard::Publish(size_t thread, ThreadSnapshot snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread < snapshots_.size()) snapshots_[thread] = std::move(snapshot);
}

std::string StatsBoard::Json() const {
  nlohmann::json threads = nlohmann::json::array();
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < snapshots_.size(); ++i) {
    const ThreadSnapshot& s = snapshots_[i];
    nlohmann::json thread = {
        {"thread", i},
        {"backend", s.backend},
        {"engine", EngineJson(s.engine)},
    };
    for (const auto& [name, value] : s.counters) thread[name] = value;
    threads.push_back(std::move(thread));
  }
  return nlohmann::json{{"threads", threads}}.dump(2) + "\n";
}

}  // namespace sluice::tools
