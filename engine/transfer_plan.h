// Copyright 2026 The sluice Authors.
//
// Checks a TransferSpec against the OS (fd types, access mode, file size)
// and resolves it into the TransferPlan the scheduler runs. Every refusal is
// InvalidArgument or FailedPrecondition with a message naming the fd.
//
// The checks come apart so that Engine::RegisterFd() can make the fd ones
// once for an fd many transfers use: CheckSpec() (no system call),
// ProbeSource() (fstat, fcntl(F_GETFL)), CheckSocket() (getsockopt), then
// PlanFrom() (no system call). PlanTransfer() is all four in order.

#ifndef SLUICE_ENGINE_TRANSFER_PLAN_H_
#define SLUICE_ENGINE_TRANSFER_PLAN_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/scheduler.h"
#include "sluice/transfer.h"

namespace sluice::internal {

// What the OS says about a source fd.
struct SourceFacts {
  SourceKind kind = SourceKind::kStream;
  // A regular file's (or block device's) identity and size when probed.
  FileId file_id;
  uint64_t size = 0;
  // The size is the file's end: a regular file with a nonzero size (procfs
  // and sysfs files report 0 yet have content).
  bool size_is_end = false;
};

// What needs no system call: a zero count, an offset + count past 2^63, a
// negative fd.
[[nodiscard]] absl::Status CheckSpec(const TransferSpec& spec);
// fstat() and fcntl(F_GETFL) of `file_fd`: not open, a directory, not open
// for reading (write-only, O_PATH) are refused.
[[nodiscard]] absl::StatusOr<SourceFacts> ProbeSource(int file_fd);
// getsockopt(SO_TYPE): not a socket, not open, not SOCK_STREAM are refused.
[[nodiscard]] absl::Status CheckSocket(int socket_fd);
// The plan, from a spec that passed CheckSpec() and its source's facts; a
// nonzero offset on a stream is refused.
[[nodiscard]] absl::StatusOr<TransferPlan> PlanFrom(TransferSpec spec,
                                                    const SourceFacts& source);

// A regular file without a count is sent up to its size at this call (as
// CPython's socket.sendfile() does); other sources until EOF. The header and
// trailer move into the plan.
[[nodiscard]] absl::StatusOr<TransferPlan> PlanTransfer(TransferSpec spec);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_TRANSFER_PLAN_H_
