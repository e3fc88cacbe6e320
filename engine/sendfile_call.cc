// Copyright 2026 The sluice Authors.

#include "engine/sendfile_call.h"

#include "engine/sluice_config.h"

#if SLUICE_HAVE_LINUX_SENDFILE

#include <sys/sendfile.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_format.h"
#include "engine/errno_status.h"

namespace sluice::internal {
namespace {

// Linux moves at most this much per sendfile(2) call.
constexpr uint64_t kMaxSendfileChunk = 0x7ffff000;

bool SourceUnsupported(int err) {
  switch (err) {
    case EINVAL:
    case ENOSYS:
    case EOPNOTSUPP:
    case ESPIPE:
    case EXDEV:
      return true;
    default:
      return false;
  }
}

}  // namespace

WriteStep SendfileBytes(int socket_fd, int file_fd, PushProgress& push,
                        bool may_fall_back, ScopedSigpipeBlock& sigpipe,
                        EngineStats& stats) {
  while (push.file_left() > 0) {
    off_t offset = static_cast<off_t>(push.file_position());
    const size_t chunk = static_cast<size_t>(
        std::min<uint64_t>(push.file_left(), kMaxSendfileChunk));
    ++stats.syscalls;
    const ssize_t n = ::sendfile(socket_fd, file_fd, &offset, chunk);
    if (n > 0) {
      push.outcome.file_bytes += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      // A zero return before the budget is spent: the file got shorter.
      push.outcome.file_ended = true;
      return WriteStep::kDone;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK) return WriteStep::kSocketFull;
    if (SourceUnsupported(err) && may_fall_back &&
        push.outcome.file_bytes == 0) {
      return WriteStep::kUnsupported;
    }
    if (err == EPIPE) sigpipe.NoteEpipe();
    // Either side can fail sendfile: name both.
    push.outcome.error = ErrnoStatus(
        err, absl::StrFormat("sendfile from file fd %d to socket", file_fd),
        socket_fd, push.file_position());
    return WriteStep::kFailed;
  }
  return WriteStep::kDone;
}

}  // namespace sluice::internal

#endif  // SLUICE_HAVE_LINUX_SENDFILE
