// Copyright 2026 The sluice Authors.

#include "net/stream_reader.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/time/clock.h"

namespace sluice::tools {

ReceiveResult ReceiveSome(int fd, absl::Span<char> buffer, Keep keep) {
  const int flags = MSG_DONTWAIT | (keep == Keep::kCount ? MSG_TRUNC : 0);
  while (true) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), flags);
    if (n > 0) {
      return {ReceiveResult::Kind::kData, static_cast<size_t>(n)};
    }
    if (n == 0) return {ReceiveResult::Kind::kEof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return {ReceiveResult::Kind::kWouldBlock};
    }
    return {ReceiveResult::Kind::kError};
  }
}

void ReadStreams(absl::Span<const int> fds, Keep keep, absl::Time deadline,
                 absl::FunctionRef<void(size_t, const char*, size_t)> got,
                 absl::FunctionRef<void(size_t, bool)> ended) {
  std::vector<pollfd> open;
  std::vector<size_t> index;
  for (size_t i = 0; i < fds.size(); ++i) {
    open.push_back(pollfd{fds[i], POLLIN, 0});
    index.push_back(i);
  }
  std::vector<char> buffer(256 * 1024);
  while (!open.empty()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return;
    // Short waits, so the deadline is noticed on a quiet set.
    const int timeout_ms = static_cast<int>(std::clamp<int64_t>(
        absl::ToInt64Milliseconds(deadline - now), 1, 100));
    if (::poll(open.data(), open.size(), timeout_ms) <= 0) continue;
    for (size_t i = 0; i < open.size();) {
      if (open[i].revents == 0) {
        ++i;
        continue;
      }
      open[i].revents = 0;
      const ReceiveResult r = ReceiveSome(open[i].fd, absl::MakeSpan(buffer), keep);
      if (r.kind == ReceiveResult::Kind::kData ||
          r.kind == ReceiveResult::Kind::kWouldBlock) {
        if (r.kind == ReceiveResult::Kind::kData) {
          got(index[i], keep == Keep::kBytes ? buffer.data() : nullptr,
              r.bytes);
        }
        ++i;
        continue;
      }
      ended(index[i], r.kind == ReceiveResult::Kind::kEof);
      open[i] = open.back();
      open.pop_back();
      index[i] = index.back();
      index.pop_back();
    }
  }
}

}  // namespace sluice::tools
