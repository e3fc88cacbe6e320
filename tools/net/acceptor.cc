// Copyright 2026 The sluice Authors.

#include "net/acceptor.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/epoll_watch.h"

namespace sluice::tools {

absl::StatusOr<std::unique_ptr<Acceptor>> Acceptor::Create(UniqueFd listener,
                                                           int epoll_fd,
                                                           uint64_t tag) {
  // accept4() runs until EAGAIN.
  const int fd = listener.get();
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(
        err, absl::StrCat("fcntl(O_NONBLOCK) on listener fd ", fd));
  }
  if (absl::Status watched = Watch(epoll_fd, fd, EPOLLIN, tag); !watched.ok()) {
    return watched;
  }
  return std::unique_ptr<Acceptor>(
      new Acceptor(std::move(listener), epoll_fd, tag));
}

Acceptor::Acceptor(UniqueFd listener, int epoll_fd, uint64_t tag)
    : listener_(std::move(listener)), epoll_fd_(epoll_fd), tag_(tag) {}

void Acceptor::Accept(absl::Time now,
                      absl::FunctionRef<void(UniqueFd)> accepted) {
  for (int i = 0; i < 256; ++i) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr,
                          SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) Pause(now);  // out of fds or memory
      return;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    accepted(std::move(fd));
  }
}

// The listener is level-triggered: while accept4() fails for want of fds,
// it would report readable forever. It leaves the epoll set for a moment
// instead, and the backlog waits for connections to close.
void Acceptor::Pause(absl::Time now) {
  if (paused_until_ != absl::InfiniteFuture()) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listener_.get(), nullptr);
  paused_until_ = now + absl::Milliseconds(100);
}

void Acceptor::Resume(absl::Time now) {
  if (paused_until_ == absl::InfiniteFuture() || now < paused_until_) return;
  paused_until_ = absl::InfiniteFuture();
  if (!Watch(epoll_fd_, listener_.get(), EPOLLIN, tag_).ok()) Pause(now);
}

}  // namespace sluice::tools
