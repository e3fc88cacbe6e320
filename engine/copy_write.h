// Copyright 2026 The sluice Authors.
//
// The copy data path of the readiness backends, made on the engine thread:
// read the next file bytes into a buffer, then one sendmsg(2) of header,
// data and trailer. It copies every byte through user space, but serves any
// readable source (pipes, character devices, procfs) and builds anywhere
// POSIX does: the read+send backend's only path, and the sendfile
// backend's fallback. Also the plain send(2) of a header or trailer.

#ifndef SLUICE_ENGINE_COPY_WRITE_H_
#define SLUICE_ENGINE_COPY_WRITE_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/copy_buffer.h"
#include "engine/push_progress.h"
#include "sluice/stats.h"

namespace sluice::internal {

// Moves what it can of `push` by read + sendmsg, until its budget is sent
// (kDone), the source ends (kDone with outcome.file_ended), the socket fills
// (kSocketFull), a pipe source runs dry (kSourceDry) or a call fails
// (kFailed, outcome.error set). A regular file is read with pread(2) into
// `scratch`, which is free again when this returns (unsent bytes are read
// again at their offset); a stream source with read(2) into `pending`, the
// transfer's own buffer, where unsent bytes wait for the next call.
WriteStep CopyWrite(const TransferEndpoints& endpoints, PushProgress& push,
                    CopyBuffer& pending, CopyBuffer& scratch,
                    EngineStats& stats);

// Sends as much of `data` as the socket takes (send(2) with MSG_NOSIGNAL
// and `flags`), adding what went out to `sent`; kDone when all of it did.
WriteStep SendSome(int socket_fd, absl::string_view data, int flags,
                   uint64_t& sent, PushProgress& push, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_COPY_WRITE_H_
