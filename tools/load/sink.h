// Copyright 2026 The sluice Authors.
//
// LoadSink: the receiving side of sluice-load. It accepts connections and
// reads them on worker threads, either discarding (recv with MSG_TRUNC, no
// copy on TCP) or checking every body byte against its frame (--verify).
// When a sender shuts down its side, the sink answers with an Ack of what
// it got on that connection and closes it, so sender and sink reconcile
// byte counts even across processes or hosts.

#ifndef SLUICE_TOOLS_LOAD_SINK_H_
#define SLUICE_TOOLS_LOAD_SINK_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "posix/unique_fd.h"

namespace sluice::load {

using tools::Address;
using tools::Connect;
using tools::Listen;
using tools::ParseAddress;

// What the sink got on one connection; sent back when the sender is done.
struct Ack {
  uint64_t bytes = 0;
  uint64_t frames = 0;
  uint64_t mismatched_bytes = 0;
};

struct SinkTotals {
  uint64_t connections = 0;
  uint64_t bytes = 0;
  uint64_t frames = 0;
  uint64_t mismatched_bytes = 0;
};

class LoadSink {
 public:
  // Listens on `address` (port 0: any) with `threads` reader threads.
  static absl::StatusOr<std::unique_ptr<LoadSink>> Start(Address address,
                                                         int threads,
                                                         bool verify);
  ~LoadSink();
  LoadSink(const LoadSink&) = delete;
  LoadSink& operator=(const LoadSink&) = delete;

  // The bound address (the port filled in).
  const Address& address() const { return address_; }
  // Connections closed so far.
  SinkTotals totals() const;
  // CPU seconds the sink's threads have used.
  double cpu_seconds() const;

 private:
  struct Worker;
  LoadSink(Address address, tools::UniqueFd listener, bool verify);
  void AcceptLoop();

  Address address_;
  tools::UniqueFd listener_;
  const bool verify_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::thread acceptor_;
  mutable std::mutex totals_mutex_;
  SinkTotals totals_;
};

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_SINK_H_
