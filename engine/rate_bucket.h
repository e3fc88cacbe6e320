// Copyright 2026 The sluice Authors.
//
// RateBucket: one transfer's maximum rate (TransferSpec::max_rate) as a
// token bucket of file bytes.
//
// The scheduler asks it before each push how many file bytes the push may
// take, and tells it afterwards how many the socket accepted. A transfer
// with less than step() left waits on a timer until ReadyAt(): the bucket
// refills continuously at the rate and holds at most two steps, so a
// transfer that waited long (a full socket, a late host) catches up by at
// most one step, never by a burst. The engine's own ceiling
// (EngineOptions::max_rate) is one too, over every transfer: there a turn's
// last push may take more than was available, and the debt is paid before
// anything is available again.
//
//   RateBucket bucket(rate, quantum_bytes, now);
//   if (bucket.Available(now) < std::min(bucket.step(), left))
//     ... wait until bucket.ReadyAt(std::min(bucket.step(), left)) ...
//   ... push at most bucket.Available(now) bytes; when it is back:
//   bucket.Spend(file_bytes);

#ifndef SLUICE_ENGINE_RATE_BUCKET_H_
#define SLUICE_ENGINE_RATE_BUCKET_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sluice/transfer.h"

namespace sluice::internal {

// OK, or InvalidArgument naming `socket_fd` when Submit() must refuse the
// pair: a zero rate, or a ceiling below the floor.
[[nodiscard]] absl::Status CheckMaxRate(const MaxRate& ceiling,
                                        const std::optional<MinRate>& floor,
                                        int socket_fd);

class RateBucket {
 public:
  // No ceiling: unlimited() and never consulted.
  RateBucket() = default;
  // Starts with one step's worth, so the first push goes at once. A step is
  // about 20 ms of the rate: at least 1 KiB (or one second's worth, for a
  // rate below that), at most `largest_step`. It holds two steps, or
  // `keep` of the rate where that is more (the engine's ceiling keeps 20 ms,
  // so that a wait rounded up to a whole millisecond, as epoll's are, loses
  // no bytes at a fast rate).
  RateBucket(uint64_t bytes_per_second, uint64_t largest_step, absl::Time now,
             absl::Duration keep = absl::ZeroDuration());

  bool unlimited() const { return bytes_per_second_ == 0; }
  // The least a push waits for (less only where less is left to send).
  uint64_t step() const { return step_; }
  // File bytes a push may take at `now`.
  uint64_t Available(absl::Time now);
  // When `bytes` (at most two steps) will be available.
  absl::Time ReadyAt(uint64_t bytes) const;
  // The socket accepted `bytes` (or they are reserved for a push); more
  // than Available() allowed leaves a debt.
  void Spend(uint64_t bytes);
  // Gives back reserved bytes a push did not move.
  void Return(uint64_t bytes);

 private:
  uint64_t bytes_per_second_ = 0;
  uint64_t step_ = 0;
  double most_kept_ = 0;
  // Bytes available as of `counted_at`, at most `most_kept_`; below zero, a
  // debt. Fractions of a byte are kept, so that no rate drifts by rounding
  // per refill.
  double tokens_ = 0;
  absl::Time counted_at_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_RATE_BUCKET_H_
