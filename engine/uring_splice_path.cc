// Copyright 2026 The sluice Authors.

#include "engine/uring_splice_path.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "engine/errno_status.h"
#include "engine/splice_stream.h"

namespace sluice::internal {

PathStep UringSplicePath::Advance(UringTransfer& t, UringTurn& turn) {
  SpliceState& splice = t.splice;
  PushProgress& push = t.push;
  if (!splice.pipe.has_value()) {
    splice.pipe = pipes_.Acquire();
    if (!splice.pipe.has_value()) return PathStep::kDeclined;
  }
  // Links cannot span two submits: make room for both halves now.
  if (!turn.ring.Reserve(2)) return PathStep::kNoRoom;
  splice.in_result = 0;
  splice.out_result = 0;
  const unsigned more = push.trailer_left().empty() ? 0 : SPLICE_F_MORE;
  const int socket_fd = t.endpoints.socket_fd;
  splice.filled = splice.in_pipe == 0;
  if (!splice.filled) {
    // A short step left bytes in the pipe: they go out before any more
    // file bytes go in.
    io_uring_sqe* out = turn.ring.GetSqe();
    io_uring_prep_splice(out, splice.pipe->read.get(), -1, socket_fd, -1,
                         static_cast<unsigned>(splice.in_pipe), more);
    Track(t, out, UringOp::kSpliceOut);
    return PathStep::kInFlight;
  }
  const unsigned n = static_cast<unsigned>(
      std::min<uint64_t>(push.file_left(), pipes_.pipe_size()));
  const bool stream = t.endpoints.source == SourceKind::kStream;
  ++turn.stats.splices;
  io_uring_sqe* in = turn.ring.GetSqe();
  // A socket or pipe has no offsets: -1 reads at its current position.
  io_uring_prep_splice(in, t.endpoints.file_fd,
                       stream ? -1 : static_cast<int64_t>(push.file_position()),
                       splice.pipe->write.get(), -1, n, SPLICE_F_MOVE);
  // A file: a short first half fails the second with -ECANCELED; PairDone()
  // then sends what did enter the pipe. A stream's first half is short
  // nearly always (it gives what has arrived), so the second runs whatever
  // the first did (a hard link) and sends what is in the pipe; the pipe is
  // non-blocking, so an empty one answers -EAGAIN at once.
  in->flags |= stream ? IOSQE_IO_HARDLINK : IOSQE_IO_LINK;
  Track(t, in, UringOp::kSpliceIn);
  io_uring_sqe* out = turn.ring.GetSqe();
  io_uring_prep_splice(out, splice.pipe->read.get(), -1, socket_fd, -1, n,
                       more);
  Track(t, out, UringOp::kSpliceOut);
  return PathStep::kInFlight;
}

PathStep UringSplicePath::Complete(UringTransfer& t, UringOp op, int result,
                                   UringTurn& turn) {
  if (op == UringOp::kSpliceIn) {
    t.splice.in_result = result;
  } else {
    t.splice.out_result = result;
  }
  if ((t.in_flight &
       (OpBit(UringOp::kSpliceIn) | OpBit(UringOp::kSpliceOut))) != 0) {
    return PathStep::kInFlight;  // the other half of the pair
  }
  return PairDone(t, turn);
}

// Accounts for a finished step: whatever entered the pipe and did not leave
// it goes out first on the next step.
PathStep UringSplicePath::PairDone(UringTransfer& t, UringTurn&) {
  SpliceState& splice = t.splice;
  PushProgress& push = t.push;
  const int in = splice.filled ? splice.in_result : -ECANCELED;
  const int out = splice.out_result;
  if (in > 0) splice.in_pipe += static_cast<uint64_t>(in);
  if (out > 0) {
    splice.in_pipe -= static_cast<uint64_t>(out);
    push.outcome.file_bytes += static_cast<uint64_t>(out);
  }
  if (t.cancel_requested) return PathStep::kProgress;
  if (in == 0 && splice.in_pipe == 0) {
    // After a FIN, a splice stopped at TCP urgent data answers 0 too.
    if (t.endpoints.source == SourceKind::kStream &&
        AtUrgentMark(t.endpoints.file_fd)) {
      return PathStep::kUnsupported;
    }
    push.outcome.file_ended = true;
    return PathStep::kProgress;
  }
  // Only a stream's first half runs on an empty pipe (filled), so nothing
  // waits in it: the pipe goes back to the pool while the source is dry,
  // so relays waiting for their upstream hold none.
  if (in == -EAGAIN && t.endpoints.source == SourceKind::kStream) {
    // Stopped at TCP urgent data, not dry (splice_stream.h).
    if (AtUrgentMark(t.endpoints.file_fd)) return PathStep::kUnsupported;
    EndPush(t);
    return PathStep::kSourceDry;
  }
  if (in < 0 && in != -ECANCELED) {
    if (!t.file_started && push.outcome.file_bytes == 0 &&
        splice.in_pipe == 0 && (in == -EINVAL || in == -EOPNOTSUPP)) {
      return PathStep::kUnsupported;  // splice cannot read this file
    }
    Fail(t, ErrnoStatus(
                -in,
                t.endpoints.source == SourceKind::kStream ? "splice from source"
                                                          : "splice from file",
                t.endpoints.file_fd, push.file_position() + splice.in_pipe));
    return PathStep::kFailed;
  }
  if (out == -EAGAIN) return PathStep::kSocketFull;
  if (out < 0 && out != -ECANCELED) {
    Fail(t, ErrnoStatus(-out, "splice to socket", t.endpoints.socket_fd,
                        push.file_position()));
    return PathStep::kFailed;
  }
  return PathStep::kProgress;
}

void UringSplicePath::EndPush(UringTransfer& t) {
  SpliceState& splice = t.splice;
  if (!splice.pipe.has_value()) return;
  pipes_.Release(*std::move(splice.pipe),
                 /*may_hold_bytes=*/splice.in_pipe > 0);
  splice.pipe.reset();
  splice.in_pipe = 0;
}

}  // namespace sluice::internal
