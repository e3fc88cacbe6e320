// Copyright 2026 The sluice Authors.
//
// LatencyHistogram: counts of non-negative integer values (sluice-load
// records nanoseconds) in log-linear buckets, so percentiles of any number
// of values come from fixed memory with a stated precision.
//
//   sluice::load::LatencyHistogram latencies;
//   latencies.Record(absl::ToInt64Nanoseconds(absl::Now() - submitted));
//   ...
//   merged.Merge(latencies);  // one per thread, merged at the end
//   const double p99_us = merged.Percentile(0.99) / 1000;
//
// Layout (HdrHistogram's, with 7 bits of sub-bucket precision): values
// below 256 have a bucket each and are exact; above that, each power of two
// [2^e, 2^(e+1)) is split into 128 equal buckets of width 2^(e-7). A
// bucket's width is therefore at most 1/128 of the smallest value in it,
// and Percentile() reports the bucket's midpoint, which is within
// kRelativeError (1/256, about 0.4 %) of every value in the bucket. 7,424
// buckets cover all of uint64_t: 58 KiB per histogram, allocated with it
// and never again, whatever the count.
//
// Not thread-safe: one histogram per thread, merged afterwards.

#ifndef SLUICE_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
#define SLUICE_TOOLS_LOAD_LATENCY_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::load {

class LatencyHistogram {
 public:
  // Sub-bucket precision: 2^kPrecisionBits buckets per power of two.
  static constexpr int kPrecisionBits = 7;
  // The most a reported percentile differs from the exact one, relative to
  // the exact one (see Percentile()).
  static constexpr double kRelativeError = 1.0 / (2 << kPrecisionBits);
  static constexpr size_t kBuckets = (64 - kPrecisionBits + 1)
                                     << kPrecisionBits;
  // The memory one histogram holds, whatever it has counted.
  static constexpr size_t kMemoryBytes = kBuckets * sizeof(uint64_t);

  LatencyHistogram() = default;

  void Record(uint64_t value);
  // Adds every value `other` counted, as if recorded here.
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  // The smallest and largest values recorded, exactly (0 when empty).
  uint64_t min() const { return count_ > 0 ? min_ : 0; }
  uint64_t max() const { return max_; }

  // The value of rank floor(q * count()) (0-based, at most count() - 1) in
  // the sorted values, for q in [0, 1]: that value within a relative error
  // of kRelativeError (exact below 256, and clamped to [min(), max()]). 0
  // when empty.
  double Percentile(double q) const;

  // Which bucket holds `value`, and the values [lower, lower + width) a
  // bucket holds. Exposed for tests.
  static size_t BucketOf(uint64_t value);
  static uint64_t BucketLower(size_t bucket);
  static uint64_t BucketWidth(size_t bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_LATENCY_HISTOGRAM_H_
