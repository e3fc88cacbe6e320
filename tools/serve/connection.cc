// Copyright 2026 The sluice Authors.

#include "serve/connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "net/epoll_watch.h"

namespace sluice::serve {

using tools::Rewatch;

Connection::Connection(uint64_t id, tools::UniqueFd fd, absl::Time now)
    : id(id), fd(std::move(fd)), head_started(now) {}

void Connection::OnEvents(uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) hung_up = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) writable = true;
}

Io Connection::Flush(int epoll_fd, absl::Time now) {
  while (out_sent < out.size()) {
    if (!writable) {
      if (state != State::kWriteBlocked) {
        if (!Rewatch(epoll_fd, fd.get(), kConnectionEvents | EPOLLOUT, id)
                 .ok()) {
          return Io::kFailed;
        }
        state = State::kWriteBlocked;
      }
      return Io::kBlocked;
    }
    const ssize_t n = ::send(fd.get(), out.data() + out_sent,
                             out.size() - out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      out_sent += static_cast<size_t>(n);
      last_progress = now;
    } else if (n < 0 && errno == EAGAIN) {
      writable = false;
    } else if (n < 0 && errno != EINTR) {
      return Io::kFailed;
    }
  }
  if (state == State::kWriteBlocked) {
    if (!Rewatch(epoll_fd, fd.get(), kConnectionEvents, id).ok()) {
      return Io::kFailed;
    }
    state = State::kWriting;
  }
  return Io::kDone;
}

Io Connection::ReadMore(absl::Span<char> scratch, absl::Time now) {
  const ssize_t n = ::recv(fd.get(), scratch.data(), scratch.size(), 0);
  if (n > 0) {
    if (in.empty()) head_started = now;
    in.append(scratch.data(), static_cast<size_t>(n));
    // A short read emptied the socket; with edge-triggered epoll the next
    // bytes bring a new event, so no recv() just to hear EAGAIN. Not after
    // a hangup: its EOF was reported with the bytes and will not be again.
    if (static_cast<size_t>(n) < scratch.size() && !hung_up) readable = false;
    return Io::kDone;
  }
  if (n == 0) return Io::kEof;
  if (errno == EINTR) return Io::kDone;
  if (errno == EAGAIN) {
    readable = false;
    return Io::kBlocked;
  }
  return Io::kFailed;
}

}  // namespace sluice::serve
