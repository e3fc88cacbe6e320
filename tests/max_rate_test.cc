// Copyright 2026 The sluice Authors.
//
// The maximum rate (TransferSpec::max_rate) on every backend, over unix
// and TCP sockets: the bytes arrive exact, no faster than the rate allows
// once the allowance is spent, and a TCP socket is paced by the kernel
// (SO_MAX_PACING_RATE, read back here with getsockopt) while the ceiling
// applies and has its own value back before the callback. How close the
// delivered rate comes to the target is measured in bench/, not here.

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::BackendConfig;
using ::sluice::testing::Drainer;
using ::sluice::testing::IsOk;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;

// The socket's maximum pacing rate as the kernel reports it.
std::optional<uint64_t> PacingRate(int fd) {
  uint64_t rate = 0;
  socklen_t length = sizeof(rate);
  if (::getsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE, &rate, &length) != 0) {
    return std::nullopt;
  }
  return rate;
}

constexpr uint64_t kRate = 8 << 20;

class MaxRateTest
    : public ::testing::TestWithParam<std::tuple<BackendConfig, Transport>> {
 protected:
  bool tcp() const { return std::get<1>(GetParam()) != Transport::kUnix; }

  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(std::get<0>(GetParam()));
    if (!testing::TransportAvailable(std::get<1>(GetParam()))) {
      GTEST_SKIP() << testing::TransportName(std::get<1>(GetParam()))
                   << " sockets unavailable on this host";
    }
    absl::StatusOr<StreamPair> pair =
        testing::MakeStreamPair(std::get<1>(GetParam()));
    ASSERT_THAT(pair, IsOk());
    pair_ = *std::move(pair);
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(std::get<0>(GetParam()).options);
    ASSERT_THAT(engine, IsOk());
    engine_ = *std::move(engine);
    own_rate_ = PacingRate(pair_.sender.get());
    ASSERT_TRUE(own_rate_.has_value());
  }

  // Polls until `done` is set (at most about 20 s), noting every pacing
  // rate the socket had in between.
  void PollUntilDone(const bool& done) {
    for (int i = 0; i < 2000 && !done; ++i) {
      ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)), IsOk());
      const std::optional<uint64_t> rate = PacingRate(pair_.sender.get());
      if (rate.has_value() && *rate != *own_rate_) paced_at_ = rate;
    }
    ASSERT_TRUE(done);
  }

  StreamPair pair_;
  std::unique_ptr<Engine> engine_;
  std::optional<uint64_t> own_rate_;
  // A rate other than the socket's own, seen between two polls.
  std::optional<uint64_t> paced_at_;
};

TEST_P(MaxRateTest, BytesArriveExactAndNoFasterThanTheRate) {
  PatternFile file(1 << 20);
  constexpr uint64_t kOffset = 12345;
  constexpr uint64_t kCount = 700001;
  constexpr uint64_t kAfter = 100003;
  Drainer drainer(pair_.receiver.get());
  bool done = false;
  TransferResult result;
  std::optional<uint64_t> rate_in_callback;
  const absl::Time start = absl::Now();
  ASSERT_THAT(engine_->Submit({.socket_fd = pair_.sender.get(),
                               .file_fd = file.fd(),
                               .offset = kOffset,
                               .count = kCount,
                               .header = "head",
                               .trailer = "tail",
                               .max_rate = MaxRate{.bytes_per_second = kRate,
                                                   .after_bytes = kAfter}},
                              [&](TransferId, const TransferResult& r) {
                                result = r;
                                rate_in_callback =
                                    PacingRate(pair_.sender.get());
                                done = true;
                              }),
              IsOk());
  PollUntilDone(done);
  const absl::Duration took = absl::Now() - start;
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_sent, kCount);
  pair_.sender.reset();
  EXPECT_EQ(drainer.Join(),
            absl::StrCat("head", file.Slice(kOffset, kCount), "tail"));
  // After the allowance the bucket hands out its first step (20 ms of the
  // rate) at once and the rest at the rate: the transfer cannot be faster.
  const uint64_t step = kRate / 50;
  EXPECT_GE(took, absl::Seconds(static_cast<double>(kCount - kAfter - step) /
                                static_cast<double>(kRate)));
  EXPECT_GT(engine_->stats().rate_waits, 0u);
  EXPECT_EQ(rate_in_callback, own_rate_);
  if (tcp()) {
    EXPECT_EQ(paced_at_, kRate);
    EXPECT_EQ(engine_->stats().paced_transfers, 1u);
  } else {
    EXPECT_EQ(paced_at_, std::nullopt);
    EXPECT_EQ(engine_->stats().paced_transfers, 0u);
  }
}

TEST_P(MaxRateTest, CancelledWhileLimitedGivesTheSocketItsPacingBack) {
  PatternFile file(8 << 20);
  Drainer drainer(pair_.receiver.get());
  bool done = false;
  TransferResult result;
  std::optional<uint64_t> rate_in_callback;
  absl::StatusOr<TransferId> id =
      engine_->Submit({.socket_fd = pair_.sender.get(),
                       .file_fd = file.fd(),
                       .max_rate = MaxRate{.bytes_per_second = 1 << 20}},
                      [&](TransferId, const TransferResult& r) {
                        result = r;
                        rate_in_callback = PacingRate(pair_.sender.get());
                        done = true;
                      });
  ASSERT_THAT(id, IsOk());
  for (int i = 0; i < 100 && engine_->stats().rate_waits == 0; ++i) {
    ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)), IsOk());
  }
  ASSERT_GT(engine_->stats().rate_waits, 0u);
  ASSERT_TRUE(engine_->Cancel(*id));
  PollUntilDone(done);
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_LT(result.bytes_sent, file.size());
  EXPECT_EQ(rate_in_callback, own_rate_);
  pair_.sender.reset();
  EXPECT_EQ(drainer.Join(), file.Slice(0, result.bytes_sent));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, MaxRateTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllBackendConfigs()),
                       ::testing::Values(Transport::kUnix, Transport::kTcp4,
                                         Transport::kTcp6)),
    testing::BackendAndTransportName);

}  // namespace
}  // namespace sluice
