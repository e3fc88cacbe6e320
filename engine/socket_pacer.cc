// Copyright 2026 The sluice Authors.

#include "engine/socket_pacer.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace sluice::internal {

std::optional<uint64_t> KernelSocketPacer::Pace(int socket_fd,
                                                uint64_t bytes_per_second) {
#if defined(SO_MAX_PACING_RATE) && defined(SO_PROTOCOL)
  int protocol = 0;
  socklen_t length = sizeof(protocol);
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &length) !=
          0 ||
      protocol != IPPROTO_TCP) {
    return std::nullopt;
  }
  // 64-bit values since Linux 4.20. An older kernel answers a get with the
  // 32-bit form (~0U: no limit), and takes from a set the option's first
  // four bytes: on little-endian machines the low half, which is the rate
  // below 4 GiB/s, and ~0U (no limit) for UINT64_MAX.
  uint64_t own = 0;
  length = sizeof(own);
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_MAX_PACING_RATE, &own, &length) !=
      0) {
    return std::nullopt;
  }
  uint64_t rate = bytes_per_second;
  if (length == sizeof(uint32_t)) {
    uint32_t low = 0;
    std::memcpy(&low, &own, sizeof(low));
    own = low == UINT32_MAX ? UINT64_MAX : low;
    // Such a kernel would read a rate of 4 GiB/s or more by its low half
    // (2^32 as 0): give it ~0U, no limit, which that rate all but is.
    rate = std::min<uint64_t>(rate, UINT32_MAX);
  }
  if (::setsockopt(socket_fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
                   sizeof(rate)) != 0) {
    return std::nullopt;
  }
  return own;
#else
  (void)socket_fd;
  (void)bytes_per_second;
  return std::nullopt;
#endif
}

void KernelSocketPacer::Restore(int socket_fd, uint64_t own_rate) {
#ifdef SO_MAX_PACING_RATE
  // Borrowed, as in NonBlockingScope::Restore(): a failure is nobody's.
  ::setsockopt(socket_fd, SOL_SOCKET, SO_MAX_PACING_RATE, &own_rate,
               sizeof(own_rate));
#else
  (void)socket_fd;
  (void)own_rate;
#endif
}

}  // namespace sluice::internal
