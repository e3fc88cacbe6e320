// Copyright 2026 The sluice Authors.

#include "engine/rate_bucket.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sluice::internal {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

const absl::Time kStart = absl::UnixEpoch() + absl::Hours(1);

TEST(RateBucketTest, AStepIsTwentyMillisecondsOfTheRateWithinBounds) {
  EXPECT_EQ(RateBucket(1 << 20, 512 * 1024, kStart).step(), 20971u);
  // At least 1 KiB, or a second's worth below that rate.
  EXPECT_EQ(RateBucket(10 * 1024, 512 * 1024, kStart).step(), 1024u);
  EXPECT_EQ(RateBucket(100, 512 * 1024, kStart).step(), 100u);
  // At most a quantum, even a quantum under 1 KiB.
  EXPECT_EQ(RateBucket(1 << 30, 512 * 1024, kStart).step(), 512 * 1024u);
  EXPECT_EQ(RateBucket(1 << 20, 500, kStart).step(), 500u);
}

TEST(RateBucketTest, RefillsAtTheRateUpToTwoSteps) {
  RateBucket bucket(100 * 1000, 512 * 1024, kStart);  // step 2000
  EXPECT_FALSE(bucket.unlimited());
  EXPECT_EQ(bucket.Available(kStart), 2000u);
  bucket.Spend(2000);
  EXPECT_EQ(bucket.Available(kStart), 0u);
  EXPECT_EQ(bucket.Available(kStart + absl::Milliseconds(5)), 500u);
  EXPECT_EQ(bucket.ReadyAt(2000), kStart + absl::Milliseconds(20));
  // A long pause buys two steps, not a burst.
  EXPECT_EQ(bucket.Available(kStart + absl::Seconds(10)), 4000u);
}

TEST(RateBucketTest, KeepsMoreWhenAskedTo) {
  // 1 MB/s, steps of at most 1000 bytes, 20 ms (20000 bytes) kept.
  RateBucket bucket(1000 * 1000, 1000, kStart, absl::Milliseconds(20));
  EXPECT_EQ(bucket.step(), 1000u);
  EXPECT_EQ(bucket.Available(kStart + absl::Seconds(1)), 20000u);
  // Spending more than there is leaves a debt, paid before anything else.
  bucket.Spend(25000);
  EXPECT_EQ(bucket.Available(kStart + absl::Seconds(1)), 0u);
  EXPECT_EQ(bucket.ReadyAt(1000),
            kStart + absl::Seconds(1) + absl::Milliseconds(6));
}

TEST(RateBucketTest, NoCeilingIsUnlimited) {
  EXPECT_TRUE(RateBucket().unlimited());
}

TEST(RateBucketTest, ChecksTheCeilingAgainstTheFloor) {
  EXPECT_THAT(CheckMaxRate({.bytes_per_second = 10}, std::nullopt, 4), IsOk());
  EXPECT_THAT(
      CheckMaxRate({}, std::nullopt, 4),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("socket fd 4")));
  EXPECT_THAT(CheckMaxRate({.bytes_per_second = 10},
                           MinRate{.bytes_per_second = 11}, 4),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("below")));
  EXPECT_THAT(CheckMaxRate({.bytes_per_second = 10},
                           MinRate{.bytes_per_second = 10}, 4),
              IsOk());
}

}  // namespace
}  // namespace sluice::internal
