// Copyright 2026 The sluice Authors.
//
// sluice-load's latency histogram: percentiles within the stated precision
// of the exact ones for several distributions, merging per-thread
// histograms, and memory that does not grow with the count.

#include "load/latency_histogram.h"

#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace sluice::load {
namespace {

constexpr double kQuantiles[] = {0,   0.001, 0.01,  0.1,    0.5,
                                 0.9, 0.99,  0.999, 0.9999, 1};

// The exact value of rank floor(q * n) (at most n - 1), the definition
// Percentile() approximates.
uint64_t Exact(std::vector<uint64_t> values, double q) {
  const size_t rank =
      std::min(values.size() - 1,
               static_cast<size_t>(q * static_cast<double>(values.size())));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(rank),
                   values.end());
  return values[rank];
}

void ExpectWithinPrecision(const std::vector<uint64_t>& values) {
  LatencyHistogram histogram;
  for (const uint64_t v : values) histogram.Record(v);
  ASSERT_EQ(histogram.count(), values.size());
  for (const double q : kQuantiles) {
    const double exact = static_cast<double>(Exact(values, q));
    const double got = histogram.Percentile(q);
    EXPECT_LE(std::abs(got - exact),
              exact * LatencyHistogram::kRelativeError + 1e-9)
        << "q=" << q << " exact=" << exact << " got=" << got;
  }
  EXPECT_EQ(histogram.min(), *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(histogram.max(), *std::max_element(values.begin(), values.end()));
}

TEST(LatencyHistogramTest, StatedPrecisionIsUnderOnePercent) {
  EXPECT_LE(LatencyHistogram::kRelativeError, 0.01);
  EXPECT_DOUBLE_EQ(LatencyHistogram::kRelativeError, 1.0 / 256);
}

TEST(LatencyHistogramTest, UniformValuesWithinPrecision) {
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<uint64_t> d(0, 2'000'000);
  std::vector<uint64_t> values(200'000);
  for (uint64_t& v : values) v = d(rng);
  ExpectWithinPrecision(values);
}

TEST(LatencyHistogramTest, ExponentialValuesWithinPrecision) {
  std::mt19937_64 rng(2);
  std::exponential_distribution<double> d(1.0 / 50'000);  // mean 50 us in ns
  std::vector<uint64_t> values(200'000);
  for (uint64_t& v : values) v = static_cast<uint64_t>(d(rng));
  ExpectWithinPrecision(values);
}

// A long tail over many powers of two, as latencies under load have.
TEST(LatencyHistogramTest, LogNormalValuesWithinPrecision) {
  std::mt19937_64 rng(3);
  std::lognormal_distribution<double> d(10, 2.5);
  std::vector<uint64_t> values(200'000);
  for (uint64_t& v : values) v = static_cast<uint64_t>(d(rng));
  ExpectWithinPrecision(values);
}

TEST(LatencyHistogramTest, BimodalAndExtremeValuesWithinPrecision) {
  std::mt19937_64 rng(4);
  std::vector<uint64_t> values;
  for (int i = 0; i < 50'000; ++i) {
    values.push_back(90 + rng() % 20);               // ~100 ns, exact range
    values.push_back(10'000'000 + rng() % 100'000);  // ~10 ms
  }
  values.push_back(UINT64_MAX);
  values.push_back(uint64_t{1} << 63);
  values.push_back(0);
  ExpectWithinPrecision(values);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram histogram;
  for (uint64_t v = 0; v < 256; ++v) histogram.Record(v);
  for (uint64_t v = 0; v < 256; ++v) {
    EXPECT_EQ(histogram.Percentile(static_cast<double>(v) / 256), v);
  }
}

TEST(LatencyHistogramTest, EmptyAndSingleValue) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.Percentile(0.5), 0);
  EXPECT_EQ(histogram.min(), 0u);
  histogram.Record(123'456'789);
  // One value: every percentile is that value (clamped to min and max).
  for (const double q : kQuantiles) {
    EXPECT_EQ(histogram.Percentile(q), 123'456'789) << q;
  }
}

// The buckets tile [0, 2^64) without gaps or overlaps, each at most 1/128
// as wide as its lowest value.
TEST(LatencyHistogramTest, BucketsTileTheRange) {
  uint64_t next = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
    const uint64_t lower = LatencyHistogram::BucketLower(i);
    const uint64_t width = LatencyHistogram::BucketWidth(i);
    ASSERT_EQ(lower, next) << i;
    EXPECT_EQ(LatencyHistogram::BucketOf(lower), i);
    EXPECT_EQ(LatencyHistogram::BucketOf(lower + (width - 1)), i);
    if (width > 1) {
      EXPECT_LE(static_cast<double>(width) / static_cast<double>(lower),
                2 * LatencyHistogram::kRelativeError)
          << i;
    }
    next = lower + width;  // wraps to 0 after the last bucket
  }
  EXPECT_EQ(next, 0u);
  EXPECT_EQ(LatencyHistogram::BucketOf(UINT64_MAX),
            LatencyHistogram::kBuckets - 1);
}

// One histogram per thread, merged: the same as one that saw every value.
TEST(LatencyHistogramTest, MergedThreadsEqualOneHistogram) {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> d(11, 1.5);
  LatencyHistogram all;
  std::vector<LatencyHistogram> per_thread(4);
  std::vector<uint64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    const uint64_t v = static_cast<uint64_t>(d(rng));
    values.push_back(v);
    all.Record(v);
    per_thread[static_cast<size_t>(i) % (i < 50'000 ? 2 : 4)].Record(v);
  }
  LatencyHistogram merged;
  merged.Merge(LatencyHistogram());  // an empty one changes nothing
  for (const LatencyHistogram& h : per_thread) merged.Merge(h);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (const double q : kQuantiles) {
    EXPECT_EQ(merged.Percentile(q), all.Percentile(q)) << q;
    const double exact = static_cast<double>(Exact(values, q));
    EXPECT_LE(std::abs(merged.Percentile(q) - exact),
              exact * LatencyHistogram::kRelativeError + 1e-9);
  }
}

// Fixed memory: the histogram is one array, and recording ten million
// values of every magnitude leaves the heap as it was.
TEST(LatencyHistogramTest, MemoryIsFixedWhateverTheCount) {
  static_assert(sizeof(LatencyHistogram) < LatencyHistogram::kMemoryBytes + 64);
  EXPECT_LE(LatencyHistogram::kMemoryBytes, 64u * 1024);
  auto histogram = std::make_unique<LatencyHistogram>();
  std::mt19937_64 rng(6);
  const struct mallinfo2 before = ::mallinfo2();
  for (int i = 0; i < 10'000'000; ++i) {
    histogram->Record(rng() >> (rng() % 64));
  }
  const struct mallinfo2 after = ::mallinfo2();
  EXPECT_EQ(after.uordblks, before.uordblks);  // in use on the heap
  EXPECT_EQ(after.hblkhd, before.hblkhd);      // in use in mmap()ed blocks
  EXPECT_EQ(histogram->count(), 10'000'000u);
}

}  // namespace
}  // namespace sluice::load
