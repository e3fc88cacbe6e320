// Copyright 2026 The sluice Authors.

#include "engine/transfer_plan.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "engine/errno_status.h"

namespace sluice::internal {
namespace {

constexpr uint64_t kMaxOffset = std::numeric_limits<int64_t>::max();

// An O_PATH fd (Linux 2.6.39+) passes fstat() and its access mode reads as
// O_RDONLY, but every read of it fails with EBADF.
bool IsPathOnly(int file_flags) {
#ifdef O_PATH
  return (file_flags & O_PATH) != 0;
#else
  return false;
#endif
}

}  // namespace

absl::Status CheckSpec(const TransferSpec& spec) {
  if (spec.count.has_value() && *spec.count == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "count must be positive, got 0 (socket fd %d, file fd %d, offset %u)",
        spec.socket_fd, spec.file_fd, spec.offset));
  }
  if (spec.offset > kMaxOffset ||
      spec.count.value_or(0) > kMaxOffset - spec.offset) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "offset %u + count %u on file fd %d is past the largest file offset",
        spec.offset, spec.count.value_or(0), spec.file_fd));
  }
  if (spec.file_fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("file fd %d is not an fd", spec.file_fd));
  }
  if (spec.socket_fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("socket fd %d is not an fd", spec.socket_fd));
  }
  return absl::OkStatus();
}

absl::StatusOr<SourceFacts> ProbeSource(int file_fd) {
  struct stat st;
  if (::fstat(file_fd, &st) != 0) {
    const int err = errno;
    if (err == EBADF) {
      return absl::InvalidArgumentError(
          absl::StrFormat("file fd %d is not an open fd", file_fd));
    }
    return ErrnoStatus(err, "fstat", file_fd);
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("file fd %d is a directory", file_fd));
  }
  const int file_flags = ::fcntl(file_fd, F_GETFL);
  if (file_flags < 0) return ErrnoStatus(errno, "fcntl(F_GETFL)", file_fd);
  const bool path_only = IsPathOnly(file_flags);
  if ((file_flags & O_ACCMODE) == O_WRONLY || path_only) {
    return absl::FailedPreconditionError(
        absl::StrFormat("file fd %d is open %s; the source must be readable",
                        file_fd, path_only ? "with O_PATH" : "write-only"));
  }
  SourceFacts facts;
  if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
    facts.kind = SourceKind::kRegularFile;
    facts.file_id = {static_cast<uint64_t>(st.st_dev),
                     static_cast<uint64_t>(st.st_ino)};
    facts.size = static_cast<uint64_t>(st.st_size);
    facts.size_is_end = S_ISREG(st.st_mode) && facts.size > 0;
  }
  return facts;
}

absl::Status CheckSocket(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
    const int err = errno;
    if (err == ENOTSOCK) {
      return absl::InvalidArgumentError(
          absl::StrFormat("socket fd %d is not a socket", fd));
    }
    if (err == EBADF) {
      return absl::InvalidArgumentError(
          absl::StrFormat("socket fd %d is not an open fd", fd));
    }
    return ErrnoStatus(err, "getsockopt(SO_TYPE)", fd);
  }
  if (type != SOCK_STREAM) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "socket fd %d is a %s socket; only SOCK_STREAM can carry a transfer",
        fd,
        type == SOCK_DGRAM       ? "SOCK_DGRAM"
        : type == SOCK_SEQPACKET ? "SOCK_SEQPACKET"
                                 : absl::StrFormat("type %d", type)));
  }
  return absl::OkStatus();
}

absl::StatusOr<TransferPlan> PlanFrom(TransferSpec spec,
                                      const SourceFacts& source) {
  TransferPlan plan;
  plan.endpoints.socket_fd = spec.socket_fd;
  plan.endpoints.file_fd = spec.file_fd;
  plan.header = std::move(spec.header);
  plan.trailer = std::move(spec.trailer);
  plan.offset = spec.offset;
  plan.idle_timeout = spec.idle_timeout;
  plan.deadline = spec.deadline;
  plan.min_rate = spec.min_rate;
  plan.max_rate = spec.max_rate;
  plan.report_delivery = spec.report_delivery;
  plan.length = spec.count;
  plan.length_promised = spec.count.has_value();
  plan.endpoints.source = source.kind;
  if (source.kind == SourceKind::kRegularFile) {
    plan.endpoints.file_id = source.file_id;
    plan.endpoints.file_size = source.size;
    if (!plan.length.has_value() && source.size_is_end) {
      plan.length = source.size > spec.offset ? source.size - spec.offset : 0;
    }
  } else if (spec.offset != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "file fd %d is a pipe, socket or device: it has no offsets, so "
        "offset must be 0 (got %u)",
        spec.file_fd, spec.offset));
  }
  plan.endpoints.size_hint = plan.length.value_or(0);
  if (plan.endpoints.source == SourceKind::kRegularFile && plan.length) {
    plan.endpoints.file_end = plan.offset + *plan.length;
  }
  return plan;
}

absl::StatusOr<TransferPlan> PlanTransfer(TransferSpec spec) {
  if (absl::Status ok = CheckSpec(spec); !ok.ok()) return ok;
  absl::StatusOr<SourceFacts> source = ProbeSource(spec.file_fd);
  if (!source.ok()) return source.status();
  if (absl::Status ok = CheckSocket(spec.socket_fd); !ok.ok()) return ok;
  return PlanFrom(std::move(spec), *source);
}

}  // namespace sluice::internal
