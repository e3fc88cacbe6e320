// Copyright 2026 The sluice Authors.
//
// Loopback plumbing shared by the tools and benchmarks: connected TCP pairs
// on 127.0.0.1, and a sink thread that discards what it receives as cheaply
// as the kernel allows (recv with MSG_TRUNC skips the copy on TCP), so what
// is measured is the sender.

#ifndef SLUICE_TOOLS_LOOPBACK_LOOPBACK_H_
#define SLUICE_TOOLS_LOOPBACK_LOOPBACK_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"

namespace sluice::tools {

// One connection: the engine writes `sender`, the sink reads `receiver`.
// Both fds are owned by the Connections that made them.
struct Connection {
  int sender = -1;
  int receiver = -1;
};

class Connections {
 public:
  // `count` connected TCP pairs over 127.0.0.1.
  static absl::StatusOr<Connections> Open(int count);
  Connections(Connections&&) noexcept;
  Connections& operator=(Connections&&) = delete;
  ~Connections();

  std::vector<Connection>& all() { return connections_; }
  std::vector<int> receivers() const;

 private:
  Connections() = default;
  std::vector<Connection> connections_;
};

// Discards everything on `fds` on `threads` threads of its own (each
// taking every threads-th fd) until each fd reaches EOF.
class Sink {
 public:
  explicit Sink(std::vector<int> fds, int threads = 1);
  ~Sink();
  // Waits for every fd's EOF and returns the bytes received.
  uint64_t Join();
  // Bytes received so far.
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // CPU seconds the sink's threads used; valid after Join(). Subtract it
  // from ProcessCpuSeconds() to get what the sender (and the kernel threads
  // it drives, such as io-wq workers) cost.
  double cpu_seconds() const { return cpu_seconds_; }

 private:
  void Drain(std::vector<int> fds);

  std::atomic<uint64_t> received_{0};
  std::atomic<int64_t> cpu_micros_{0};
  double cpu_seconds_ = 0;
  std::vector<std::thread> threads_;
};

// A file of `size` bytes in /tmp, already unlinked, its pages cached.
absl::StatusOr<int> MakeCachedFile(uint64_t size);

// Parses "16KiB", "4MiB", "1GiB", "512B" or plain bytes.
bool ParseByteSize(std::string text, uint64_t& bytes);

// Raises RLIMIT_NOFILE's soft limit to at least `want` (up to the hard
// limit); returns the soft limit now in force.
uint64_t RaiseFdLimit(uint64_t want);

// CPU seconds the calling thread has used.
double ThreadCpuSeconds();
// CPU seconds every thread of this process has used, io-wq workers included.
double ProcessCpuSeconds();

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_LOOPBACK_LOOPBACK_H_
