// Copyright 2026 The sluice Authors.
//
// The soak (sluice-load --soak): many transfers of mixed sizes on one
// backend, some of them cancelled, given a deadline, or reset by the
// receiving peer, with every received byte checked against its pattern and
// every outcome checked against the fault that was injected. It reports
// transfers by fault and status, bytes verified, and the process's RSS and
// open fds as it goes, and counts every anomaly: a wrong byte, a status the
// fault does not explain, a byte count the receiver does not confirm, fds
// left open at the end, RSS growing after warm-up.
//
//   SoakConfig config;  ... backend, transport, objects, fractions ...
//   absl::StatusOr<SoakResult> result = RunSoak(config, stdout);
//   PrintSoak(stdout, *result);
//   return result->anomalies == 0 ? 0 : 1;
//
// How faults are injected, so that every outcome can be checked exactly:
//   - A transfer is drawn a fault: none, cancel, deadline or reset, by the
//     configured fractions. A connection whose transfer had a fault is
//     closed after it (its stream may be cut mid-body, as an HTTP server
//     must close a connection whose response it abandoned) and replaced
//     by a fresh one; the others carry transfers back to back.
//   - cancel: Engine::Cancel() at a random time in [0, fault_window) after
//     Submit() (an eighth of them right after Submit()). Accepted, the
//     transfer must end Cancelled; refused (it had already ended), OK.
//   - deadline: TransferSpec::deadline at a random time in [0,
//     fault_window) after Submit(); DeadlineExceeded, or OK if it finished.
//   - reset: the receiver, told the plan before the transfer starts, reads
//     K bytes of it (K random within head + body), then closes with
//     SO_LINGER 0 (an RST on TCP; on a unix socket, closing with unread
//     data, which the sender sees as ECONNRESET or EPIPE). The transfer
//     must end Unavailable, or OK if the socket had accepted every byte
//     before the reset.
// Whatever the status, bytes_sent <= count, next_offset = offset +
// bytes_sent, and, on every connection the receiver did not reset, the
// receiver must have got exactly the bytes the sender's results say the
// socket accepted (so a cancelled or timed-out transfer's bytes_sent is
// exact), its body bytes all equal to the pattern; on a reset connection
// the receiver got no more than that. Transfers without a fault must end
// OK with every byte sent.

#ifndef SLUICE_TOOLS_LOAD_SOAK_H_
#define SLUICE_TOOLS_LOAD_SOAK_H_

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "load/workload.h"
#include "nlohmann/json.hpp"
#include "process/usage.h"
#include "sluice/engine.h"

namespace sluice::load {

enum class Fault { kNone, kCancel, kDeadline, kReset };
inline constexpr int kFaultKinds = 4;
// "none", "cancel", "deadline", "reset".
const char* FaultName(Fault fault);

struct SoakConfig {
  EngineOptions engine;  // the backend and its options
  // "tcp" (127.0.0.1) or "unix".
  std::string transport = "tcp";
  int connections = 64;
  // Sender threads, one engine each, and receiver threads.
  int threads = 1;
  int receiver_threads = 1;
  const ObjectSet* objects = nullptr;  // generated: bytes are a pattern
  OffsetMode offset_mode = OffsetMode::kWhole;
  // Each head: a frame, padded to this many bytes (at least kFrameBytes).
  size_t header_bytes = 64;
  // Transfers to run (all threads together).
  uint64_t transfers = 1'000'000;
  uint64_t seed = 1;
  // Shares of transfers with each fault; their sum is at most 1.
  double cancel_fraction = 0.05;
  double deadline_fraction = 0.05;
  double reset_fraction = 0.05;
  // Cancels and deadlines fall uniformly in [0, fault_window) after
  // Submit().
  absl::Duration fault_window = absl::Milliseconds(1);
  // Every transfer's idle timeout (a stuck transfer ends, as an anomaly).
  absl::Duration idle_timeout = absl::Seconds(30);
  // The most RSS may grow from the warm-up sample (after a tenth of the
  // transfers) to the end.
  uint64_t rss_growth_limit = 4 << 20;
};

// The process's usage at one point of the run.
struct SoakSample {
  // start; 10%, 20%, ... 90% of the transfers ended (10% is the warm-up
  // mark, 50% the middle); end (the last transfer ended); closed (engines,
  // connections and threads gone).
  std::string label;
  uint64_t transfers = 0;  // transfers ended by then
  double seconds = 0;      // since the start
  tools::Usage usage;
};

struct SoakResult {
  BackendKind backend = BackendKind::kAuto;
  std::string transport;
  int connections = 0;
  int threads = 0;
  uint64_t transfers = 0;  // ended (their callback ran)
  double seconds = 0;
  // outcomes[fault][status code]: transfers ended with that status.
  std::array<std::array<uint64_t, 17>, kFaultKinds> outcomes{};
  // Cancel() calls that the engine accepted, and those it refused because
  // the transfer's result was already decided.
  uint64_t cancels_accepted = 0;
  uint64_t cancels_refused = 0;
  // Connections opened over the run, and those the receiver reset.
  uint64_t connections_opened = 0;
  uint64_t connections_reset = 0;
  // Bytes the sockets accepted (heads included), bytes the receiver read,
  // body bytes it compared with the pattern, and those that differed.
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_verified = 0;
  uint64_t mismatched_bytes = 0;
  // The most any engine thread spent in one data call.
  uint64_t longest_call_ns = 0;
  std::vector<SoakSample> samples;
  uint64_t rss_growth_limit = 0;
  // false in a build with AddressSanitizer or ThreadSanitizer, whose
  // bookkeeping makes RSS grow.
  bool rss_checked = true;
  uint64_t anomalies = 0;
  // The first anomalies, described.
  std::vector<std::string> anomaly_examples;
};

// Runs one soak. Progress lines (each usage sample as it is taken) go to
// `progress` if it is not null. An error means the soak could not run (no
// listener, an engine that failed to start); what went wrong inside a run
// is an anomaly.
absl::StatusOr<SoakResult> RunSoak(const SoakConfig& config,
                                   std::FILE* progress);

// The outcome table, bytes, usage samples and anomalies.
void PrintSoak(std::FILE* out, const SoakResult& result);
nlohmann::json SoakJson(const SoakResult& result);

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_SOAK_H_
