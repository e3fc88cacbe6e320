// Copyright 2026 The sluice Authors.
//
// Creates the backend an engine asked for. For kAuto it tries the
// backends best first (io_uring, sendfile, read+send) and records in
// `stats.backend_note` why each better one was passed over.

#ifndef SLUICE_ENGINE_BACKEND_FACTORY_H_
#define SLUICE_ENGINE_BACKEND_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "sluice/engine.h"
#include "sluice/stats.h"

namespace sluice::internal {

// `stats` must outlive the backend.
[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(
    const EngineOptions& options, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_BACKEND_FACTORY_H_
