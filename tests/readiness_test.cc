// Copyright 2026 The sluice Authors.

#include "engine/readiness.h"

#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sluice::internal {
namespace {

using ::sluice::testing::IsOk;

class ReadinessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<Readiness>> readiness =
        Readiness::Create(stats_);
    ASSERT_THAT(readiness, IsOk());
    readiness_ = *std::move(readiness);
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }

  // The tokens one Wait() of `timeout` reports.
  std::vector<uint64_t> WaitFor(absl::Duration timeout) {
    std::vector<uint64_t> tokens;
    EXPECT_THAT(readiness_->Wait(
                    timeout, [&](uint64_t token) { tokens.push_back(token); }),
                IsOk());
    return tokens;
  }

  EngineStats stats_;
  std::unique_ptr<Readiness> readiness_;
  int fds_[2] = {-1, -1};
};

TEST_F(ReadinessTest, WritableSocketIsReportedOnce) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kWritable, 7), IsOk());
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{7});
  // One-shot: a socket that stays writable does not spin the loop.
  EXPECT_TRUE(WaitFor(absl::ZeroDuration()).empty());
}

TEST_F(ReadinessTest, ReadableOnlyOnceDataArrives) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kReadable, 9), IsOk());
  EXPECT_TRUE(WaitFor(absl::ZeroDuration()).empty());
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{9});
}

TEST_F(ReadinessTest, BothInterestsOnOneFdReportTheirOwnTokens) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kReadable, 1), IsOk());
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kWritable, 2), IsOk());
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{2});
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{1});
}

TEST_F(ReadinessTest, LaterWatchReplacesTheToken) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kWritable, 1), IsOk());
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kWritable, 2), IsOk());
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{2});
}

TEST_F(ReadinessTest, ForgottenWatchIsNotReported) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kWritable, 3), IsOk());
  readiness_->Forget(fds_[0], Interest::kWritable);
  EXPECT_TRUE(WaitFor(absl::ZeroDuration()).empty());
}

TEST_F(ReadinessTest, ClosedPeerWakesAReadWatch) {
  ASSERT_THAT(readiness_->Watch(fds_[0], Interest::kReadable, 4), IsOk());
  ::close(fds_[1]);
  fds_[1] = -1;
  EXPECT_EQ(WaitFor(absl::Seconds(5)), std::vector<uint64_t>{4});
}

TEST(TimeoutMillisTest, RoundsUpSoAWaitNeverEndsBeforeATimer) {
  EXPECT_EQ(TimeoutMillis(absl::InfiniteDuration()), -1);
  EXPECT_EQ(TimeoutMillis(absl::ZeroDuration()), 0);
  EXPECT_EQ(TimeoutMillis(-absl::Seconds(1)), 0);
  EXPECT_EQ(TimeoutMillis(absl::Microseconds(1)), 1);
  EXPECT_EQ(TimeoutMillis(absl::Microseconds(1500)), 2);
  EXPECT_EQ(TimeoutMillis(absl::Hours(24 * 365 * 100)), INT_MAX);
}

}  // namespace
}  // namespace sluice::internal
