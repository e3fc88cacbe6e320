// Copyright 2026 The sluice Authors.
//
// Many transfers at once, misbehaving ones among them, on every backend:
// every byte is checked as it arrives, and the engine must come out of a
// storm of cancels and timeouts clean (no stale bytes, no leaked fds).

#include <sys/socket.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::CheckStreams;
using ::sluice::testing::ExpectedStream;
using ::sluice::testing::IsOk;
using ::sluice::testing::MakeStreamPair;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamCheck;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::testing::HasSubstr;

// Log-uniform in [low, high]: many small, some large, like real objects.
uint64_t LogUniform(std::mt19937_64& rng, uint64_t low, uint64_t high) {
  std::uniform_real_distribution<double> exponent(std::log2(double(low)),
                                                  std::log2(double(high)));
  return std::clamp<uint64_t>(uint64_t(std::exp2(exponent(rng))), low, high);
}

struct Batch {
  std::vector<StreamPair> pairs;
  std::vector<TransferSpec> specs;
  std::vector<ExpectedStream> expected;
  std::vector<TransferResult> results;
  std::vector<int> calls;

  std::vector<int> receivers() const {
    std::vector<int> fds;
    for (const StreamPair& pair : pairs) fds.push_back(pair.receiver.get());
    return fds;
  }
};

// Object sizes like a CDN's: nine in ten up to 64 KiB, one in ten up to
// `max_size`, log-uniform within each.
auto MixedSizes(uint64_t max_size) {
  return [max_size](std::mt19937_64& rng, int i) {
    return i % 10 == 0 ? LogUniform(rng, 64 * 1024, max_size)
                       : LogUniform(rng, 1, 64 * 1024);
  };
}

// `count` transfers of `size(rng, i)` bytes at random offsets of `file`;
// one in 20 has no count and runs to EOF from near the end.
template <typename SizeFn>
Batch MakeBatch(const PatternFile& file, int count, SizeFn size_of,
                std::mt19937_64& rng) {
  Batch batch;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<StreamPair> pair =
        MakeStreamPair(i % 3 == 0 ? Transport::kUnix : Transport::kTcp4);
    EXPECT_THAT(pair, IsOk());
    if (!pair.ok()) break;
    TransferSpec spec;
    spec.socket_fd = pair->sender.get();
    spec.file_fd = file.fd();
    if (i % 20 == 19) {
      spec.offset = file.size() - 1 - rng() % (64 * 1024);
    } else {
      const uint64_t size = size_of(rng, i);
      spec.offset = rng() % (file.size() - size + 1);
      spec.count = size;
    }
    if (i % 2 == 0) spec.header = absl::StrCat("HTTP/1.1 200 #", i, "\r\n\r\n");
    batch.expected.push_back({spec.header, spec.offset});
    batch.specs.push_back(spec);
    batch.pairs.push_back(*std::move(pair));
  }
  batch.results.resize(batch.specs.size());
  batch.calls.resize(batch.specs.size());
  return batch;
}

void SubmitAll(Engine& engine, Batch& batch, std::vector<TransferId>& ids) {
  for (size_t i = 0; i < batch.specs.size(); ++i) {
    absl::StatusOr<TransferId> id = engine.Submit(
        batch.specs[i], [&batch, i](TransferId, const TransferResult& r) {
          batch.results[i] = r;
          ++batch.calls[i];
          // The receiver sees EOF once the transfer is over.
          ::shutdown(batch.pairs[i].sender.get(), SHUT_WR);
        });
    ASSERT_THAT(id, IsOk());
    ids.push_back(*id);
  }
}

uint64_t ExpectedFileBytes(const TransferSpec& spec, uint64_t file_size) {
  return spec.count.value_or(file_size - spec.offset);
}

// Every stream carried exactly the header and file bytes its result reports,
// in order, and nothing else.
void ExpectStreamsMatchResults(const Batch& batch,
                               const std::vector<StreamCheck>& checks) {
  ASSERT_EQ(checks.size(), batch.specs.size());
  int reported = 0;
  for (size_t i = 0; i < checks.size(); ++i) {
    const TransferResult& r = batch.results[i];
    const bool exact = batch.calls[i] == 1 && checks[i].eof &&
                       checks[i].first_mismatch < 0 &&
                       checks[i].received == r.header_bytes_sent + r.bytes_sent;
    if (!exact && ++reported <= 5) {
      ADD_FAILURE() << "transfer " << i << ": callbacks " << batch.calls[i]
                    << ", eof " << checks[i].eof << ", first mismatch at "
                    << checks[i].first_mismatch << ", received "
                    << checks[i].received << ", result " << r.status
                    << " header " << r.header_bytes_sent << " file "
                    << r.bytes_sent;
    }
  }
  EXPECT_EQ(reported, 0);
}

