// Copyright 2026 The sluice Authors.

#include "engine/read_send_backend.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "engine/errno_status.h"
#include "engine/status_macros.h"

namespace sluice::internal {
namespace {

// Large enough that one sendmsg fills a loopback socket's buffer, small
// enough to stay in L2.
constexpr size_t kCopyChunk = 256 * 1024;

// Reads the next file bytes of the push: into `buffer` by offset for a
// regular file, or into the stash for a pipe. Sets `data` to them (empty at
// EOF).
WriteStep ReadChunk(TransferState& transfer, std::vector<char>& buffer,
                    EngineStats& stats, absl::string_view& data, bool& eof) {
  PushProgress& push = transfer.push;
  const int fd = transfer.endpoints.file_fd;
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(push.file_left(), kCopyChunk));
  eof = false;
  if (want == 0) {
    data = {};
    return WriteStep::kDone;
  }
  const bool stream = transfer.endpoints.source == SourceKind::kStream;
  if (stream && !transfer.stash.empty()) {
    // The stash may hold more than a smaller later budget allows.
    data = absl::string_view(transfer.stash).substr(0, want);
    return WriteStep::kDone;
  }
  if (buffer.size() < want) buffer.resize(kCopyChunk);
  while (true) {
    ++stats.syscalls;
    const ssize_t n = stream
                          ? ::read(fd, buffer.data(), want)
                          : ::pread(fd, buffer.data(), want,
                                    static_cast<off_t>(push.file_position()));
    if (n > 0) {
      if (stream) {
        transfer.stash.assign(buffer.data(), static_cast<size_t>(n));
        data = transfer.stash;
      } else {
        data = absl::string_view(buffer.data(), static_cast<size_t>(n));
      }
      return WriteStep::kDone;
    }
    if (n == 0) {
      eof = true;
      data = {};
      return WriteStep::kDone;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WriteStep::kSourceDry;
    push.outcome.error = ErrnoStatus(errno, stream ? "read" : "pread", fd,
                                     push.file_position());
    return WriteStep::kFailed;
  }
}

class ReadSendBackend final : public ReadinessBackend {
 public:
  ReadSendBackend(std::unique_ptr<Readiness> readiness, EngineStats& stats)
      : ReadinessBackend(std::move(readiness), stats) {}

  BackendKind kind() const override { return BackendKind::kReadSend; }

 private:
  WriteStep Write(TransferState& transfer) override {
    return CopyWrite(transfer, buffer_, stats());
  }

  std::vector<char> buffer_;
};

}  // namespace

WriteStep CopyWrite(TransferState& transfer, std::vector<char>& buffer,
                    EngineStats& stats) {
  PushProgress& push = transfer.push;
  PushOutcome& outcome = push.outcome;
  const int socket_fd = transfer.endpoints.socket_fd;
  while (true) {
    absl::string_view data;
    bool eof = false;
    if (const WriteStep read = ReadChunk(transfer, buffer, stats, data, eof);
        read != WriteStep::kDone) {
      return read;
    }
    const absl::string_view header = push.header_left();
    // The trailer joins only the call that carries the last file bytes.
    const absl::string_view trailer =
        !eof && data.size() == push.file_left() ? push.trailer_left()
                                                : absl::string_view();
    iovec iov[3];
    int count = 0;
    for (const absl::string_view part : {header, data, trailer}) {
      if (part.empty()) continue;
      iov[count].iov_base = const_cast<char*>(part.data());
      iov[count].iov_len = part.size();
      ++count;
    }
    if (count == 0) {
      outcome.file_ended = eof;
      return WriteStep::kDone;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    int flags = 0;
#ifdef MSG_NOSIGNAL
    flags |= MSG_NOSIGNAL;
#endif
    ++stats.syscalls;
    ssize_t sent = ::sendmsg(socket_fd, &message, flags);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return WriteStep::kSocketFull;
      }
      outcome.error =
          ErrnoStatus(errno, "sendmsg", socket_fd, push.file_position());
      return WriteStep::kFailed;
    }
    uint64_t left = static_cast<uint64_t>(sent);
    const uint64_t header_part = std::min<uint64_t>(left, header.size());
    outcome.header_bytes += header_part;
    left -= header_part;
    const uint64_t data_part = std::min<uint64_t>(left, data.size());
    outcome.file_bytes += data_part;
    left -= data_part;
    outcome.trailer_bytes += left;
    if (transfer.endpoints.source == SourceKind::kStream) {
      transfer.stash.erase(0, static_cast<size_t>(data_part));
    }
    // A short sendmsg on a non-blocking socket means its buffer is full.
    if (header_part < header.size() || data_part < data.size() ||
        left < trailer.size()) {
      return WriteStep::kSocketFull;
    }
    if (eof) {
      outcome.file_ended = true;
      return WriteStep::kDone;
    }
    if (push.file_left() == 0 && push.trailer_left().empty()) {
      return WriteStep::kDone;
    }
  }
}

absl::StatusOr<std::unique_ptr<Backend>> CreateReadSendBackend(
    EngineStats& stats) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Readiness> readiness,
                          Readiness::Create(stats));
  return std::make_unique<ReadSendBackend>(std::move(readiness), stats);
}

}  // namespace sluice::internal
