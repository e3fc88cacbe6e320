// Copyright 2026 The sluice Authors.
//
// ReadinessBackend: the part the sendfile and read+send backends share. A
// push is tried at once, in the next Wait(); when the socket is full (or a
// pipe source is empty) it is parked on a one-shot readiness watch and tried
// again when that fd is ready. A push ends, with one outcome, when its budget
// is sent, the source ends, the OS fails, or the socket fills after some
// progress. The subclass makes the actual calls, in the shape of nginx's
// send_chain: "here is the data and a budget; report progress, would-block
// or error".

#ifndef SLUICE_ENGINE_READINESS_BACKEND_H_
#define SLUICE_ENGINE_READINESS_BACKEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/cold_reader.h"
#include "engine/copy_buffer.h"
#include "engine/open_transfer.h"
#include "engine/pipe_pool.h"
#include "engine/push_progress.h"
#include "engine/readiness.h"
#include "engine/residency.h"
#include "engine/sigpipe_block.h"
#include "engine/slot_table.h"
#include "engine/splice_stream.h"
#include "sluice/engine.h"

namespace sluice::internal {

// What a readiness backend keeps per transfer.
struct ReadinessTransfer : OpenTransfer {
  // The file bytes go by read+send: the backend has no other path, the
  // source is a stream, or the zero-copy path refused it before its first
  // file byte.
  bool copying = false;
  bool parked = false;
  // The last write found the socket full and no writability event came
  // since: the next push parks without trying.
  bool socket_full = false;
  // Bytes read from a stream source that the socket has not taken yet: in
  // a buffer (copied) or in a pipe (spliced). Only one holds bytes at a
  // time, so they leave in the order they came.
  CopyBuffer pending;
  StreamPipe stream_pipe;
  // The path this push's file bytes took (kAuto: the backend's usual).
  DataPath push_path = DataPath::kAuto;
  // Cold reads: this push's range is being read by the I/O threads, or
  // has been (so the push goes on without asking again), and a Cancel()
  // came while it was (the outcome waits for the read: the fd must stay
  // open until then).
  bool warming = false;
  bool warmed = false;
  bool cancel_when_warmed = false;
};

class ReadinessBackend : public Backend {
 public:
  // Creates a readiness backend of type `B` over the best waiter here.
  template <typename B>
  static absl::StatusOr<std::unique_ptr<Backend>> Create(
      const EngineOptions& options, EngineStats& stats) {
    absl::StatusOr<std::unique_ptr<Readiness>> readiness =
        Readiness::Create(stats);
    if (!readiness.ok()) return readiness.status();
    return std::make_unique<B>(*std::move(readiness), options, stats);
  }

  BackendHandle Open(TransferId id,
                     const TransferEndpoints& endpoints) override;
  void Push(BackendHandle handle, const PushRequest& request) override;
  void Cancel(BackendHandle handle) override;
  void Close(BackendHandle handle) override;
  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override;
  absl::StatusOr<int> WakeFd() override;

 protected:
  ReadinessBackend(std::unique_ptr<Readiness> readiness,
                   const EngineOptions& options, EngineStats& stats)
      : readiness_(std::move(readiness)),
        stats_(stats),
        residency_(options.avoid_cold_reads && options.cold_read_threads > 0,
                   stats),
        cold_read_threads_(options.cold_read_threads),
        max_pipes_(options.max_pipes),
        pipe_size_(options.pipe_size) {}

  // Moves what it can of `transfer.push` with the backend's calls. A call
  // that may raise SIGPIPE (sendfile) takes `sigpipe.Get()` first.
  virtual WriteStep Write(ReadinessTransfer& transfer,
                          LazySigpipeBlock& sigpipe) = 0;

  // The copy path, for the read+send backend and the fallback.
  WriteStep CopyWrite(ReadinessTransfer& transfer);
  // A stream source's file part through a pipe (splice_stream.h); copies
  // instead where no pipe is free or splice cannot read the source.
  WriteStep SpliceWrite(ReadinessTransfer& transfer, LazySigpipeBlock& sigpipe);

  EngineStats& stats() { return stats_; }

 private:
  void Attempt(ReadinessTransfer& transfer, LazySigpipeBlock& sigpipe,
               std::vector<PushOutcome>& outcomes);
  void Park(ReadinessTransfer& transfer, int fd, Interest interest,
            std::vector<PushOutcome>& outcomes);
  void Finish(ReadinessTransfer& transfer, std::vector<PushOutcome>& outcomes);
  void ReleaseEmptyPipe(ReadinessTransfer& transfer);
  // Cold reads: whether the push must wait for its range to be read off
  // the engine thread, and the reads coming back.
  bool StartWarming(ReadinessTransfer& transfer);
  void WarmingDone(LazySigpipeBlock& sigpipe,
                   std::vector<PushOutcome>& outcomes);

  std::unique_ptr<Readiness> readiness_;
  EngineStats& stats_;
  SlotTable<ReadinessTransfer> transfers_;
  // Pushes not tried yet, and the batch being tried.
  std::vector<BackendHandle> fresh_;
  std::vector<BackendHandle> trying_;
  // Outcomes of cancelled pushes, reported by the next Wait().
  std::vector<PushOutcome> cancelled_;
  // Where pread() lands for the copy path; free between calls.
  CopyBuffer scratch_;
  ResidencyProbe residency_;
  const unsigned cold_read_threads_;
  // Made on the first cold range.
  std::unique_ptr<ColdReader> cold_reader_;
  // Pipes for stream sources, made on the first one spliced.
  const size_t max_pipes_;
  const size_t pipe_size_;
  std::optional<PipePool> pipes_;
  // Pushes whose range the I/O threads are reading; whether the waiter
  // watches their eventfd.
  size_t warming_ = 0;
  bool cold_watch_armed_ = false;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READINESS_BACKEND_H_
