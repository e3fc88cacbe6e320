// Copyright 2026 The sluice Authors.
//
// UringRing: one io_uring ring and its pump. It creates the ring with the
// best setup flags the kernel takes and probes the opcodes the backend
// needs; enables it on the thread that polls it (single issuer) with a
// bound on io-wq workers; hands out SQEs, submitting when the queue is full;
// submits and waits, reaps, and runs the extra passes deferred task work
// needs; and keeps the eventfd a host sleeps on. It knows nothing of
// transfers: a completion is a user_data word and a result.

#ifndef SLUICE_ENGINE_URING_RING_H_
#define SLUICE_ENGINE_URING_RING_H_

#include <liburing.h>

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/unique_fd.h"
#include "sluice/stats.h"

namespace sluice::internal {

class UringRing {
 public:
  // A ring of `entries` SQEs (clamped to [8, 32768]). FailedPrecondition /
  // PermissionDenied / Unimplemented with the reason when the kernel, a
  // sysctl (kernel.io_uring_disabled), a seccomp filter or the environment
  // (SLUICE_DISABLE_IO_URING=1, for tests and operators) refuses io_uring,
  // or when the kernel lacks SEND, READ, POLL_ADD or ASYNC_CANCEL.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<UringRing>> Create(
      uint32_t entries, EngineStats& stats);
  ~UringRing();
  UringRing(const UringRing&) = delete;
  UringRing& operator=(const UringRing&) = delete;

  // On the first call, on the polling thread: enables a ring made disabled
  // and bounds io-wq to `iowq_workers` threads per pool.
  [[nodiscard]] absl::Status EnableOnce(unsigned iowq_workers);

  // An SQE, counted as in flight; after a submit if the queue was full;
  // nullptr when even that found no room.
  io_uring_sqe* GetSqe();
  // Whether `count` SQEs can be had now (submitting first if needed): a
  // linked pair must not span two submits.
  bool Reserve(unsigned count);
  [[nodiscard]] absl::Status Submit();

  // Submits, waits up to `timeout` for a completion, and calls `complete`
  // with each completion's user_data and result. `complete` may get SQEs,
  // never reap: requests it arms are submitted and reaped in a few more
  // passes before this returns, and what is left wakes the eventfd.
  [[nodiscard]] absl::Status Pump(
      absl::Duration timeout,
      absl::FunctionRef<void(uint64_t user_data, int result)> complete);

  // The eventfd the kernel signals on completions (made on first call);
  // the ring fd itself is no good for that (see uring_ring.cc).
  [[nodiscard]] absl::StatusOr<int> WakeFd();
  // Resets the eventfd before looking at the ring.
  void ClearWake();

 private:
  UringRing(io_uring ring, EngineStats& stats) : ring_(ring), stats_(stats) {}

  absl::Status SubmitAndWait(absl::Duration timeout);
  void Reap(absl::FunctionRef<void(uint64_t, int)> complete);
  bool TaskWorkPending() const;

  io_uring ring_;
  EngineStats& stats_;
  bool enabled_ = false;
  // SQEs handed out whose CQE has not been reaped (cancels included).
  uint64_t requests_in_flight_ = 0;
  UniqueFd wake_event_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_RING_H_
