// Copyright 2026 The sluice Authors.
//
// The read+send backend: pread(2) into a buffer, then one sendmsg(2) of
// header, data and trailer. It copies every byte through user space, so it is
// the slowest path for regular files, but it serves any readable source
// (pipes, character devices, procfs) and builds anywhere POSIX does. The
// other backends fall back to CopyWrite() for sources they cannot serve.

#ifndef SLUICE_ENGINE_READ_SEND_BACKEND_H_
#define SLUICE_ENGINE_READ_SEND_BACKEND_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/readiness_backend.h"

namespace sluice::internal {

// Moves what it can of `transfer.push` by read+send. `buffer` is scratch
// space, free again when this returns. A pipe source is read with read(2)
// (it has no offsets), and bytes the socket did not take wait in
// `transfer.stash`.
WriteStep CopyWrite(TransferState& transfer, std::vector<char>& buffer,
                    EngineStats& stats);

[[nodiscard]] absl::StatusOr<std::unique_ptr<Backend>> CreateReadSendBackend(
    EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READ_SEND_BACKEND_H_