class StressTest : public ::testing::TestWithParam<testing::BackendConfig> {
 protected:
  void SetUp() override { SLUICE_SKIP_UNLESS_AVAILABLE(GetParam()); }
  EngineOptions options() const { return GetParam().options; }
};

TEST_P(StressTest, FiveThousandMixedTransfersAreByteExact) {
  constexpr int kTransfers = 5000;
  ASSERT_GE(testing::RaiseFdLimit(2 * kTransfers + 200), 2u * kTransfers + 200);
  PatternFile file(16 << 20);
  std::mt19937_64 rng(5000);
  Batch batch = MakeBatch(file, kTransfers, MixedSizes(8 << 20), rng);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  std::vector<TransferId> ids;
  SubmitAll(**engine, batch, ids);
  std::vector<StreamCheck> checks;
  std::thread receiver([&] {
    checks =
        CheckStreams(batch.receivers(), batch.expected, absl::Seconds(240));
  });
  ASSERT_THAT((*engine)->Run(), IsOk());
  receiver.join();
  for (size_t i = 0; i < batch.specs.size(); ++i) {
    EXPECT_THAT(batch.results[i].status, IsOk()) << i;
    EXPECT_EQ(batch.results[i].bytes_sent,
              ExpectedFileBytes(batch.specs[i], file.size()))
        << i;
  }
  ExpectStreamsMatchResults(batch, checks);
}

// A quarter of the transfers are cancelled and a quarter get deadlines, at
// random moments; then a second wave runs on the same engine. A pipe or
// buffer handed on with stale bytes would show up as a mismatch.
TEST_P(StressTest, StormOfCancelsAndTimeoutsLeavesEngineClean) {
  constexpr int kTransfers = 2000;
  ASSERT_GE(testing::RaiseFdLimit(4 * kTransfers + 200), 4u * kTransfers + 200);
  PatternFile file(4 << 20);
  std::mt19937_64 rng(2000);
  EngineOptions small_quantum = options();
  small_quantum.quantum_bytes = 64 * 1024;
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(small_quantum);
  ASSERT_THAT(engine, IsOk());

  // Transfers big enough to fill their sockets, and a receiver that starts
  // only after the first cancels, so many end mid-flight.
  Batch storm = MakeBatch(
      file, kTransfers,
      [](std::mt19937_64& rng, int) {
        return LogUniform(rng, 256 << 10, 1 << 20);
      },
      rng);
  constexpr int kReaderStartsAt = 10;
  std::vector<int> cancel_at(kTransfers, -1);
  for (int i = 0; i < kTransfers; ++i) {
    if (i % 4 == 0) cancel_at[i] = static_cast<int>(rng() % 40);
    if (i % 4 == 1) {
      storm.specs[i].deadline =
          absl::Now() + absl::Microseconds(static_cast<int64_t>(rng() % 30000));
    }
  }
  std::vector<TransferId> ids;
  SubmitAll(**engine, storm, ids);
  std::vector<StreamCheck> checks;
  std::thread receiver;
  std::vector<bool> cancelled(kTransfers, false);
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  for (int turn = 0; (*engine)->live_transfers() > 0 && absl::Now() < give_up;
       ++turn) {
    if (turn == kReaderStartsAt) {
      receiver = std::thread([&] {
        checks =
            CheckStreams(storm.receivers(), storm.expected, absl::Seconds(120));
      });
    }
    for (int i = 0; i < kTransfers; ++i) {
      if (cancel_at[i] == turn) cancelled[i] = (*engine)->Cancel(ids[i]);
    }
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(1)), IsOk());
  }
  if (!receiver.joinable()) {
    receiver = std::thread([&] {
      checks =
          CheckStreams(storm.receivers(), storm.expected, absl::Seconds(120));
    });
  }
  receiver.join();
  ASSERT_EQ((*engine)->live_transfers(), 0u);
  int cancelled_before_start = 0;
  for (int i = 0; i < kTransfers; ++i) {
    const absl::Status& status = storm.results[i].status;
    if (cancelled[i]) {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kCancelled)) << i;
    } else if (i % 4 == 1) {
      EXPECT_TRUE(status.ok() ||
                  status.code() == absl::StatusCode::kDeadlineExceeded)
          << i << ": " << status;
    } else {
      EXPECT_THAT(status, IsOk()) << i;
    }
    // A transfer cancelled before the first Poll is still live, always.
    if (cancel_at[i] == 0) {
      ++cancelled_before_start;
      EXPECT_TRUE(cancelled[i]) << i;
      EXPECT_EQ(storm.results[i].bytes_sent, 0u) << i;
    }
  }
  EXPECT_GT(cancelled_before_start, 0);
  const EngineStats stats = (*engine)->stats();
  std::cout << "storm: " << stats.completed_with(absl::StatusCode::kCancelled)
            << " cancelled, "
            << stats.completed_with(absl::StatusCode::kDeadlineExceeded)
            << " past their deadline, of " << kTransfers << "\n";
  ExpectStreamsMatchResults(storm, checks);

  Batch calm = MakeBatch(file, kTransfers, MixedSizes(1 << 20), rng);
  ids.clear();
  SubmitAll(**engine, calm, ids);
  std::thread calm_receiver([&] {
    checks = CheckStreams(calm.receivers(), calm.expected, absl::Seconds(120));
  });
  ASSERT_THAT((*engine)->Run(), IsOk());
  calm_receiver.join();
  for (int i = 0; i < kTransfers; ++i) {
    EXPECT_THAT(calm.results[i].status, IsOk()) << i;
  }
  ExpectStreamsMatchResults(calm, checks);
}

