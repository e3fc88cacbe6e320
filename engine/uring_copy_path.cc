// Copyright 2026 The sluice Authors.

#include "engine/uring_copy_path.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "engine/errno_status.h"
#include "engine/residency.h"

namespace sluice::internal {

PathStep UringCopyPath::AdvanceWhole(UringTransfer& t, UringTurn& turn) {
  PushProgress& push = t.push;
  CopyState& copy = t.copy;
  const uint64_t n = push.file_left();
  if (t.endpoints.source != SourceKind::kRegularFile || n == 0 ||
      n > kCopyChunk || push.outcome.file_ended || !copy.buffer.empty()) {
    return PathStep::kDeclined;
  }
  if (!turn.ring.Reserve(2)) return PathStep::kNoRoom;
  char* room = copy.buffer.PrepareRead(static_cast<size_t>(n));
  io_uring_sqe* read = turn.ring.GetSqe();
  io_uring_prep_read(read, t.endpoints.file_fd, room, static_cast<unsigned>(n),
                     push.file_position());
  // A short READ (the file shrank) fails the SENDMSG with -ECANCELED, and
  // the push goes on from what was read.
  read->flags |= IOSQE_IO_LINK;
  Track(t, read, UringOp::kRead);

  const absl::string_view header = push.header_left();
  const absl::string_view trailer = push.trailer_left();
  copy.iov[0] = {const_cast<char*>(header.data()), header.size()};
  copy.iov[1] = {room, static_cast<size_t>(n)};
  copy.iov[2] = {const_cast<char*>(trailer.data()), trailer.size()};
  copy.message = msghdr{};
  copy.message.msg_iov = copy.iov;
  copy.message.msg_iovlen = 3;
  copy.message_header = header.size();
  copy.message_data = static_cast<size_t>(n);
  copy.message_trailer = trailer.size();
  io_uring_sqe* send = turn.ring.GetSqe();
  io_uring_prep_sendmsg(send, t.endpoints.socket_fd, &copy.message,
                        MSG_NOSIGNAL | MSG_DONTWAIT);
  Track(t, send, UringOp::kSendMsg);
  return PathStep::kInFlight;
}

PathStep UringCopyPath::Advance(UringTransfer& t, UringTurn& turn) {
  PushProgress& push = t.push;
  CopyBuffer& buffer = t.copy.buffer;
  if (!buffer.empty()) {
    const absl::string_view data =
        buffer.pending().substr(0, static_cast<size_t>(push.file_left()));
    io_uring_sqe* sqe = turn.ring.GetSqe();
    if (sqe == nullptr) return PathStep::kNoRoom;
    io_uring_prep_send(sqe, t.endpoints.socket_fd, data.data(), data.size(),
                       MSG_NOSIGNAL | MSG_DONTWAIT |
                           (push.more_after_file(data.size()) ? MSG_MORE : 0));
    Track(t, sqe, UringOp::kFileSend);
    return PathStep::kInFlight;
  }
  io_uring_sqe* sqe = turn.ring.GetSqe();
  if (sqe == nullptr) return PathStep::kNoRoom;
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(push.file_left(), kCopyChunk));
  char* room = buffer.PrepareRead(kCopyChunk);
  // A pipe has no offsets: -1 reads at its current position.
  const uint64_t offset = t.endpoints.source == SourceKind::kStream
                              ? uint64_t(-1)
                              : push.file_position();
  io_uring_prep_read(sqe, t.endpoints.file_fd, room,
                     static_cast<unsigned>(want), offset);
  // A dry stream answers -EAGAIN rather than io_uring waiting for it
  // inside the kernel (the sends here carry MSG_DONTWAIT for the same end):
  // the push can then end and report what it moved (uring_backend.cc).
  if (t.endpoints.source == SourceKind::kStream) sqe->rw_flags = RWF_NOWAIT;
  Track(t, sqe, UringOp::kRead);
  if (t.cold_source) ReadAhead(t, turn, push.file_position() + want);
  return PathStep::kInFlight;
}

void UringCopyPath::ReadAhead(UringTransfer& t, UringTurn& turn,
                              uint64_t from) {
  const uint64_t start = std::max(from, t.read_ahead_until);
  const uint64_t end = std::min(t.endpoints.file_end, from + kColdReadAhead);
  if (start >= end) return;
  io_uring_sqe* sqe = turn.ring.GetSqe();
  if (sqe == nullptr) return;  // a hint: the READ itself matters
  io_uring_prep_fadvise(sqe, t.endpoints.file_fd, start,
                        static_cast<off_t>(end - start), POSIX_FADV_WILLNEED);
  io_uring_sqe_set_data64(
      sqe, UringUserData(t.handle.index(), t.generation, UringOp::kReadAhead));
  t.read_ahead_until = end;
}

PathStep UringCopyPath::Complete(UringTransfer& t, UringOp op, int result,
                                 UringTurn&) {
  PushProgress& push = t.push;
  CopyState& copy = t.copy;
  switch (op) {
    case UringOp::kFileSend: {
      uint64_t sent = 0;
      const PathStep step = ApplySendResult(t, result, sent, "send");
      push.outcome.file_bytes += sent;
      copy.buffer.Consume(static_cast<size_t>(sent));
      return step;
    }
    case UringOp::kSendMsg: {
      uint64_t sent = 0;
      const PathStep step = ApplySendResult(t, result, sent, "sendmsg");
      const SentParts parts = push.RecordSend(
          sent, copy.message_header, copy.message_data, copy.message_trailer);
      copy.buffer.Consume(static_cast<size_t>(parts.data));
      return step;
    }
    case UringOp::kRead:
      if (result == -ECANCELED) return PathStep::kProgress;
      if (result == -EAGAIN) {
        copy.buffer.FreeIfEmpty();  // nothing in flight reads into it now
        return PathStep::kSourceDry;
      }
      if (result < 0) {
        Fail(t, ErrnoStatus(-result,
                            t.endpoints.source == SourceKind::kStream ? "read"
                                                                      : "pread",
                            t.endpoints.file_fd, push.file_position()));
        return PathStep::kFailed;
      }
      if (result == 0) {
        push.outcome.file_ended = true;
      } else {
        // Reads land at the buffer's start (both prepare paths empty it
        // first); a linked SENDMSG's completion may already have consumed
        // some, so only the end moves.
        copy.buffer.Filled(static_cast<size_t>(result));
      }
      return PathStep::kProgress;
    default:
      return PathStep::kProgress;
  }
}

}  // namespace sluice::internal
