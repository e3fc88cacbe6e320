// Copyright 2026 The sluice Authors.

#include "engine/sendfile_backend.h"

#include "absl/status/status.h"
#include "engine/sluice_config.h"

#if SLUICE_HAVE_LINUX_SENDFILE

#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <utility>
#include <vector>

#include "engine/errno_status.h"
#include "engine/read_send_backend.h"
#include "engine/readiness_backend.h"
#include "engine/status_macros.h"

namespace sluice::internal {
namespace {

// Linux moves at most this much per sendfile(2) call.
constexpr uint64_t kMaxSendfileChunk = 0x7ffff000;

// Errors that mean sendfile cannot read this source at all (as opposed to
// the peer's errors, EPIPE or ECONNRESET, which no fallback can fix).
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

// sendfile(2) takes no MSG_NOSIGNAL, and a write to a closed peer raises
// SIGPIPE, which kills a host that did not ignore it. Changing the process's
// disposition would be a side effect the host cannot see, so instead SIGPIPE
// is blocked in this thread's mask for the duration of a batch of calls, and
// a SIGPIPE that our own EPIPE left pending is consumed before the mask is
// restored. A SIGPIPE that was already pending stays pending. Cost: two
// sigprocmask calls per Wait(), plus two more only after an EPIPE.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
    already_blocked_ = sigismember(&previous_, SIGPIPE) == 1;
  }
  ~ScopedSigpipeBlock() {
    if (saw_epipe_ && !already_blocked_) {
      const timespec no_wait{0, 0};
      while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

  void NoteEpipe() { saw_epipe_ = true; }

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
  bool already_blocked_ = false;
  bool saw_epipe_ = false;
};

class SendfileBackend final : public ReadinessBackend {
 public:
  SendfileBackend(std::unique_ptr<Readiness> readiness, EngineStats& stats)
      : ReadinessBackend(std::move(readiness), stats) {}

  BackendKind kind() const override { return BackendKind::kSendfile; }

  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override {
    ScopedSigpipeBlock block;
    sigpipe_block_ = &block;
    absl::Status waited = ReadinessBackend::Wait(timeout, outcomes);
    sigpipe_block_ = nullptr;
    return waited;
  }

 private:
  WriteStep Write(TransferState& transfer) override {
    if (transfer.copying) return CopyWrite(transfer, copy_buffer_, stats());
    PushProgress& push = transfer.push;
    const int socket_fd = transfer.endpoints.socket_fd;

    if (!push.header_left().empty()) {
      // MSG_MORE holds the header back so it leaves with the file bytes.
      const int more =
          push.file_left() > 0 || !push.trailer_left().empty() ? MSG_MORE : 0;
      const WriteStep sent = SendSome(socket_fd, push.header_left(), more,
                                      push.outcome.header_bytes, push, stats());
      if (sent != WriteStep::kDone) return sent;
    }
    while (push.file_left() > 0) {
      off_t offset = static_cast<off_t>(push.file_position());
      const size_t chunk = static_cast<size_t>(
          std::min<uint64_t>(push.file_left(), kMaxSendfileChunk));
      ++stats().syscalls;
      const ssize_t n =
          ::sendfile(socket_fd, transfer.endpoints.file_fd, &offset, chunk);
      if (n > 0) {
        push.outcome.file_bytes += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) {
        push.outcome.file_ended = true;
        return WriteStep::kDone;
      }
      const int err = errno;
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) return WriteStep::kSocketFull;
      if (SourceUnsupported(err) && !transfer.file_started &&
          push.outcome.file_bytes == 0) {
        transfer.copying = true;
        return CopyWrite(transfer, copy_buffer_, stats());
      }
      if (err == EPIPE && sigpipe_block_ != nullptr) sigpipe_block_->NoteEpipe();
      push.outcome.error =
          ErrnoStatus(err, "sendfile", socket_fd, push.file_position());
      return WriteStep::kFailed;
    }
    if (!push.trailer_left().empty()) {
      return SendSome(socket_fd, push.trailer_left(), 0,
                      push.outcome.trailer_bytes, push, stats());
    }
    return WriteStep::kDone;
  }

  ScopedSigpipeBlock* sigpipe_block_ = nullptr;
  std::vector<char> copy_buffer_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateSendfileBackend(
    EngineStats& stats) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Readiness> readiness,
                          Readiness::Create(stats));
  return std::make_unique<SendfileBackend>(std::move(readiness), stats);
}

}  // namespace sluice::internal

#else  // !SLUICE_HAVE_LINUX_SENDFILE

namespace sluice::internal {

absl::StatusOr<std::unique_ptr<Backend>> CreateSendfileBackend(EngineStats&) {
  return absl::UnimplementedError(
      "the sendfile backend is not built (Linux sendfile(2) unavailable or "
      "-Dlinux_backends=false)");
}

}  // namespace sluice::internal

#endif  // SLUICE_HAVE_LINUX_SENDFILE
