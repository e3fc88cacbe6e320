// Copyright 2026 The sluice Authors.
//
// The one place where an errno becomes an absl::Status.

#ifndef SLUICE_ENGINE_ERRNO_STATUS_H_
#define SLUICE_ENGINE_ERRNO_STATUS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sluice::internal {

// "<op> on fd <fd> at offset <offset>: <strerror> (errno <err>)", with the
// most specific code: peer-gone errors (EPIPE, ECONNRESET, ...) are
// Unavailable; the rest follow absl::ErrnoToStatusCode().
absl::Status ErrnoStatus(int err, absl::string_view op, int fd,
                         uint64_t offset);
// The same without an offset, for calls that have none (fcntl, epoll_ctl).
absl::Status ErrnoStatus(int err, absl::string_view op, int fd);

// True for errors that mean the peer closed or reset the connection.
bool IsPeerGone(int err);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_ERRNO_STATUS_H_
