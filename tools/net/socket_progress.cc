// Copyright 2026 The sluice Authors.

#include "net/socket_progress.h"

// The kernel's header, not glibc's <netinet/tcp.h>: glibc's struct tcp_info
// stops before the byte counters (Debian 12, glibc 2.36).
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace sluice::tools {

std::optional<uint64_t> SocketProgress(int fd) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
    return std::nullopt;  // EOPNOTSUPP on a unix socket
  }
  // A kernel older than the counters returns a shorter struct.
  if (length < offsetof(tcp_info, tcpi_bytes_received) +
                   sizeof(info.tcpi_bytes_received)) {
    return std::nullopt;
  }
  return info.tcpi_bytes_acked + info.tcpi_bytes_received;
}

}  // namespace sluice::tools
