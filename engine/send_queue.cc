// Copyright 2026 The sluice Authors.

#include "engine/send_queue.h"

#include "engine/sluice_config.h"

#if SLUICE_HAVE_SIOCOUTQ
#include <linux/sockios.h>
#include <sys/ioctl.h>
#endif

#if SLUICE_HAVE_TCP_INFO_NOTSENT
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#endif

namespace sluice::internal {

std::optional<uint64_t> KernelSendQueue::Queued(int socket_fd) {
#if SLUICE_HAVE_SIOCOUTQ
  // TCP: bytes not yet acknowledged (sent or not); unix stream sockets:
  // bytes the peer has not read (Linux 2.6.x and later for both).
  int queued = 0;
  if (::ioctl(socket_fd, SIOCOUTQ, &queued) == 0 && queued >= 0) {
    return static_cast<uint64_t>(queued);
  }
#else
  (void)socket_fd;
#endif
  return std::nullopt;
}

TcpSendState KernelSendQueue::Tcp(int socket_fd) {
  TcpSendState state;
#if SLUICE_HAVE_TCP_INFO_NOTSENT
  // Linux's struct, not glibc's (which stops before these fields). An
  // older kernel copies a shorter struct and says how much: a field past
  // the end stays unknown. A unix socket refuses (EOPNOTSUPP).
  struct tcp_info info = {};
  socklen_t length = sizeof(info);
  if (::getsockopt(socket_fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0) {
    return state;
  }
  auto has = [length](size_t end) { return length >= end; };
  if (has(offsetof(struct tcp_info, tcpi_bytes_acked) +
          sizeof(info.tcpi_bytes_acked))) {
    state.bytes_acked = info.tcpi_bytes_acked;
  }
  if (has(offsetof(struct tcp_info, tcpi_notsent_bytes) +
          sizeof(info.tcpi_notsent_bytes))) {
    state.not_sent = info.tcpi_notsent_bytes;
  }
#else
  (void)socket_fd;
#endif
  return state;
}

}  // namespace sluice::internal
