// Copyright 2026 The sluice Authors.

#include "engine/readiness_backend.h"

#include <utility>

#include "engine/call_timer.h"
#include "engine/copy_write.h"

namespace sluice::internal {
namespace {

// The waiter's token for the cold-read eventfd; a transfer's token always
// has a nonzero generation in its high half.
constexpr uint64_t kColdReadsToken = 0;

uint64_t HeldBytes(const ReadinessTransfer& transfer) {
  return transfer.pending.pending().size() + transfer.stream_pipe.in_pipe;
}

}  // namespace

BackendHandle ReadinessBackend::Open(TransferId id,
                                     const TransferEndpoints& endpoints) {
  const BackendHandle handle = transfers_.Add();
  ReadinessTransfer& transfer = transfers_[handle];
  transfer.Open(id, handle, endpoints);
  // The read+send backend copies everything; the sendfile backend splices
  // streams (SpliceWrite) and sends files.
  transfer.copying = kind() == BackendKind::kReadSend;
  return handle;
}

void ReadinessBackend::Push(BackendHandle handle, const PushRequest& request) {
  transfers_[handle].StartPush(request);
  fresh_.push_back(handle);
}

void ReadinessBackend::Cancel(BackendHandle handle) {
  ReadinessTransfer& transfer = transfers_[handle];
  if (!transfer.push_pending) return;
  if (transfer.warming) {
    transfer.cancel_when_warmed = true;
    return;
  }
  // Calls here are synchronous, so a pending push has moved nothing that was
  // not reported: it can end right away. Its watch may still fire; the event
  // then finds no parked push and is ignored.
  transfer.push_pending = false;
  transfer.parked = false;
  transfer.push.outcome.cancelled = true;
  transfer.push.outcome.held_bytes = HeldBytes(transfer);
  cancelled_.push_back(transfer.push.outcome);
}

void ReadinessBackend::Close(BackendHandle handle) {
  ReadinessTransfer& transfer = transfers_[handle];
  if (transfer.stream_pipe.pipe.has_value()) {
    pipes_->Release(*std::move(transfer.stream_pipe.pipe),
                    /*may_hold_bytes=*/transfer.stream_pipe.in_pipe > 0);
  }
  readiness_->Forget(transfer.endpoints.socket_fd, Interest::kWritable);
  if (transfer.endpoints.source == SourceKind::kStream) {
    readiness_->Forget(transfer.endpoints.file_fd, Interest::kReadable);
  }
  transfers_.Remove(handle);
}

absl::StatusOr<int> ReadinessBackend::WakeFd() {
  const int fd = readiness_->fd();
  if (fd < 0) {
    return absl::UnimplementedError(
        "poll(2) readiness has no fd to wait on (no epoll in this build)");
  }
  return fd;
}

absl::Status ReadinessBackend::Wait(absl::Duration timeout,
                                    std::vector<PushOutcome>& outcomes) {
  outcomes.insert(outcomes.end(), cancelled_.begin(), cancelled_.end());
  cancelled_.clear();
  // sendfile(2) takes no MSG_NOSIGNAL: see sigpipe_block.h.
  LazySigpipeBlock sigpipe;
  // A cold-read watch that could not be re-armed is retried here, so the
  // reads in flight are not forgotten.
  if (warming_ > 0 && !cold_watch_armed_ &&
      readiness_
          ->Watch(cold_reader_->fd(), Interest::kReadable, kColdReadsToken)
          .ok()) {
    cold_watch_armed_ = true;
  }

  trying_.swap(fresh_);
  for (const BackendHandle handle : trying_) {
    ReadinessTransfer& transfer = transfers_[handle];
    if (transfer.push_pending && !transfer.parked) {
      Attempt(transfer, sigpipe, outcomes);
    }
  }
  trying_.clear();

  return readiness_->Wait(
      outcomes.empty() ? timeout : absl::ZeroDuration(), [&](uint64_t token) {
        if (token == kColdReadsToken) {
          WarmingDone(sigpipe, outcomes);
          return;
        }
        ReadinessTransfer* transfer = transfers_.FromToken(token);
        if (transfer == nullptr) return;
        transfer->socket_full = false;
        if (!transfer->parked) return;
        transfer->parked = false;
        Attempt(*transfer, sigpipe, outcomes);
      });
}

WriteStep ReadinessBackend::CopyWrite(ReadinessTransfer& transfer) {
  transfer.push_path = DataPath::kCopy;
  return internal::CopyWrite(transfer.endpoints, transfer.push,
                             transfer.pending, scratch_, stats_);
}

WriteStep ReadinessBackend::SpliceWrite(ReadinessTransfer& transfer,
                                        LazySigpipeBlock& sigpipe) {
  StreamPipe& state = transfer.stream_pipe;
  if (!transfer.pending.empty()) return CopyWrite(transfer);
  if (!state.pipe.has_value()) {
    if (!pipes_.has_value()) pipes_.emplace(max_pipes_, pipe_size_);
    state.pipe = pipes_->Acquire();
    // No pipe free: this push copies; the next may find one.
    if (!state.pipe.has_value()) return CopyWrite(transfer);
  }
  transfer.push_path = DataPath::kSplice;
  const WriteStep step =
      SpliceStream(transfer.endpoints, transfer.push, *state.pipe,
                   state.in_pipe, pipes_->pipe_size(), sigpipe.Get(), stats_);
  if (step == WriteStep::kSourceDry) ReleaseEmptyPipe(transfer);
  if (step != WriteStep::kUnsupported) return step;
  ReleaseEmptyPipe(transfer);
  transfer.copying = true;
  return CopyWrite(transfer);
}

// An empty pipe goes back to the pool between pushes and while the source
// is dry: a relay waiting for its upstream holds none.
void ReadinessBackend::ReleaseEmptyPipe(ReadinessTransfer& transfer) {
  StreamPipe& state = transfer.stream_pipe;
  if (!state.pipe.has_value() || state.in_pipe > 0) return;
  pipes_->Release(*std::move(state.pipe), /*may_hold_bytes=*/false);
  state.pipe.reset();
}

void ReadinessBackend::Attempt(ReadinessTransfer& transfer,
                               LazySigpipeBlock& sigpipe,
                               std::vector<PushOutcome>& outcomes) {
  if (transfer.warming || StartWarming(transfer)) return;
  const int socket_fd = transfer.endpoints.socket_fd;
  if (transfer.socket_full) {
    Park(transfer, socket_fd, Interest::kWritable, outcomes);
    return;
  }
  WriteStep step;
  {
    CallTimer timer(stats_);
    step = Write(transfer, sigpipe);
  }
  switch (step) {
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
      transfer.pending.FreeIfEmpty();
      if (transfer.push.moved_bytes()) {
        Finish(transfer, outcomes);
      } else {
        Park(transfer, transfer.endpoints.file_fd, Interest::kReadable,
             outcomes);
      }
      return;
  }
}

void ReadinessBackend::Park(ReadinessTransfer& transfer, int fd,
                            Interest interest,
                            std::vector<PushOutcome>& outcomes) {
  absl::Status watched =
      readiness_->Watch(fd, interest, transfers_.Token(transfer.handle));
  if (!watched.ok()) {
    transfer.push.outcome.error = std::move(watched);
    Finish(transfer, outcomes);
    return;
  }
  transfer.parked = true;
}

void ReadinessBackend::Finish(ReadinessTransfer& transfer,
                              std::vector<PushOutcome>& outcomes) {
  PushOutcome& outcome = transfer.push.outcome;
  outcome.held_bytes = HeldBytes(transfer);
  outcome.carrier = transfer.copying ? BackendKind::kReadSend : kind();
  transfer.warmed = false;
  if (transfer.push.request.file_budget > 0) {
    // The path the file bytes took, or would have (a push that moved only
    // header bytes): a stream splices, sendfile(2) cannot read it.
    const bool stream = transfer.endpoints.source == SourceKind::kStream;
    outcome.data_path = transfer.push_path != DataPath::kAuto
                            ? transfer.push_path
                        : transfer.copying ? DataPath::kCopy
                        : stream           ? DataPath::kSplice
                                           : DataPath::kSendfile;
  }
  transfer.push_path = DataPath::kAuto;
  ReleaseEmptyPipe(transfer);
  transfer.pending.FreeIfEmpty();
  outcomes.push_back(transfer.EndPush());
}

}  // namespace sluice::internal

