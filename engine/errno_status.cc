// Copyright 2026 The sluice Authors.

#include "engine/errno_status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace sluice::internal {
namespace {

absl::StatusCode CodeFor(int err) {
  return IsPeerGone(err) ? absl::StatusCode::kUnavailable
                         : absl::ErrnoToStatusCode(err);
}

}  // namespace

bool IsPeerGone(int err) {
  switch (err) {
    case EPIPE:
    case ECONNRESET:
    case ECONNABORTED:
    case ENOTCONN:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETRESET:
      return true;
    default:
      return false;
  }
}

absl::Status ErrnoStatus(int err, absl::string_view op, int fd,
                         uint64_t offset) {
  return absl::Status(CodeFor(err),
                      absl::StrFormat("%s on fd %d at offset %u: %s (errno %d)",
                                      op, fd, offset, std::strerror(err), err));
}

absl::Status ErrnoStatus(int err, absl::string_view op, int fd) {
  return absl::Status(CodeFor(err),
                      absl::StrFormat("%s on fd %d: %s (errno %d)", op, fd,
                                      std::strerror(err), err));
}

}  // namespace sluice::internal
