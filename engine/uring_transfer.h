// Copyright 2026 The sluice Authors.
//
// What the io_uring backend keeps per transfer, what its data paths may use
// during one Wait() (UringTurn), and what a path reports (PathStep).

#ifndef SLUICE_ENGINE_URING_TRANSFER_H_
#define SLUICE_ENGINE_URING_TRANSFER_H_

#include <liburing.h>

#include <cstdint>

#include <sys/socket.h>
#include <sys/uio.h>
#include "engine/backend.h"
#include "engine/push_progress.h"
#include "engine/sigpipe_block.h"

#include <cerrno>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/copy_buffer.h"
#include "engine/errno_status.h"
#include "engine/open_transfer.h"
#include "engine/pipe_pool.h"
#include "engine/uring_request.h"
#include "engine/uring_ring.h"
#include "sluice/stats.h"

namespace sluice::internal {

// What a data path did with a push.
enum class PathStep {
  // Requests are in flight; their completions move the push on.
  kInFlight,
  // The path moved what it could now; the push goes on (the trailer, or
  // another step).
  kProgress,
  // The socket is full: wait for writability, then advance again.
  kSocketFull,
  // A non-blocking stream source has no data yet: wait for it.
  kSourceDry,
  // The path cannot read this source and no file byte has moved: copy from
  // now on.
  kUnsupported,
  // The path cannot take this step (no pipe free): inline sendfile takes it.
  kDeclined,
  // No SQE free even after a submit: try again at the next Wait().
  kNoRoom,
  // The OS refused; push.outcome.error says why.
  kFailed,
};

// The splice path's state (uring_splice_path.h).
struct SpliceState {
  // The pipe held for this push, and the bytes in it the socket has not
  // taken.
  std::optional<Pipe> pipe;
  uint64_t in_pipe = 0;
  // Whether the last step filled the pipe from the file (else it only
  // drained what an earlier step left there), and its two results.
  bool filled = false;
  int in_result = 0;
  int out_result = 0;
};

// The copy path's state (uring_copy_path.h).
struct CopyState {
  // Read from the source, not yet taken by the socket.
  CopyBuffer buffer;
  // A small push as one linked READ -> SENDMSG of header, data and trailer:
  // the kernel reads these until the SENDMSG completes.
  msghdr message{};
  iovec iov[3]{};
  size_t message_header = 0;
  size_t message_data = 0;
  size_t message_trailer = 0;
};

struct UringTransfer : OpenTransfer {
  // The handle's generation, for user_data.
  uint32_t generation = 0;
  // The file bytes go by the copy path for good: a stream source, a forced
  // copy path, or a zero-copy path refused the source before its first byte.
  bool copy_only = false;
  bool cancel_requested = false;
  // The last push ended on a full socket (after moving bytes): the next
  // one waits for writability before trying.
  bool socket_full = false;
  // Cancel() found no SQE for some of its cancels; Wait() sends them.
  bool cancels_unsent = false;
  // Requests in flight (OpBit(op) each). Only a linked pair runs two at
  // once; the push moves on when all are back.
  uint32_t in_flight = 0;
  // The path of this push's latest file step (kAuto: none yet).
  DataPath step_path = DataPath::kAuto;
  // Cold sources: the file offset up to which the kernel was asked to read
  // ahead (uring_copy_path.cc).
  uint64_t read_ahead_until = 0;
  SpliceState splice;
  CopyState copy;
};

// What one Wait() lends the backend and its data paths; it lives on that
// Wait()'s stack, so nothing can use it after.
struct UringTurn {
  UringRing& ring;
  EngineStats& stats;
  // SIGPIPE blocked from the first inline sendfile of the Wait() to its end.
  LazySigpipeBlock& sigpipe;
  // Where the pushes that end are reported.
  std::vector<PushOutcome>& outcomes;
};

// Tags `sqe` as `op` of `t` and counts it in flight.
inline void Track(UringTransfer& t, io_uring_sqe* sqe, UringOp op) {
  io_uring_sqe_set_data64(sqe,
                          UringUserData(t.handle.index(), t.generation, op));
  t.in_flight |= OpBit(op);
}

// Keeps the first error of a push.
inline void Fail(UringTransfer& t, absl::Status error) {
  if (t.push.outcome.error.ok()) t.push.outcome.error = std::move(error);
}

// Applies the result of a send of push bytes to the socket: adds what went
// out to `sent`. `what` names the call in an error.
inline PathStep ApplySendResult(UringTransfer& t, int result, uint64_t& sent,
                                const char* what) {
  // Cancelled, or linked after a request that came up short: nothing sent.
  if (result == -ECANCELED) return PathStep::kProgress;
  // A non-blocking socket may answer EAGAIN rather than letting io_uring
  // wait for it.
  if (result == -EAGAIN) return PathStep::kSocketFull;
  if (result < 0) {
    Fail(t, ErrnoStatus(-result, what, t.endpoints.socket_fd,
                        t.push.file_position()));
    return PathStep::kFailed;
  }
  sent += static_cast<uint64_t>(result);
  return PathStep::kProgress;
}

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_TRANSFER_H_
