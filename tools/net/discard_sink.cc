// Copyright 2026 The sluice Authors.

#include "net/discard_sink.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "net/stream_reader.h"
#include "process/cpu_time.h"

namespace sluice::tools {

DiscardSink::DiscardSink(std::vector<int> fds, int threads) {
  threads = std::max(1, threads);
  std::vector<std::vector<int>> shares(threads);
  for (size_t i = 0; i < fds.size(); ++i) shares[i % threads].push_back(fds[i]);
  for (std::vector<int>& share : shares) {
    threads_.emplace_back([this, share = std::move(share)] { Drain(share); });
  }
}

void DiscardSink::Drain(const std::vector<int>& fds) {
  ReadStreams(
      fds, Keep::kCount, absl::InfiniteFuture(),
      [this](size_t, const char*, size_t size) {
        received_.fetch_add(size, std::memory_order_relaxed);
      },
      [](size_t, bool) {});
  cpu_micros_.fetch_add(static_cast<int64_t>(ThreadCpuSeconds() * 1e6));
}

DiscardSink::~DiscardSink() { Join(); }

uint64_t DiscardSink::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  cpu_seconds_ = static_cast<double>(cpu_micros_.load()) / 1e6;
  return received();
}

}  // namespace sluice::tools
