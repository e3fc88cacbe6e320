// Copyright 2026 The sluice Authors.
//
// The sendfile(2) backend (Linux): the kernel moves page-cache pages to the
// socket without a copy through user space; epoll says when a full socket
// drains. The header goes out with MSG_MORE so it shares a segment with the
// first file bytes. Sources sendfile cannot read fall back to read+send
// before their first file byte.

#ifndef SLUICE_ENGINE_SENDFILE_BACKEND_H_
#define SLUICE_ENGINE_SENDFILE_BACKEND_H_

#include <memory>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "sluice/engine.h"

namespace sluice::internal {

// Unimplemented on builds without Linux sendfile(2).
[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateSendfileBackend(
    const EngineOptions& options, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SENDFILE_BACKEND_H_
