// Copyright 2026 The sluice Authors.

#include "engine/uring_backend.h"

#include "absl/status/status.h"
#include "engine/sluice_config.h"

#if SLUICE_HAVE_IO_URING

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/cpu_share.h"
#include "engine/data_path_policy.h"
#include "engine/residency.h"
#include "engine/slot_table.h"
#include "engine/status_macros.h"
#include "engine/uring_copy_path.h"
#include "engine/uring_file_path.h"
#include "engine/uring_ring.h"
#include "engine/uring_sendfile_path.h"
#include "engine/uring_splice_path.h"
#include "engine/uring_stream_splice_path.h"
#include "engine/uring_transfer.h"

namespace sluice::internal {
namespace {

class UringBackend final : public Backend {
 public:
  UringBackend(std::unique_ptr<UringRing> ring, const EngineOptions& options,
               EngineStats& stats)
      : ring_(std::move(ring)),
        options_(options),
        stats_(stats),
        cpu_share_(options.cpus_per_engine),
        residency_(options.avoid_cold_reads, stats),
        pipes_(options.max_pipes, options.pipe_size),
        splice_(pipes_),
        stream_splice_(pipes_) {}

  BackendKind kind() const override { return BackendKind::kIoUring; }

  BackendHandle Open(TransferId id,
                     const TransferEndpoints& endpoints) override {
    const BackendHandle handle = transfers_.Add();
    UringTransfer& t = transfers_[handle];
    t.Open(id, handle, endpoints);
    t.generation = transfers_.generation(handle);
    t.copy_only = options_.uring_data_path == DataPath::kCopy;
    return handle;
  }

  void Push(BackendHandle handle, const PushRequest& request) override {
    UringTransfer& t = transfers_[handle];
    t.StartPush(request);
    t.cancel_requested = false;
    t.step_path = DataPath::kAuto;
    fresh_.push_back(handle);
  }

  void Cancel(BackendHandle handle) override {
    UringTransfer& t = transfers_[handle];
    if (!t.push_pending || t.cancel_requested) return;
    t.cancel_requested = true;
    if (t.in_flight == 0) {
      // Not started yet: the next Wait() ends it.
      fresh_.push_back(handle);
      return;
    }
    SendCancels(t);
  }

  void Close(BackendHandle handle) override {
    splice_.EndPush(transfers_[handle]);
    transfers_.Remove(handle);
  }

  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override {
    const unsigned workers = options_.iowq_max_workers != 0
                                 ? options_.iowq_max_workers
                                 : cpu_share_.cpus_per_engine();
    SLUICE_RETURN_IF_ERROR(ring_->EnableOnce(workers));
    ring_->ClearWake();
    LazySigpipeBlock sigpipe;
    UringTurn turn{*ring_, stats_, sigpipe, outcomes};

    trying_.swap(fresh_);
    for (const BackendHandle handle : trying_) {
      UringTransfer& t = transfers_[handle];
      if (t.cancels_unsent) SendCancels(t);
      if (t.push_pending && t.in_flight == 0) Advance(t, turn);
    }
    trying_.clear();

    absl::Status status =
        ring_->Pump(outcomes.empty() ? timeout : absl::ZeroDuration(),
                    [&](uint64_t user_data, int result) {
                      Complete(user_data, result, turn);
                    });
    return status;
  }

  absl::StatusOr<int> WakeFd() override { return ring_->WakeFd(); }

 private:
  // The path for the next file bytes of `t`'s push.
  DataPath PathFor(UringTransfer& t) {
    if (t.copy_only) return DataPath::kCopy;
    // Bytes a short step left in the pipe or the buffer go out before
    // anything else, by the path that holds them.
    if (t.splice.in_pipe > 0) return DataPath::kSplice;
    if (!t.copy.buffer.empty()) return DataPath::kCopy;
    DataPathInputs inputs{
        .requested = options_.uring_data_path,
        .source = t.endpoints.source,
        .size_hint = t.endpoints.size_hint,
        .splice_min_bytes = options_.splice_min_bytes,
        .open_transfers = transfers_.live(),
        .cpus_per_engine = cpu_share_.cpus_per_engine(),
    };
    DataPath path = ChooseDataPath(inputs);
    if (ReadsOnEngineThread(path)) {
      inputs.resident = IsResident(t);
      if (!inputs.resident) path = ChooseDataPath(inputs);
    }
    return path;
  }

  // Whether the rest of `t`'s push may be read on the engine thread; a
  // cold answer marks the push, and the transfer for good.
  bool IsResident(UringTransfer& t) {
    if (!t.cold_source &&
        residency_.IsResident(t.endpoints, t.push.file_position(),
                              t.push.file_left())) {
      return true;
    }
    t.cold = t.cold_source = true;
    return false;
  }

