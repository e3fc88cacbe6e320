// Copyright 2026 The sluice Authors.

#include "engine/copy_write.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/errno_status.h"

namespace sluice::internal {
namespace {

int NoSignal() {
#ifdef MSG_NOSIGNAL
  return MSG_NOSIGNAL;
#else
  return 0;
#endif
}

// Makes sure the next file bytes of the push are in a buffer and sets
// `data` to them (empty at EOF, with `eof` set).
WriteStep ReadChunk(const TransferEndpoints& endpoints, PushProgress& push,
                    CopyBuffer& pending, CopyBuffer& scratch,
                    EngineStats& stats, absl::string_view& data, bool& eof) {
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(push.file_left(), kCopyChunk));
  eof = false;
  data = {};
  if (want == 0) return WriteStep::kDone;
  const bool stream = endpoints.source == SourceKind::kStream;
  if (stream && !pending.empty()) {
    // What an earlier call read may exceed a smaller later budget.
    data = pending.pending().substr(0, want);
    return WriteStep::kDone;
  }
  CopyBuffer& buffer = stream ? pending : scratch;
  char* room = buffer.PrepareRead(want);
  const int fd = endpoints.file_fd;
  while (true) {
    ++stats.syscalls;
    const ssize_t n =
        stream
            ? ::read(fd, room, want)
            : ::pread(fd, room, want, static_cast<off_t>(push.file_position()));
    if (n > 0) {
      buffer.Filled(static_cast<size_t>(n));
      data = buffer.pending();
      return WriteStep::kDone;
    }
    if (n == 0) {
      eof = true;
      return WriteStep::kDone;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WriteStep::kSourceDry;
    push.outcome.error =
        ErrnoStatus(errno, stream ? "read" : "pread", fd, push.file_position());
    return WriteStep::kFailed;
  }
}

}  // namespace

WriteStep CopyWrite(const TransferEndpoints& endpoints, PushProgress& push,
                    CopyBuffer& pending, CopyBuffer& scratch,
                    EngineStats& stats) {
  const int socket_fd = endpoints.socket_fd;
  while (true) {
    absl::string_view data;
    bool eof = false;
    if (const WriteStep read =
            ReadChunk(endpoints, push, pending, scratch, stats, data, eof);
        read != WriteStep::kDone) {
      return read;
    }
    const absl::string_view header = push.header_left();
    // The trailer joins only the call that carries the last file bytes.
    const absl::string_view trailer = !eof && data.size() == push.file_left()
                                          ? push.trailer_left()
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
      push.outcome.file_ended = eof;
      return WriteStep::kDone;
    }
    msghdr message{};
    message.msg_iov = iov;
    message.msg_iovlen = count;
    ++stats.syscalls;
    const ssize_t sent = ::sendmsg(socket_fd, &message, NoSignal());
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return WriteStep::kSocketFull;
      }
      push.outcome.error =
          ErrnoStatus(errno, "sendmsg", socket_fd, push.file_position());
      return WriteStep::kFailed;
    }
    const SentParts parts =
        push.RecordSend(static_cast<uint64_t>(sent), header.size(), data.size(),
                        trailer.size());
    if (endpoints.source == SourceKind::kStream) {
      pending.Consume(static_cast<size_t>(parts.data));
    }
    if (parts.short_send) return WriteStep::kSocketFull;
    if (eof) {
      push.outcome.file_ended = true;
      return WriteStep::kDone;
    }
    if (push.file_left() == 0 && push.trailer_left().empty()) {
      return WriteStep::kDone;
    }
  }
}

WriteStep SendSome(int socket_fd, absl::string_view data, int flags,
                   uint64_t& sent, PushProgress& push, EngineStats& stats) {
  flags |= NoSignal();
  while (!data.empty()) {
    ++stats.syscalls;
    const ssize_t n = ::send(socket_fd, data.data(), data.size(), flags);
    if (n >= 0) {
      sent += static_cast<uint64_t>(n);
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WriteStep::kSocketFull;
    push.outcome.error =
        ErrnoStatus(errno, "send", socket_fd, push.file_position());
    return WriteStep::kFailed;
  }
  return WriteStep::kDone;
}

}  // namespace sluice::internal