// The engine's fds are its own (a ring or an epoll set, an eventfd, its
// pool's pipes), never one per transfer: with the pool held to 8 pipes and
// 300 transfers live, one fd leaked or held per transfer would show.
TEST_P(StressTest, EngineHoldsNoFdPerTransfer) {
  constexpr int kTransfers = 300;
  constexpr int kPipes = 8;
  // A ring or an epoll set, a wake eventfd, a cold-read eventfd: fewer
  // than this, whatever the backend.
  constexpr int kEngineFds = 4;
  PatternFile file(4 << 20);
  std::mt19937_64 rng(300);
  Batch batch = MakeBatch(file, kTransfers, MixedSizes(4 << 20), rng);
  const int before = testing::CountOpenFds();
  ASSERT_GT(before, 0);
  {
    EngineOptions options = this->options();
    options.max_pipes = kPipes;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
    ASSERT_THAT(engine, IsOk());
    std::vector<TransferId> ids;
    SubmitAll(**engine, batch, ids);
    std::thread receiver([&] {
      (void)CheckStreams(batch.receivers(), batch.expected, absl::Seconds(60));
    });
    for (size_t i = 0; i < ids.size(); i += 7) (*engine)->Cancel(ids[i]);
    int most = 0;
    size_t most_live = 0;
    for (int turn = 0; turn < 1000000 && (*engine)->live_transfers() > 0;
         ++turn) {
      ASSERT_THAT((*engine)->Poll(absl::Milliseconds(100)), IsOk());
      const int now = testing::CountOpenFds();
      if (now > most) {
        most = now;
        most_live = (*engine)->live_transfers();
      }
    }
    ASSERT_EQ((*engine)->live_transfers(), 0u);
    receiver.join();
    EXPECT_LE(most, before + kEngineFds + 2 * kPipes)
        << "with " << most_live << " transfers live";
    EXPECT_LE(testing::CountOpenFds(), before + kEngineFds + 2 * kPipes);
  }
  EXPECT_EQ(testing::CountOpenFds(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, StressTest,
                         ::testing::ValuesIn(testing::AllBackendConfigs()),
                         testing::ConfigName);

// kAuto must still serve when io_uring is refused (kernel.io_uring_disabled,
// seccomp): SLUICE_DISABLE_IO_URING makes the probe fail the same way.
TEST(AutoBackendTest, FallsBackAndSaysWhyWhenIoUringIsRefused) {
  if (absl::Status probe = ProbeBackend(BackendKind::kIoUring); !probe.ok()) {
    GTEST_SKIP() << "io_uring unavailable anyway: " << probe;
  }
  ASSERT_EQ(::setenv("SLUICE_DISABLE_IO_URING", "1", 1), 0);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create({});
  absl::Status explicit_uring = ProbeBackend(BackendKind::kIoUring);
  ::unsetenv("SLUICE_DISABLE_IO_URING");
  ASSERT_THAT(engine, IsOk());
  EXPECT_NE((*engine)->backend(), BackendKind::kIoUring);
  EXPECT_THAT((*engine)->stats().backend_note,
              HasSubstr("SLUICE_DISABLE_IO_URING"));
  EXPECT_THAT(explicit_uring, StatusIs(absl::StatusCode::kFailedPrecondition));

  PatternFile file(1 << 20);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kTcp4);
  ASSERT_THAT(pair, IsOk());
  testing::Drainer drainer(pair->receiver.get());
  TransferResult result;
  ASSERT_THAT(
      (*engine)->Submit(
          {.socket_fd = pair->sender.get(), .file_fd = file.fd(), .offset = 99},
          [&](TransferId, const TransferResult& r) { result = r; }),
      IsOk());
  ASSERT_THAT((*engine)->Run(), IsOk());
  EXPECT_THAT(result.status, IsOk());
  pair->sender.reset();
  EXPECT_TRUE(drainer.Join() == file.Slice(99, 1 << 20));
}

}  // namespace
}  // namespace sluice
