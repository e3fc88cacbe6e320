// Copyright 2026 The sluice Authors.
//
// The sendfile(2) loop both the sendfile backend and the io_uring backend's
// inline path use to move the file part of a push.

#ifndef SLUICE_ENGINE_SENDFILE_CALL_H_
#define SLUICE_ENGINE_SENDFILE_CALL_H_

#include "engine/push_progress.h"
#include "engine/sigpipe_block.h"
#include "sluice/stats.h"

namespace sluice::internal {

// Sends the file part of `push` until its budget is sent (kDone), the source
// ends (kDone with outcome.file_ended), the socket fills (kSocketFull), or a
// call fails (kFailed, outcome.error set). When sendfile cannot read this
// source at all (EINVAL, ENOSYS, EOPNOTSUPP, ESPIPE, EXDEV — never the peer's
// EPIPE or ECONNRESET) and `may_fall_back` (no file byte of the transfer has
// moved), returns kUnsupported instead. Must run inside a ScopedSigpipeBlock.
WriteStep SendfileBytes(int socket_fd, int file_fd, PushProgress& push,
                        bool may_fall_back, ScopedSigpipeBlock& sigpipe,
                        EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SENDFILE_CALL_H_
