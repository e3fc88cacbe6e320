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
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/push_progress.h"
#include "engine/readiness.h"

namespace sluice::internal {

// Sends as much of `data` as the socket takes (send(2) with MSG_NOSIGNAL),
// adding what went out to `sent`; kDone when all of it did.
WriteStep SendSome(int socket_fd, absl::string_view data, int flags,
                   uint64_t& sent, PushProgress& push, EngineStats& stats);

// What a readiness backend keeps per transfer.
struct TransferState {
  TransferId id;
  TransferEndpoints endpoints;
  // The zero-copy path refused this source before its first file byte;
  // the rest goes by read+send.
  bool copying = false;
  // File bytes have gone out, so the path can no longer change.
  bool file_started = false;
  bool push_pending = false;
  bool parked = false;
  // The last write found the socket full and no writability event came
  // since: the next push parks without trying.
  bool socket_full = false;
  // Bytes read from a pipe source that the socket has not taken yet (a
  // pipe cannot be read again at an offset).
  std::string stash;
  PushProgress push;
};

class ReadinessBackend : public Backend {
 public:
  void Open(TransferId id, const TransferEndpoints& endpoints) override;
  void Push(const PushRequest& request) override;
  void Cancel(TransferId id) override;
  void Close(TransferId id) override;
  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override;
  int WakeFd() override { return readiness_->fd(); }

 protected:
  ReadinessBackend(std::unique_ptr<Readiness> readiness, EngineStats& stats)
      : readiness_(std::move(readiness)), stats_(stats) {}

  // Moves what it can of `transfer.push` with the backend's calls.
  virtual WriteStep Write(TransferState& transfer) = 0;

  EngineStats& stats() { return stats_; }

 private:
  void Attempt(TransferState& transfer, std::vector<PushOutcome>& outcomes);
  void Park(TransferState& transfer, int fd, Interest interest,
            std::vector<PushOutcome>& outcomes);
  void Finish(TransferState& transfer, std::vector<PushOutcome>& outcomes);

  std::unique_ptr<Readiness> readiness_;
  EngineStats& stats_;
  // Indexed by slot.
  std::vector<TransferState> transfers_;
  // Slots with a push not tried yet, and the batch being tried.
  std::vector<uint32_t> fresh_;
  std::vector<uint32_t> trying_;
  // Outcomes of cancelled pushes, reported by the next Wait().
  std::vector<PushOutcome> cancelled_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READINESS_BACKEND_H_