  UringFilePath& Path(const UringTransfer& t, DataPath path) {
    switch (path) {
      case DataPath::kSplice:
        // A stream splices on the engine thread (its fds never block),
        // unless kSplice was forced: see uring_stream_splice_path.h.
        if (t.endpoints.source == SourceKind::kStream &&
            options_.uring_data_path != DataPath::kSplice) {
          return stream_splice_;
        }
        return splice_;
      case DataPath::kCopy:
        return copy_;
      case DataPath::kAuto:
      case DataPath::kSendfile:
        break;
    }
    return sendfile_;
  }

  // Moves the push on until a request is in flight or the push ends:
  // header, then the file part by the chosen path, then the trailer.
  void Advance(UringTransfer& t, UringTurn& turn) {
    while (t.in_flight == 0) {
      PushProgress& push = t.push;
      if (t.cancel_requested || !push.outcome.error.ok()) {
        Finish(t, turn);
        return;
      }
      if (t.socket_full) {
        // The last push ended on a full socket: wait for room first.
        t.socket_full = false;
        ArmPoll(t, t.endpoints.socket_fd, POLLOUT, UringOp::kPollOut);
        return;
      }
      const bool file_pending = push.file_pending();
      const DataPath path = file_pending ? PathFor(t) : DataPath::kAuto;
      if (file_pending) {
        const PathStep whole = Path(t, path).AdvanceWhole(t, turn);
        if (whole != PathStep::kDeclined) {
          t.step_path = path;
          if (!Continue(t, turn, whole)) return;
          continue;
        }
      }
      if (!push.header_left().empty()) {
        SendPart(t, UringOp::kHeader, push.header_left(),
                 push.more_after_header() ? MSG_MORE : 0);
        return;
      }
      if (file_pending) {
        t.step_path = path;
        PathStep step = Path(t, path).Advance(t, turn);
        if (step == PathStep::kDeclined) {
          // No pipe free: inline sendfile takes the step, unless the
          // source is a stream or the range is cold (then the copy path,
          // off the thread).
          t.step_path =
              t.endpoints.source == SourceKind::kRegularFile && IsResident(t)
                  ? DataPath::kSendfile
                  : DataPath::kCopy;
          step = Path(t, t.step_path).Advance(t, turn);
        }
        if (!Continue(t, turn, step)) return;
        continue;
      }
      // A source that ended early leaves the trailer to a push of its own,
      // if the scheduler decides one is due.
      if (!push.outcome.file_ended && !push.trailer_left().empty()) {
        SendPart(t, UringOp::kTrailer, push.trailer_left(), 0);
        return;
      }
      Finish(t, turn);
      return;
    }
  }

  // Acts on what a path did; true when the push can go on at once.
  bool Continue(UringTransfer& t, UringTurn& turn, PathStep step) {
    switch (step) {
      case PathStep::kProgress:
      case PathStep::kFailed:  // Advance() finishes the push
        return true;
      case PathStep::kUnsupported:
        t.copy_only = true;
        return true;
      case PathStep::kSocketFull:
        ++stats_.would_block;
        if (t.cancel_requested) return true;
        // A push that moved bytes ends here, as the readiness backends'
        // do, so the scheduler sees the progress now (its idle timer and
        // minimum rate would otherwise wait up to a whole quantum); the
        // next push waits for room without trying first.
        if (t.push.moved_bytes()) {
          t.socket_full = true;
          Finish(t, turn);
          return false;
        }
        ArmPoll(t, t.endpoints.socket_fd, POLLOUT, UringOp::kPollOut);
        return false;
      case PathStep::kSourceDry:
        if (t.cancel_requested) return true;
        // The same for a relay whose upstream paused after sending.
        if (t.push.moved_bytes()) {
          Finish(t, turn);
          return false;
        }
        ArmPoll(t, t.endpoints.file_fd, POLLIN, UringOp::kPollIn);
        return false;
      case PathStep::kNoRoom:
        Retry(t);
        return false;
      case PathStep::kInFlight:
      case PathStep::kDeclined:
        break;
    }
    return false;
  }

  void Complete(uint64_t user_data, int result, UringTurn& turn) {
    const UringRequestName name = DecodeUserData(user_data);
    if (name.op == UringOp::kCancel || name.op == UringOp::kNone ||
        name.op == UringOp::kReadAhead) {
      return;
    }
    UringTransfer* found = transfers_.Find(name.index, name.generation);
    if (found == nullptr || (found->in_flight & OpBit(name.op)) == 0) return;
    UringTransfer& t = *found;
    t.in_flight &= ~OpBit(name.op);

    PathStep step = PathStep::kProgress;
    switch (name.op) {
      case UringOp::kHeader:
        step = ApplySendResult(t, result, t.push.outcome.header_bytes, "send");
        break;
      case UringOp::kTrailer:
        step = ApplySendResult(t, result, t.push.outcome.trailer_bytes, "send");
        break;
      case UringOp::kSpliceIn:
      case UringOp::kSpliceOut:
        step = splice_.Complete(t, name.op, result, turn);
        break;
      case UringOp::kRead:
      case UringOp::kFileSend:
      case UringOp::kSendMsg:
        step = copy_.Complete(t, name.op, result, turn);
        break;
      case UringOp::kPollOut:
      case UringOp::kPollIn:
        // Ready, or in error: the next call tells which.
      case UringOp::kCancel:
      case UringOp::kNone:
      case UringOp::kReadAhead:
        break;
    }
    if (Continue(t, turn, step)) Advance(t, turn);
  }

