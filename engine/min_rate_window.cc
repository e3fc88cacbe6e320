// Copyright 2026 The sluice Authors.

#include "engine/min_rate_window.h"

#include <algorithm>

#include "absl/numeric/int128.h"
#include "absl/strings/str_format.h"

namespace sluice::internal {
namespace {

bool Finite(absl::Duration d) {
  return d != absl::InfiniteDuration() && d != -absl::InfiniteDuration();
}

// `bytes` x 1e9: set against a rate x nanoseconds, a window's bytes and the
// bytes it needed compare exactly, whatever the window's length.
absl::uint128 ScaledRate(uint64_t bytes) {
  return absl::uint128(bytes) * 1'000'000'000;
}

}  // namespace

absl::Status CheckMinRate(const MinRate& floor, int socket_fd) {
  if (floor.bytes_per_second > 0 && floor.window > absl::ZeroDuration() &&
      Finite(floor.window) && floor.grace >= absl::ZeroDuration() &&
      Finite(floor.grace)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "min_rate of the transfer on socket fd %d needs a positive rate, a "
      "positive finite window and a finite grace >= 0 (got %u bytes/s, "
      "window %s, grace %s)",
      socket_fd, floor.bytes_per_second, absl::FormatDuration(floor.window),
      absl::FormatDuration(floor.grace)));
}

MinRateWindow::MinRateWindow(const MinRate& floor, absl::Time admitted)
    : bytes_per_second_(floor.bytes_per_second),
      window_(floor.window),
      due_(admitted + floor.grace) {}

bool MinRateWindow::Check(absl::Time now, uint64_t accepted,
                          std::optional<uint64_t> queued) {
  bool kept = true;
  if (open_) {
    // What the peer took: what the socket accepted, less what of it still
    // waits in the send queue, plus what it took of the queue the window
    // began with.
    uint64_t taken = accepted - start_accepted_;
    if (start_queued_.has_value() && queued.has_value()) {
      const uint64_t before = *start_queued_;
      taken = taken + before > *queued ? taken + before - *queued : 0;
    }
    judged_length_ = std::max(now - start_, absl::ZeroDuration());
    judged_bytes_ = taken;
    kept = ScaledRate(taken) >=
           absl::uint128(bytes_per_second_) *
               static_cast<uint64_t>(absl::ToInt64Nanoseconds(judged_length_));
  }
  open_ = true;
  start_ = now;
  start_accepted_ = accepted;
  start_queued_ = queued;
  due_ = now + window_;
  return kept;
}

std::string MinRateWindow::Describe() const {
  const int64_t ns = absl::ToInt64Nanoseconds(judged_length_);
  const uint64_t achieved = ns > 0
                                ? absl::Uint128Low64(ScaledRate(judged_bytes_) /
                                                     static_cast<uint64_t>(ns))
                                : judged_bytes_;
  return absl::StrFormat(
      "%u bytes/s over the last %s (%u bytes), %u bytes/s "
      "required",
      achieved, absl::FormatDuration(judged_length_), judged_bytes_,
      bytes_per_second_);
}

}  // namespace sluice::internal
