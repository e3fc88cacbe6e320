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
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/backend.h"
#include "engine/copy_buffer.h"
#include "engine/open_transfer.h"
#include "engine/push_progress.h"
#include "engine/readiness.h"
#include "engine/sigpipe_block.h"
#include "engine/slot_table.h"

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
  // Bytes read from a stream source that the socket has not taken yet.
  CopyBuffer pending;
};

class ReadinessBackend : public Backend {
 public:
  // Creates a readiness backend of type `B` over the best waiter here.
  template <typename B>
  static absl::StatusOr<std::unique_ptr<Backend>> Create(EngineStats& stats) {
    absl::StatusOr<std::unique_ptr<Readiness>> readiness =
        Readiness::Create(stats);
    if (!readiness.ok()) return readiness.status();
    return std::make_unique<B>(*std::move(readiness), stats);
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
  ReadinessBackend(std::unique_ptr<Readiness> readiness, EngineStats& stats)
      : readiness_(std::move(readiness)), stats_(stats) {}

  // Moves what it can of `transfer.push` with the backend's calls. A call
  // that may raise SIGPIPE (sendfile) takes `sigpipe.Get()` first.
  virtual WriteStep Write(ReadinessTransfer& transfer,
                          LazySigpipeBlock& sigpipe) = 0;

  // The copy path, for the read+send backend and the fallback.
  WriteStep CopyWrite(ReadinessTransfer& transfer);

  EngineStats& stats() { return stats_; }

 private:
  void Attempt(ReadinessTransfer& transfer, LazySigpipeBlock& sigpipe,
               std::vector<PushOutcome>& outcomes);
  void Park(ReadinessTransfer& transfer, int fd, Interest interest,
            std::vector<PushOutcome>& outcomes);
  void Finish(ReadinessTransfer& transfer, std::vector<PushOutcome>& outcomes);

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
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READINESS_BACKEND_H_
