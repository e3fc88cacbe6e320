// Copyright 2026 The sluice Authors.
//
// DiscardSink: the receiving side of an in-process measurement. Threads of
// its own read the receiving ends of connections and drop what arrives as
// cheaply as the kernel allows (recv with MSG_TRUNC skips the copy on TCP),
// so what is measured is the sender.
//
//   sluice::tools::DiscardSink sink(sluice::tools::Receivers(pairs), 2);
//   ... send, then shut down every sender ...
//   const uint64_t received = sink.Join();
//   const double sender_cpu = cpu_used - sink.cpu_seconds();

#ifndef SLUICE_TOOLS_NET_DISCARD_SINK_H_
#define SLUICE_TOOLS_NET_DISCARD_SINK_H_

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace sluice::tools {

class DiscardSink {
 public:
  // Reads `fds` (borrowed stream sockets) on `threads` threads (each taking
  // every threads-th fd) until each fd reaches EOF.
  explicit DiscardSink(std::vector<int> fds, int threads = 1);
  ~DiscardSink();
  DiscardSink(const DiscardSink&) = delete;
  DiscardSink& operator=(const DiscardSink&) = delete;

  // Waits for every fd's EOF and returns the bytes received.
  uint64_t Join();
  // Bytes received so far.
  uint64_t received() const {
    return received_.load(std::memory_order_relaxed);
  }
  // CPU seconds the sink's threads used; valid after Join(). Subtract it
  // from ProcessCpuSeconds() to get what the sender (and the kernel threads
  // it drives, such as io-wq workers) cost.
  double cpu_seconds() const { return cpu_seconds_; }

 private:
  void Drain(const std::vector<int>& fds);

  std::atomic<uint64_t> received_{0};
  std::atomic<int64_t> cpu_micros_{0};
  double cpu_seconds_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_DISCARD_SINK_H_
