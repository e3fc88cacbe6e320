// Copyright 2026 The sluice Authors.

#include "net/epoll_watch.h"

#include <sys/epoll.h>

#include <cerrno>

#include "absl/strings/str_cat.h"

namespace sluice::tools {
namespace {

absl::Status Control(int epoll_fd, int op, int fd, uint32_t events,
                     uint64_t tag) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_fd, op, fd, &event) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(
        err,
        absl::StrCat(op == EPOLL_CTL_ADD ? "epoll_ctl(ADD)" : "epoll_ctl(MOD)",
                     " on fd ", fd));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Watch(int epoll_fd, int fd, uint32_t events, uint64_t tag) {
  return Control(epoll_fd, EPOLL_CTL_ADD, fd, events, tag);
}

absl::Status Rewatch(int epoll_fd, int fd, uint32_t events, uint64_t tag) {
  return Control(epoll_fd, EPOLL_CTL_MOD, fd, events, tag);
}

}  // namespace sluice::tools