namespace sluice::internal {

bool ReadinessBackend::StartWarming(ReadinessTransfer& transfer) {
  PushProgress& push = transfer.push;
  if (transfer.warmed || !push.file_pending() ||
      (!transfer.cold_source &&
       residency_.IsResident(transfer.endpoints, push.file_position(),
                             push.file_left()))) {
    return false;
  }
  if (cold_reader_ == nullptr) {
    absl::StatusOr<std::unique_ptr<ColdReader>> reader =
        ColdReader::Create(cold_read_threads_);
    // Without threads (none in this build), the range is read in place.
    if (!reader.ok()) return false;
    cold_reader_ = *std::move(reader);
  }
  if (!cold_watch_armed_) {
    if (!readiness_
             ->Watch(cold_reader_->fd(), Interest::kReadable, kColdReadsToken)
             .ok()) {
      return false;
    }
    cold_watch_armed_ = true;
  }
  cold_reader_->Warm(transfer.endpoints.file_fd, push.file_position(),
                     push.file_left(), transfer.endpoints.file_end,
                     transfers_.Token(transfer.handle));
  transfer.warming = true;
  transfer.cold = transfer.cold_source = true;
  ++warming_;
  return true;
}

void ReadinessBackend::WarmingDone(LazySigpipeBlock& sigpipe,
                                   std::vector<PushOutcome>& outcomes) {
  cold_watch_armed_ = false;
  std::vector<uint64_t> tokens;
  cold_reader_->TakeDone(tokens);
  for (const uint64_t token : tokens) {
    --warming_;
    ReadinessTransfer* transfer = transfers_.FromToken(token);
    if (transfer == nullptr) continue;
    transfer->warming = false;
    transfer->warmed = true;
    if (transfer->cancel_when_warmed) {
      transfer->cancel_when_warmed = false;
      transfer->push.outcome.cancelled = true;
      outcomes.push_back(transfer->EndPush());
      transfer->warmed = false;
      continue;
    }
    Attempt(*transfer, sigpipe, outcomes);
  }
  if (warming_ > 0 &&
      readiness_
          ->Watch(cold_reader_->fd(), Interest::kReadable, kColdReadsToken)
          .ok()) {
    cold_watch_armed_ = true;
  }
}

}  // namespace sluice::internal
