// Copyright 2026 The sluice Authors.
//
// The read+send backend: every push by the copy path (copy_write.h) over
// epoll, or poll(2) where epoll is absent. It copies every byte through user
// space, so it is the slowest path for regular files, but it serves any
// readable source and builds anywhere POSIX does.

#ifndef SLUICE_ENGINE_READ_SEND_BACKEND_H_
#define SLUICE_ENGINE_READ_SEND_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "sluice/engine.h"

namespace sluice::internal {

[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateReadSendBackend(
    const EngineOptions& options, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READ_SEND_BACKEND_H_
