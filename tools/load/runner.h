// Copyright 2026 The sluice Authors.
//
// One round of sluice-load: one backend, N connections split over T
// threads (one Engine each), every connection kept busy with transfers
// until the time or the transfer budget is spent; then each connection is
// shut down, the sink's Ack read back, and the byte counts reconciled
// (unless the sink sends no Ack: RoundConfig::sink_ack).

#ifndef SLUICE_TOOLS_LOAD_RUNNER_H_
#define SLUICE_TOOLS_LOAD_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "load/sink.h"
#include "load/workload.h"
#include "net/address.h"
#include "sluice/engine.h"

namespace sluice::load {

using tools::Address;
using tools::Connect;
using tools::Listen;
using tools::ParseAddress;

struct RoundConfig {
  // The backend and its options. With traffic_classes, each thread's k-th
  // connection belongs to class k % K (so every engine serves every class)
  // and every transfer on it names that class.
  EngineOptions engine;
  Address target;
  int connections = 1;
  int threads = 1;
  const ObjectSet* objects = nullptr;
  OffsetMode offset_mode = OffsetMode::kWhole;
  size_t header_bytes = 0;
  // Heads carry frames, so a verifying sink can check bodies.
  bool framed = false;
  absl::Duration duration = absl::Seconds(10);
  // Stop after this many transfers instead (0: by duration).
  uint64_t transfers = 0;
  uint64_t seed = 1;
  // This share of transfers evicts its slice from the page cache
  // (POSIX_FADV_DONTNEED) right before it is sent.
  double cold_fraction = 0;
  // Subtracted from the process's CPU to get the sender's; may be null.
  const LoadSink* local_sink = nullptr;
  // Whether the sink answers each connection's end with an Ack (sink.h).
  // false: a sink that is not sluice-load's; the round is unreconciled.
  bool sink_ack = true;
  // Register every connection's socket and object's fd with each engine
  // (Engine::RegisterFd) for the round.
  bool register_fds = true;
  // Every transfer's TransferSpec::max_rate.
  std::optional<MaxRate> max_rate;
};

enum class Reconciliation {
  // The sink acknowledged exactly the bytes sent, none of them wrong.
  kReconciled,
  // An Ack never came, or its bytes differ from those sent, or the sink saw
  // wrong bytes.
  kFailed,
  // The sink sends no Ack (sink_ack false): nothing to check against.
  kUnreconciled,
};
// "reconciled", "failed", "unreconciled".
const char* ReconciliationName(Reconciliation r);

// Counters the progress line reads while a round runs.
struct Progress {
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> transfers{0};
  std::atomic<uint64_t> errors{0};
};

// One of EngineOptions::traffic_classes in a round.
struct ClassResult {
  std::string name;
  uint32_t weight = 0;
  // Everything written to its connections (heads included, transfers that
  // failed too), and its transfers that ended OK.
  uint64_t bytes = 0;
  uint64_t transfers = 0;
};

struct RoundResult {
  BackendKind backend = BackendKind::kAuto;
  // Everything written to sockets (heads included), and file bytes alone.
  uint64_t bytes = 0;
  uint64_t file_bytes = 0;
  uint64_t transfers = 0;
  double seconds = 0;
  // The sender's CPU: the process (io-wq workers included) less a local
  // sink's threads.
  double cpu_seconds = 0;
  // Submit() to callback of the transfers that ended OK, from a
  // LatencyHistogram: within 1/256 (0.4 %) of the exact percentiles.
  double latency_p50_us = 0;
  double latency_p99_us = 0;
  double latency_p999_us = 0;
  // Transfers that evicted their slice first (--cold), apart: how many, their
  // latency, the file bytes the engine read cold, and the longest any
  // engine thread spent in one data call (its stall meter).
  uint64_t cold_transfers = 0;
  double cold_latency_p50_us = 0;
  double cold_latency_p99_us = 0;
  uint64_t cold_bytes = 0;
  uint64_t longest_call_ns = 0;
  // System calls (io_uring_enter included) the engines made, io_uring
  // submits and the SQEs they carried.
  uint64_t syscalls = 0;
  uint64_t submits = 0;
  uint64_t sqes = 0;
  // Per traffic class, in EngineOptions::traffic_classes' order (empty
  // without classes).
  std::vector<ClassResult> classes;
  // With RoundConfig::max_rate: the ceiling, and the rate each transfer
  // that ended OK delivered, its file bytes over the time from Submit() to
  // the callback (after_bytes at full speed included), as percentiles over
  // transfers from a LatencyHistogram of bytes/s (within 0.4 %).
  std::optional<MaxRate> max_rate;
  uint64_t rate_samples = 0;
  double rate_p10_bytes_per_s = 0;
  double rate_p50_bytes_per_s = 0;
  double rate_p90_bytes_per_s = 0;
  // EngineStats: waits for a spent rate budget, TCP sockets the kernel
  // paced.
  uint64_t rate_waits = 0;
  uint64_t paced_transfers = 0;
  std::map<std::string, uint64_t> errors;
  // What the sink acknowledged over all connections, and on how many of
  // them no Ack came (with sink_ack).
  Ack acked;
  uint64_t missing_acks = 0;
  Reconciliation reconciliation = Reconciliation::kFailed;

  double gib() const { return static_cast<double>(bytes) / (1 << 30); }
  double gib_per_s() const { return seconds > 0 ? gib() / seconds : 0; }
  double transfers_per_s() const {
    return seconds > 0 ? static_cast<double>(transfers) / seconds : 0;
  }
  double cpu_s_per_gib() const { return gib() > 0 ? cpu_seconds / gib() : 0; }
};

absl::StatusOr<RoundResult> RunRound(const RoundConfig& config,
                                     Progress& progress);

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_RUNNER_H_
