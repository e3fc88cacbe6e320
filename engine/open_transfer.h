// Copyright 2026 The sluice Authors.
//
// OpenTransfer: what every backend keeps for a transfer it has open, and
// the steps of a push's life that are the same in every backend. Each
// backend's own state derives from it (ReadinessTransfer, UringTransfer).

#ifndef SLUICE_ENGINE_OPEN_TRANSFER_H_
#define SLUICE_ENGINE_OPEN_TRANSFER_H_

#include "engine/backend.h"
#include "engine/push_progress.h"

namespace sluice::internal {

struct OpenTransfer {
  TransferId id;
  BackendHandle handle;
  TransferEndpoints endpoints;
  // File bytes have gone out, so the data path can no longer change.
  bool file_started = false;
  bool push_pending = false;
  // This push's range was found not in the page cache.
  bool cold = false;
  // A range of this transfer was: the rest goes the cold way without
  // asking again. Once a cold file is read sequentially, the kernel's
  // readahead puts pages in the cache before their data arrives, and
  // cachestat(2) counts them resident though a read of them still waits
  // for the storage.
  bool cold_source = false;
  PushProgress push;

  void Open(TransferId transfer, BackendHandle own,
            const TransferEndpoints& fds) {
    id = transfer;
    handle = own;
    endpoints = fds;
  }
  void StartPush(const PushRequest& request) {
    push.request = request;
    push.outcome = PushOutcome();
    push.outcome.id = request.id;
    push_pending = true;
    cold = false;
  }
  // The push is over; its outcome is ready to report.
  const PushOutcome& EndPush() {
    push_pending = false;
    if (push.outcome.file_bytes > 0) file_started = true;
    push.outcome.cold = cold;
    return push.outcome;
  }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_OPEN_TRANSFER_H_
