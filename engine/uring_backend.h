// Copyright 2026 The sluice Authors.
//
// The io_uring backend: every transfer of an engine driven through one ring,
// so a scheduler turn is one io_uring_enter() however many sockets it
// touches.
//
// Data paths, chosen per transfer:
//   - sendfile: sendfile(2) issued inline, on the engine thread, as soon as
//     a push arrives and again whenever io_uring reports the socket writable
//     (POLL_ADD). io_uring carries the readiness, the header and trailer
//     (SEND with MSG_MORE), and batches them; the file bytes keep sendfile's
//     zero copy.
//   - copy: READ into a buffer, then SEND. For sources no zero-copy call can
//     read (pipes, character devices, sockets), chosen before the first
//     byte, and for files sendfile refuses (procfs), on its first call.

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
// and operators) refuses io_uring.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions& options, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_BACKEND_H_
