// Copyright 2026 The sluice Authors.

#include "engine/splice_stream.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include "engine/errno_status.h"

namespace sluice::internal {

bool AtUrgentMark(int fd) {
  int at_mark = 0;
  return ::ioctl(fd, SIOCATMARK, &at_mark) == 0 && at_mark != 0;
}

WriteStep SpliceStream(const TransferEndpoints& endpoints, PushProgress& push,
                       const Pipe& pipe, uint64_t& in_pipe, size_t pipe_size,
                       ScopedSigpipeBlock& sigpipe, EngineStats& stats) {
  const int socket_fd = endpoints.socket_fd;
  const int source_fd = endpoints.file_fd;
  while (true) {
    // Never past the push's budget: a pipe holds at most what a step of
    // an earlier push read, within its budget, so this is a guard only.
    const uint64_t out_max = std::min(in_pipe, push.file_left());
    if (out_max > 0) {
      const unsigned more = push.more_after_file(out_max) ? SPLICE_F_MORE : 0;
      ++stats.syscalls;
      const ssize_t out = ::splice(pipe.read.get(), nullptr, socket_fd, nullptr,
                                   static_cast<size_t>(out_max),
                                   SPLICE_F_NONBLOCK | SPLICE_F_MOVE | more);
      if (out > 0) {
        in_pipe -= static_cast<uint64_t>(out);
        push.outcome.file_bytes += static_cast<uint64_t>(out);
        continue;
      }
      if (out < 0 && errno == EINTR) continue;
      if (out < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return WriteStep::kSocketFull;
      }
      const int err = out < 0 ? errno : EPIPE;
      if (err == EPIPE) sigpipe.NoteEpipe();
      push.outcome.error =
          ErrnoStatus(err, "splice to socket", socket_fd, push.file_position());
      return WriteStep::kFailed;
    }
    if (push.file_left() == 0) return WriteStep::kDone;
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(push.file_left(), pipe_size));
    ++stats.syscalls;
    ++stats.splices;
    const ssize_t in = ::splice(source_fd, nullptr, pipe.write.get(), nullptr,
                                want, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
    if (in > 0) {
      in_pipe = static_cast<uint64_t>(in);
      continue;
    }
    if (in == 0) {
      // After a FIN, splice(2) stopped at urgent data answers 0 too.
      ++stats.syscalls;
      if (AtUrgentMark(source_fd)) return WriteStep::kUnsupported;
      push.outcome.file_ended = true;
      return WriteStep::kDone;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      ++stats.syscalls;
      return AtUrgentMark(source_fd) ? WriteStep::kUnsupported
                                     : WriteStep::kSourceDry;
    }
    // The pipe is empty here, so copying from now on loses no byte.
    if (err == EINVAL || err == EOPNOTSUPP) return WriteStep::kUnsupported;
    push.outcome.error =
        ErrnoStatus(err, "splice from source", source_fd, push.file_position());
    return WriteStep::kFailed;
  }
}

}  // namespace sluice::internal
