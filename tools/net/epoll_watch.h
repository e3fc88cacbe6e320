// Copyright 2026 The sluice Authors.
//
// epoll registrations of a tool's event loop (sluice-serve, sluice-relay):
// each fd is watched with a 64-bit tag, which the loop gets back with its
// events.

#ifndef SLUICE_TOOLS_NET_EPOLL_WATCH_H_
#define SLUICE_TOOLS_NET_EPOLL_WATCH_H_

#include <cstdint>

#include "absl/status/status.h"

namespace sluice::tools {

// Adds `fd` (borrowed) to the epoll set `epoll_fd` for `events`, tagged.
absl::Status Watch(int epoll_fd, int fd, uint32_t events, uint64_t tag);

// Changes the events an fd already in the set is watched for.
absl::Status Rewatch(int epoll_fd, int fd, uint32_t events, uint64_t tag);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_EPOLL_WATCH_H_
