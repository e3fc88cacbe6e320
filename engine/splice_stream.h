// Copyright 2026 The sluice Authors.
//
// SpliceStream: the sendfile backend's path for a stream source (a relay's
// upstream socket, a pipe): source -> pipe -> socket with splice(2), both
// sides non-blocking, the way HAProxy relays. sendfile(2) cannot read a
// socket, and a copy through user space costs two copies per byte.
//
// The pipe and what it holds belong to the transfer, not the push: bytes
// taken from the source exist nowhere else, so they stay in the pipe until
// the socket takes them, across pushes. A transfer that ends with bytes in
// its pipe has lost them (bytes_received counts them) and the pipe is
// closed, never reused.

#ifndef SLUICE_ENGINE_SPLICE_STREAM_H_
#define SLUICE_ENGINE_SPLICE_STREAM_H_

#include <cstdint>
#include <optional>

#include "engine/backend.h"
#include "engine/pipe_pool.h"
#include "engine/push_progress.h"
#include "engine/sigpipe_block.h"
#include "sluice/stats.h"

namespace sluice::internal {

// A stream transfer's pipe, held while it holds bytes.
struct StreamPipe {
  std::optional<Pipe> pipe;
  // Bytes the source put in the pipe that the socket has not taken.
  uint64_t in_pipe = 0;
};

// Moves the push's file part from `endpoints.file_fd` through `pipe`, which
// holds `in_pipe` bytes already, to the socket, keeping `in_pipe` current:
// kDone when the budget went out or the source ended (push.outcome.file_ended),
// kSocketFull, kSourceDry, kUnsupported (splice cannot read this source; the
// pipe is empty), or kFailed with push.outcome.error naming the side that
// failed. splice(2) takes no MSG_NOSIGNAL: call it inside `sigpipe`.
// Whether a TCP source's next byte is urgent data (SIOCATMARK; false for
// anything else). splice(2) stops at the urgent mark (tcp_read_sock() ends
// there) and answers EAGAIN with bytes waiting, which readiness keeps
// reporting: a relay would spin there for good (or, once the peer sent
// its FIN, splice answers 0 as if at EOF). read(2) steps over the urgent
// byte, so at the mark the caller copies from then on.
bool AtUrgentMark(int fd);

WriteStep SpliceStream(const TransferEndpoints& endpoints, PushProgress& push,
                       const Pipe& pipe, uint64_t& in_pipe, size_t pipe_size,
                       ScopedSigpipeBlock& sigpipe, EngineStats& stats);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SPLICE_STREAM_H_
