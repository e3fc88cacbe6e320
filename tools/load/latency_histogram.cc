// Copyright 2026 The sluice Authors.

#include "load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::load {
namespace {

constexpr uint64_t kSubBuckets = uint64_t{1}
                                 << LatencyHistogram::kPrecisionBits;

}  // namespace

size_t LatencyHistogram::BucketOf(uint64_t value) {
  if (value < 2 * kSubBuckets) return static_cast<size_t>(value);
  // value = m * 2^shift with m in [kSubBuckets, 2 * kSubBuckets).
  const int shift = std::bit_width(value) - 1 - kPrecisionBits;
  const uint64_t m = value >> shift;
  return static_cast<size_t>(
      (static_cast<uint64_t>(shift + 1) << kPrecisionBits) + (m - kSubBuckets));
}

uint64_t LatencyHistogram::BucketLower(size_t bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  const int shift = static_cast<int>(bucket >> kPrecisionBits) - 1;
  const uint64_t m = (bucket & (kSubBuckets - 1)) + kSubBuckets;
  return m << shift;
}

uint64_t LatencyHistogram::BucketWidth(size_t bucket) {
  if (bucket < 2 * kSubBuckets) return 1;
  return uint64_t{1} << ((bucket >> kPrecisionBits) - 1);
}

void LatencyHistogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  const double clamped = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::min(
      count_ - 1, static_cast<uint64_t>(clamped * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen > rank) {
      // The midpoint of the integers [lower, lower + width - 1].
      const double mid = static_cast<double>(BucketLower(i)) +
                         static_cast<double>(BucketWidth(i) - 1) / 2;
      return std::clamp(mid, static_cast<double>(min_),
                        static_cast<double>(max_));
    }
  }
  return static_cast<double>(max_);
}

}  // namespace sluice::load
