// Copyright 2026 The sluice Authors.

#include "net/stream_reader.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "absl/time/clock.h"

namespace sluice::tools {

bool IsTcpSocket(int fd) {
  int domain = 0;
  socklen_t size = sizeof(domain);
  return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0 &&
         (domain == AF_INET || domain == AF_INET6);
}

ReceiveResult ReceiveSome(int fd, absl::Span<char> buffer, Keep keep) {
  const int flags = MSG_DONTWAIT | (keep == Keep::kBytes ? 0 : MSG_TRUNC);
  // TCP with MSG_TRUNC never touches the buffer (tcp_recvmsg skips the
  // copy), but the kernel still checks that the range it names is user
  // memory: never ask for more than the buffer holds.
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
  std::vector<Keep> keeps;
  for (size_t i = 0; i < fds.size(); ++i) {
    open.push_back(pollfd{fds[i], POLLIN, 0});
    index.push_back(i);
    keeps.push_back(
        keep == Keep::kCount && IsTcpSocket(fds[i]) ? Keep::kCountTcp : keep);
  }
  std::vector<char> buffer(256 * 1024);
  while (!open.empty()) {
    const absl::Time now = absl::Now();
    if (now >= deadline) return;
    // Short waits, so the deadline is noticed on a quiet set.
    const int timeout_ms = static_cast<int>(
        std::clamp<int64_t>(absl::ToInt64Milliseconds(deadline - now), 1, 100));
    if (::poll(open.data(), open.size(), timeout_ms) <= 0) continue;
    for (size_t i = 0; i < open.size();) {
      if (open[i].revents == 0) {
        ++i;
        continue;
      }
      open[i].revents = 0;
      const ReceiveResult r =
          ReceiveSome(open[i].fd, absl::MakeSpan(buffer), keeps[i]);
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
      keeps[i] = keeps.back();
      keeps.pop_back();
    }
  }
}

}  // namespace sluice::tools
