// Copyright 2026 The sluice Authors.

#include "engine/send_queue.h"

#include "engine/sluice_config.h"

#if SLUICE_HAVE_SIOCOUTQ
#include <linux/sockios.h>
#include <sys/ioctl.h>
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

}  // namespace sluice::internal
