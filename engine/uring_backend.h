// Copyright 2026 The sluice Authors.
//
// The io_uring backend: every transfer of an engine driven through one ring,
// so a scheduler turn is one io_uring_enter() however many sockets it
// touches.
//
// Its parts, one file each:
//   - uring_backend.cc: the Backend. Per push it sends the header (SEND with
//     MSG_MORE), asks the policy (data_path_policy.h) which data path moves
//     the file part, lets that path move it, sends the trailer, re-arms
//     POLL_ADD when a path finds the socket full, cancels, and reports the
//     outcome.
//   - uring_ring.*: the ring and its pump (creation, probe, SQEs, submit,
//     reap, task-work passes, the eventfd).
//   - the data paths, each "this push, this budget -> step"
//     (uring_file_path.h): uring_sendfile_path.* (sendfile(2) inline on the
//     engine thread), uring_splice_path.* (file -> pipe -> socket on io-wq
//     workers), uring_copy_path.* (READ then SEND, for any source).
//   - uring_transfer.h: the per-transfer state they share; uring_request.h:
//     the ops and their user_data.

#ifndef SLUICE_ENGINE_URING_BACKEND_H_
#define SLUICE_ENGINE_URING_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "sluice/engine.h"

namespace sluice::internal {

// Creates the ring. FailedPrecondition / PermissionDenied / Unimplemented
// with the reason when the kernel, a sysctl (kernel.io_uring_disabled), a
// seccomp filter or the environment (SLUICE_DISABLE_IO_URING=1, for tests
// and operators) refuses io_uring, and on builds without it.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions& options, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_BACKEND_H_
