// Copyright 2026 The sluice Authors.
//
// LoadSink: the receiving side of sluice-load. It accepts connections and
// reads them on worker threads, either discarding (recv with MSG_TRUNC, no
// copy on TCP) or checking every body byte against its frame (--verify).
// When a sender shuts down its side, the sink answers with an Ack of what
// it got on that connection and closes it, so sender and sink reconcile
// byte counts even across processes or hosts.
//
// The sink protocol, per connection:
//   sender -> sink  transfers back to back, each a head (a 64-byte frame,
//                   load/frame.h, when the sender verifies or its heads are
//                   >= 64 bytes; else plain filler) and its body, the bytes
//                   [offset, offset + count) of the object's pattern.
//   sender          shuts down its writing side when it is done (FIN).
//   sink -> sender  on that EOF, and only then, one Ack of kAckBytes: three
//                   little-endian uint64 (bytes received on the connection,
//                   frames parsed, body bytes unlike the pattern), then it
//                   closes. Nothing is sent back before the EOF, and a
//                   connection that fails sends no Ack.
// A sink that never answers (any plain discard server) is for the sender's
// --sink-ack=false, which reports the run unreconciled instead of failed.

#ifndef SLUICE_TOOLS_LOAD_SINK_H_
#define SLUICE_TOOLS_LOAD_SINK_H_

#include <array>
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

// An Ack on the wire: bytes, frames, mismatched_bytes, each a
// little-endian uint64, whatever the host's byte order.
inline constexpr size_t kAckBytes = 24;
std::array<char, kAckBytes> EncodeAck(const Ack& ack);
Ack DecodeAck(const std::array<char, kAckBytes>& wire);

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
