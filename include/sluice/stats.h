// Copyright 2026 The sluice Authors.
//
// stats.h: counters an engine keeps since it was created.
//
// Every counter only grows. Read them with Engine::stats() on the engine's
// thread; subtract two snapshots to get the figures of an interval:
//
//   sluice::EngineStats before = engine->stats();
//   ... run ...
//   sluice::EngineStats after = engine->stats();
//   double syscalls_per_transfer =
//       double(after.syscalls - before.syscalls) /
//       double(after.transfers_completed - before.transfers_completed);

#ifndef SLUICE_STATS_H_
#define SLUICE_STATS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace sluice {

struct EngineStats {
  // Transfers accepted by Submit(), and those whose callback has run.
  uint64_t transfers_submitted = 0;
  uint64_t transfers_completed = 0;
  // Completed transfers by final status code, indexed by absl::StatusCode
  // (kOk included).
  std::array<uint64_t, 17> completed_by_code{};
  // Transfers that fell back to read+send because their source could not be
  // sent zero-copy.
  uint64_t fallbacks = 0;

  // Bytes the sockets accepted: file bytes, and header plus trailer bytes.
  uint64_t file_bytes = 0;
  uint64_t header_trailer_bytes = 0;

  // Backend pushes ("send up to N bytes of transfer T") and the scheduler
  // turns (Poll rounds) they were batched into.
  uint64_t pushes = 0;
  uint64_t turns = 0;
  // System calls the backend made (reads, writes, sendfile, epoll, submit).
  uint64_t syscalls = 0;
  // System calls Submit() made to check the fds (fstat, fcntl, getsockopt)
  // and to make them non-blocking and back: 4 per transfer whose socket
  // the host keeps non-blocking (6 with a blocking one: its flags set and
  // put back), none on registered fds (Engine::RegisterFd(); 2 for a
  // registered regular file sent without a count: its size).
  uint64_t submit_syscalls = 0;
  // Times a transfer found its socket full and waited for writability.
  uint64_t would_block = 0;
  // io_uring only: submit calls, the SQEs and CQEs they carried, and the
  // file -> pipe -> socket splice steps among them.
  uint64_t submits = 0;
  uint64_t sqes = 0;
  uint64_t cqes = 0;
  uint64_t splices = 0;

  // Cold reads (see EngineOptions::cold_reads): residency questions asked
  // of the kernel (cachestat), pushes whose range was not in the page
  // cache and so was read off the engine thread, and their file bytes.
  uint64_t residency_probes = 0;
  uint64_t cold_pushes = 0;
  uint64_t cold_bytes = 0;
  // The longest the engine thread spent inside one data call (a sendfile,
  // read or send loop, or a submit), in nanoseconds: a stall meter. Every
  // other counter only grows; so does this maximum.
  uint64_t longest_call_ns = 0;

  // Idle timeouts: send queues sampled on the way to one (half-way, then at
  // the timeout), and times a transfer was kept alive because its peer had
  // taken bytes off the send queue although the socket accepted none.
  uint64_t send_queue_checks = 0;
  uint64_t peer_progress = 0;

  // Minimum rates (TransferSpec::min_rate): windows judged, and transfers
  // ended because their peer took less than the floor in one.
  uint64_t min_rate_checks = 0;
  uint64_t min_rate_cuts = 0;

  // Maximum rates (TransferSpec::max_rate): times a transfer that had spent
  // its bytes waited for more, and transfers whose TCP socket the kernel
  // paced (SO_MAX_PACING_RATE set, and put back at the end).
  uint64_t rate_waits = 0;
  uint64_t paced_transfers = 0;
  // Turns in which the engine's own ceiling (EngineOptions::max_rate) held
  // every runnable transfer back.
  uint64_t engine_rate_waits = 0;

  // Delivered bytes (TransferSpec::report_delivery): calls made to ask the
  // kernel (TCP_INFO, SIOCOUTQ), outside `syscalls`, which counts the
  // backend's. Zero while no transfer asks.
  uint64_t delivery_probes = 0;

  // Why a kAuto engine did not take a better backend ("" when it did).
  std::string backend_note;

  uint64_t completed_with(absl::StatusCode code) const {
    const auto i = static_cast<size_t>(code);
    return i < completed_by_code.size() ? completed_by_code[i] : 0;
  }
};

}  // namespace sluice

#endif  // SLUICE_STATS_H_
