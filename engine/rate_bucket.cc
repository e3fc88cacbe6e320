// Copyright 2026 The sluice Authors.

#include "engine/rate_bucket.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace sluice::internal {
namespace {

constexpr absl::Duration kStepTime = absl::Milliseconds(20);
constexpr uint64_t kMinStep = 1024;

}  // namespace

absl::Status CheckMaxRate(const MaxRate& ceiling,
                          const std::optional<MinRate>& floor, int socket_fd) {
  if (ceiling.bytes_per_second == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_rate of the transfer on socket fd %d needs a positive rate",
        socket_fd));
  }
  if (floor.has_value() && ceiling.bytes_per_second < floor->bytes_per_second) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "max_rate of the transfer on socket fd %d (%u bytes/s) is below its "
        "min_rate (%u bytes/s): it would cut itself off",
        socket_fd, ceiling.bytes_per_second, floor->bytes_per_second));
  }
  return absl::OkStatus();
}

RateBucket::RateBucket(uint64_t bytes_per_second, uint64_t largest_step,
                       absl::Time now, absl::Duration keep)
    : bytes_per_second_(bytes_per_second), counted_at_(now) {
  const auto per_step = static_cast<uint64_t>(
      static_cast<double>(bytes_per_second) * absl::ToDoubleSeconds(kStepTime));
  const uint64_t most = std::max<uint64_t>(largest_step, 1);
  step_ = std::clamp<uint64_t>(
      per_step, std::min({kMinStep, bytes_per_second, most}), most);
  most_kept_ = std::max(
      2.0 * static_cast<double>(step_),
      static_cast<double>(bytes_per_second) * absl::ToDoubleSeconds(keep));
  tokens_ = static_cast<double>(step_);
}

uint64_t RateBucket::Available(absl::Time now) {
  if (now > counted_at_) {
    tokens_ += static_cast<double>(bytes_per_second_) *
               absl::ToDoubleSeconds(now - counted_at_);
    tokens_ = std::min(tokens_, most_kept_);
    counted_at_ = now;
  }
  return tokens_ <= 0 ? 0 : static_cast<uint64_t>(std::floor(tokens_));
}

absl::Time RateBucket::ReadyAt(uint64_t bytes) const {
  const double missing = static_cast<double>(bytes) - tokens_;
  if (missing <= 0) return counted_at_;
  // Rounded up, so that the bytes are there when the timer fires.
  return counted_at_ +
         absl::Nanoseconds(
             std::ceil(missing * 1e9 / static_cast<double>(bytes_per_second_)));
}

void RateBucket::Spend(uint64_t bytes) {
  tokens_ -= static_cast<double>(bytes);
}

void RateBucket::Return(uint64_t bytes) {
  tokens_ = std::min(tokens_ + static_cast<double>(bytes), most_kept_);
}

}  // namespace sluice::internal