  // Asks the kernel to stop each request of `t` in flight; the push ends
  // when every one is back, cancelled or not (a cancel answered -EALREADY
  // still completes its target later). Without room for the cancels, the
  // next Wait() sends them.
  void SendCancels(UringTransfer& t) {
    t.cancels_unsent = false;
    for (const UringOp op : kTransferOps) {
      if ((t.in_flight & OpBit(op)) == 0) continue;
      io_uring_sqe* sqe = ring_->GetSqe();
      if (sqe == nullptr) {
        t.cancels_unsent = true;
        Retry(t);
        return;
      }
      io_uring_prep_cancel64(
          sqe, UringUserData(t.handle.index(), t.generation, op), 0);
      io_uring_sqe_set_data64(
          sqe, UringUserData(t.handle.index(), t.generation, UringOp::kCancel));
    }
  }

  void SendPart(UringTransfer& t, UringOp op, absl::string_view data,
                int flags) {
    io_uring_sqe* sqe = ring_->GetSqe();
    if (sqe == nullptr) {
      Retry(t);
      return;
    }
    io_uring_prep_send(sqe, t.endpoints.socket_fd, data.data(), data.size(),
                       flags | MSG_NOSIGNAL | MSG_DONTWAIT);
    Track(t, sqe, op);
  }

  // The one re-arm of readiness for every path: a socket that was full, or
  // a stream source that was dry.
  void ArmPoll(UringTransfer& t, int fd, unsigned mask, UringOp op) {
    io_uring_sqe* sqe = ring_->GetSqe();
    if (sqe == nullptr) {
      Retry(t);
      return;
    }
    io_uring_prep_poll_add(sqe, fd, mask);
    Track(t, sqe, op);
  }

  // No SQE could be had even after a submit: try again next Wait().
  void Retry(UringTransfer& t) { fresh_.push_back(t.handle); }

  // Reports the push; a push ends only inside Wait() (Cancel() of one
  // with nothing in flight leaves it to the next).
  void Finish(UringTransfer& t, UringTurn& turn) {
    PushOutcome& outcome = t.push.outcome;
    if (t.endpoints.source == SourceKind::kStream) {
      // Lost with the pipe or buffer if the transfer ends now.
      outcome.held_bytes = t.copy.buffer.pending().size() + t.splice.in_pipe;
      t.copy.buffer.FreeIfEmpty();
    }
    // A pipe holding bytes (the socket filled) stays with the transfer:
    // they are the next bytes to send, and for a stream they exist nowhere
    // else. Close() lets it go.
    if (t.splice.in_pipe == 0) splice_.EndPush(t);
    outcome.cancelled = t.cancel_requested;
    outcome.carrier =
        t.copy_only ? BackendKind::kReadSend : BackendKind::kIoUring;
    outcome.data_path = t.step_path;
    turn.outcomes.push_back(t.EndPush());
  }

  // Destroyed last: the pipes the transfers and the splice path hold must
  // close before the ring, which the kernel may still have them in
  // requests of (by then every request has completed).
  std::unique_ptr<UringRing> ring_;
  const EngineOptions options_;
  EngineStats& stats_;
  CpuShare cpu_share_;
  ResidencyProbe residency_;
  // The splice paths' pipes, and the paths.
  PipePool pipes_;
  UringSendfilePath sendfile_;
  UringSplicePath splice_;
  UringStreamSplicePath stream_splice_;
  UringCopyPath copy_;
  SlotTable<UringTransfer> transfers_;
  std::vector<BackendHandle> fresh_;
  std::vector<BackendHandle> trying_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions& options, EngineStats& stats) {
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<UringRing> ring,
                          UringRing::Create(options.queue_depth, stats));
  return std::make_unique<UringBackend>(std::move(ring), options, stats);
}

}  // namespace sluice::internal

#else  // !SLUICE_HAVE_IO_URING

namespace sluice::internal {

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions&, EngineStats&) {
  return absl::UnimplementedError(
      "the io_uring backend is not built (liburing missing or "
      "-Dlinux_backends=false)");
}

}  // namespace sluice::internal

#endif  // SLUICE_HAVE_IO_URING
