// Copyright 2026 The sluice Authors.

#include "engine/readiness_backend.h"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "engine/errno_status.h"

namespace sluice::internal {

WriteStep SendSome(int socket_fd, absl::string_view data, int flags,
                   uint64_t& sent, PushProgress& push, EngineStats& stats) {
#ifdef MSG_NOSIGNAL
  flags |= MSG_NOSIGNAL;
#endif
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

void ReadinessBackend::Open(TransferId id, const TransferEndpoints& endpoints) {
  const uint32_t slot = SlotOf(id);
  if (slot >= transfers_.size()) transfers_.resize(slot + 1);
  TransferState& transfer = transfers_[slot];
  transfer = TransferState();
  transfer.id = id;
  transfer.endpoints = endpoints;
  transfer.copying = endpoints.source == SourceKind::kStream;
}

void ReadinessBackend::Push(const PushRequest& request) {
  TransferState& transfer = transfers_[SlotOf(request.id)];
  transfer.push.request = request;
  transfer.push.outcome = PushOutcome();
  transfer.push.outcome.id = request.id;
  transfer.push_pending = true;
  fresh_.push_back(SlotOf(request.id));
}

void ReadinessBackend::Cancel(TransferId id) {
  TransferState& transfer = transfers_[SlotOf(id)];
  if (transfer.id != id || !transfer.push_pending) return;
  // Calls here are synchronous, so a pending push has moved nothing that was
  // not reported: it can end right away. Its watch may still fire; the event
  // then finds no parked push and is ignored.
  transfer.push_pending = false;
  transfer.parked = false;
  transfer.push.outcome.cancelled = true;
  cancelled_.push_back(transfer.push.outcome);
}

void ReadinessBackend::Close(TransferId id) {
  TransferState& transfer = transfers_[SlotOf(id)];
  if (transfer.id != id) return;
  readiness_->Forget(transfer.endpoints.socket_fd, Interest::kWritable);
  if (transfer.endpoints.source == SourceKind::kStream) {
    readiness_->Forget(transfer.endpoints.file_fd, Interest::kReadable);
  }
  transfer = TransferState();
}

absl::Status ReadinessBackend::Wait(absl::Duration timeout,
                                    std::vector<PushOutcome>& outcomes) {
  outcomes.insert(outcomes.end(), cancelled_.begin(), cancelled_.end());
  cancelled_.clear();

  trying_.swap(fresh_);
  for (const uint32_t slot : trying_) {
    TransferState& transfer = transfers_[slot];
    if (transfer.push_pending && !transfer.parked) Attempt(transfer, outcomes);
  }
  trying_.clear();

  return readiness_->Wait(
      outcomes.empty() ? timeout : absl::ZeroDuration(), [&](uint64_t token) {
        const TransferId id(token);
        const uint32_t slot = SlotOf(id);
        if (slot >= transfers_.size()) return;
        TransferState& transfer = transfers_[slot];
        if (transfer.id != id) return;
        transfer.socket_full = false;
        if (!transfer.parked) return;
        transfer.parked = false;
        Attempt(transfer, outcomes);
      });
}

void ReadinessBackend::Attempt(TransferState& transfer,
                               std::vector<PushOutcome>& outcomes) {
  const int socket_fd = transfer.endpoints.socket_fd;
  if (transfer.socket_full) {
    Park(transfer, socket_fd, Interest::kWritable, outcomes);
    return;
  }
  switch (Write(transfer)) {
    case WriteStep::kDone:
    case WriteStep::kFailed:
    case WriteStep::kUnsupported:  // Write() falls back before returning it
      Finish(transfer, outcomes);
      return;
    case WriteStep::kSocketFull:
      ++stats_.would_block;
      transfer.socket_full = true;
      // Report progress now, so the idle timer sees it; the next push of
      // this transfer parks without trying.
      if (transfer.push.moved_bytes()) {
        Finish(transfer, outcomes);
      } else {
        Park(transfer, socket_fd, Interest::kWritable, outcomes);
      }
      return;
    case WriteStep::kSourceDry:
      if (transfer.push.moved_bytes()) {
        Finish(transfer, outcomes);
      } else {
        Park(transfer, transfer.endpoints.file_fd, Interest::kReadable,
             outcomes);
      }
      return;
  }
}

void ReadinessBackend::Park(TransferState& transfer, int fd, Interest interest,
                            std::vector<PushOutcome>& outcomes) {
  absl::Status watched = readiness_->Watch(fd, interest, transfer.id.value());
  if (!watched.ok()) {
    transfer.push.outcome.error = std::move(watched);
    Finish(transfer, outcomes);
    return;
  }
  transfer.parked = true;
}

void ReadinessBackend::Finish(TransferState& transfer,
                              std::vector<PushOutcome>& outcomes) {
  transfer.push_pending = false;
  if (transfer.push.outcome.file_bytes > 0) transfer.file_started = true;
  transfer.push.outcome.carrier =
      transfer.copying ? BackendKind::kReadSend : kind();
  outcomes.push_back(transfer.push.outcome);
}

}  // namespace sluice::internal
