// Copyright 2026 The sluice Authors.

#include "engine/socket_mode.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "engine/errno_status.h"

namespace sluice::internal {

absl::StatusOr<NonBlockingScope> NonBlockingScope::Enter(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return ErrnoStatus(errno, "fcntl(F_GETFL)", fd);
  if (flags & O_NONBLOCK) return NonBlockingScope(fd, flags, false);
  if (::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return ErrnoStatus(errno, "fcntl(F_SETFL, O_NONBLOCK)", fd);
  }
  return NonBlockingScope(fd, flags, true);
}

NonBlockingScope::NonBlockingScope(NonBlockingScope&& other) noexcept
    : fd_(other.fd_),
      original_flags_(other.original_flags_),
      was_blocking_(std::exchange(other.was_blocking_, false)) {}

void NonBlockingScope::Restore() {
  if (!was_blocking_) return;
  was_blocking_ = false;
  // The socket is borrowed: the host may have closed it already, so a
  // failure here is nobody's to report.
  ::fcntl(fd_, F_SETFL, original_flags_);
}

NotSentLowatScope NotSentLowatScope::Enter(int fd, uint32_t bytes) {
#ifdef TCP_NOTSENT_LOWAT
  int original = 0;
  socklen_t length = sizeof(original);
  // A unix socket refuses the TCP level (EOPNOTSUPP): nothing to set.
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &original, &length) !=
      0) {
    return NotSentLowatScope(fd, 0, false);
  }
  // The kernel takes an int; above INT_MAX it is as good as no limit.
  const int value = static_cast<int>(std::min<uint32_t>(bytes, INT_MAX));
  const bool set = ::setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &value,
                                sizeof(value)) == 0;
  return NotSentLowatScope(fd, original, set);
#else
  (void)bytes;
  return NotSentLowatScope(fd, 0, false);
#endif
}

NotSentLowatScope::NotSentLowatScope(NotSentLowatScope&& other) noexcept
    : fd_(other.fd_),
      original_(other.original_),
      set_(std::exchange(other.set_, false)) {}

void NotSentLowatScope::Restore() {
  if (!set_) return;
  set_ = false;
#ifdef TCP_NOTSENT_LOWAT
  // Borrowed, as in NonBlockingScope::Restore(): a failure is nobody's.
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &original_,
               sizeof(original_));
#endif
}

absl::Status NonBlockingFds::Acquire(int fd) {
  if (const auto it = held_.find(fd); it != held_.end()) {
    ++it->second.transfers;
    return absl::OkStatus();
  }
  absl::StatusOr<NonBlockingScope> scope = NonBlockingScope::Enter(fd);
  ++*syscalls_;
  if (!scope.ok()) return scope.status();
  if (scope->changed()) ++*syscalls_;
  held_.try_emplace(fd, Holder{1, *std::move(scope)});
  return absl::OkStatus();
}

void NonBlockingFds::Release(int fd) {
  const auto it = held_.find(fd);
  if (it == held_.end() || --it->second.transfers > 0) return;
  if (it->second.scope.changed()) ++*syscalls_;
  held_.erase(it);  // the scope restores the flags
}

}  // namespace sluice::internal
