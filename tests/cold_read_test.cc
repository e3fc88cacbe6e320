// Copyright 2026 The sluice Authors.
//
// Cold reads never stall the engine thread: while one transfer's read is
// held in a FUSE file system (a source as cold as the test wants), hundreds
// of hot transfers on the same engine finish, byte-exact, on every Linux
// backend; after the release the cold transfer finishes byte-exact too.
// With EngineOptions::avoid_cold_reads = false the engine thread blocks in
// the held read and the test fails (its watchdog releases the read so the
// run ends).

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/held_read_fs.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::HeldReadFs;
using ::sluice::testing::IsOk;
using ::sluice::testing::PatternFile;
using ::sluice::testing::PatternSlice;
using ::sluice::testing::ReadAvailable;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;

constexpr uint64_t kColdSize = (3 << 20) + 4097;
constexpr uint64_t kColdOffset = 4099;
constexpr uint64_t kColdCount = kColdSize - kColdOffset - 7;
constexpr uint64_t kHotSize = 20011;
constexpr int kHotTransfers = 200;
// How long the watchdog lets the engine thread stay away before it decides
// the thread is stuck in the held read and releases it. Only a failing run
// ever waits this long.
constexpr absl::Duration kStuckAfter = absl::Seconds(60);

struct ColdConfig {
  std::string name;
  EngineOptions options;
};

// Releases the held read if the test thread has not reported back in time:
// a thread blocked in the read (the protection missing) gets out, and the
// test fails instead of hanging.
class Watchdog {
 public:
  explicit Watchdog(HeldReadFs& fs)
      : thread_([this, &fs] {
          std::unique_lock<std::mutex> lock(mutex_);
          if (!done_changed_.wait_for(lock,
                                      absl::ToChronoNanoseconds(kStuckAfter),
                                      [this] { return done_; })) {
            fired_ = true;
            lock.unlock();
            fs.Release();
          }
        }) {}
  ~Watchdog() { Stop(); }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  bool fired() const { return fired_; }

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

// Lets every held read go when the test ends, however it ends, before the
// engine is destroyed (which waits for reads in flight).
class ReleaseAtEnd {
 public:
  explicit ReleaseAtEnd(HeldReadFs& fs) : fs_(fs) {}
  ~ReleaseAtEnd() { fs_.Release(); }

 private:
  HeldReadFs& fs_;
};

bool KernelHasCachestat(int fd) {
  struct {
    uint64_t offset, length;
  } range{0, 0};
  uint64_t stat[5] = {};
  return ::syscall(451, fd, &range, stat, 0) == 0;
}

class ColdReadTest : public ::testing::TestWithParam<ColdConfig> {};

TEST_P(ColdReadTest, HotTransfersFinishWhileAColdReadIsHeld) {
  const EngineOptions& options = GetParam().options;
  if (absl::Status probe = ProbeBackend(options.backend); !probe.ok()) {
    GTEST_SKIP() << GetParam().name << " unavailable: " << probe;
  }
  absl::StatusOr<std::unique_ptr<HeldReadFs>> fs = HeldReadFs::Mount(kColdSize);
  if (!fs.ok()) GTEST_SKIP() << "cannot hold a read here: " << fs.status();
  absl::StatusOr<testing::UniqueFd> cold_file = (*fs)->Open();
  ASSERT_THAT(cold_file, IsOk());
  if (!KernelHasCachestat(cold_file->get())) {
    GTEST_SKIP() << "this kernel has no cachestat(2): the engine cannot tell "
                    "a cold range before it reads it";
  }
  // Declared so that, whatever ends the test, the held reads go first, then
  // the engine (its callbacks close the senders), then the readers.
  absl::StatusOr<StreamPair> cold_pair =
      testing::MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(cold_pair, IsOk());
  testing::Drainer cold_drainer(cold_pair->receiver.get(), absl::Minutes(2));
  std::optional<TransferResult> cold_result;
  PatternFile hot(kHotSize);
  std::vector<StreamPair> pairs;
  std::vector<std::optional<TransferResult>> results(kHotTransfers);
  int hot_done = 0;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_THAT(engine, IsOk());
  ReleaseAtEnd release_at_end(**fs);
  Watchdog watchdog(**fs);

  // The cold transfer first, odd offset and count, with header and trailer.
  ASSERT_THAT(
      (*engine)->Submit({.socket_fd = cold_pair->sender.get(),
                         .file_fd = cold_file->get(),
                         .offset = kColdOffset,
                         .count = kColdCount,
                         .header = "cold head\n",
                         .trailer = "\ncold tail"},
                        [&](TransferId, const TransferResult& r) {
                          cold_result = r;
                          cold_pair->sender.reset();  // EOF for the drainer
                        }),
      IsOk());
  // Its first push reaches the file; without the protection this Poll()
  // blocks in the held read until the watchdog lets it go.
  ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  ASSERT_FALSE(watchdog.fired())
      << "the engine thread was stuck in the held read";
  ASSERT_TRUE((*fs)->WaitForHeldRead(kStuckAfter))
      << "the cold transfer never read its file";

  // Hundreds of hot transfers, each on its own unix socket (whose buffer
  // holds a whole response, so no reader is needed until the end).
  for (int i = 0; i < kHotTransfers; ++i) {
    absl::StatusOr<StreamPair> pair = testing::MakeStreamPair(Transport::kUnix);
    ASSERT_THAT(pair, IsOk());
    pairs.push_back(*std::move(pair));
  }
  for (int i = 0; i < kHotTransfers; ++i) {
    const uint64_t offset = static_cast<uint64_t>(i % 97);
    ASSERT_THAT((*engine)->Submit(
                    {.socket_fd = pairs[i].sender.get(),
                     .file_fd = hot.fd(),
                     .offset = offset,
                     .count = kHotSize - offset - static_cast<uint64_t>(i % 13),
                     .header = absl::StrCat("hot ", i, "\n")},
                    [&, i](TransferId, const TransferResult& r) {
                      results[i] = r;
                      pairs[i].sender.reset();
                      ++hot_done;
                    }),
                IsOk());
  }
  for (int turn = 0;
       turn < 100000 && hot_done < kHotTransfers && !watchdog.fired(); ++turn) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(100)), IsOk());
  }
  ASSERT_FALSE(watchdog.fired())
      << "the engine thread was stuck in the held read";
  ASSERT_EQ(hot_done, kHotTransfers);
  EXPECT_FALSE(cold_result.has_value())
      << "the cold transfer finished while its read was held";
  for (int i = 0; i < kHotTransfers; ++i) {
    const uint64_t offset = static_cast<uint64_t>(i % 97);
    const uint64_t count = kHotSize - offset - static_cast<uint64_t>(i % 13);
    ASSERT_TRUE(results[i].has_value());
    EXPECT_THAT(results[i]->status, IsOk()) << i;
    EXPECT_EQ(results[i]->bytes_sent, count) << i;
    EXPECT_EQ(results[i]->cold_bytes, 0u) << i;
    EXPECT_TRUE(ReadAvailable(pairs[i].receiver.get()) ==
                absl::StrCat("hot ", i, "\n") + hot.Slice(offset, count))
        << "hot transfer " << i << " delivered the wrong bytes";
  }

  (*fs)->Release();
  for (int turn = 0; turn < 100000 && !cold_result.has_value(); ++turn) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(100)), IsOk());
  }
  watchdog.Stop();
  ASSERT_TRUE(cold_result.has_value());
  EXPECT_THAT(cold_result->status, IsOk());
  EXPECT_EQ(cold_result->bytes_sent, kColdCount);
  EXPECT_GT(cold_result->cold_bytes, 0u);
  const std::string received = cold_drainer.Join();
  EXPECT_TRUE(received == "cold head\n" +
                              PatternSlice(kColdSize, kColdOffset, kColdCount) +
                              "\ncold tail")
      << "the cold transfer delivered the wrong bytes (" << received.size()
      << " bytes)";
  const EngineStats stats = (*engine)->stats();
  EXPECT_GT(stats.cold_pushes, 0u);
  EXPECT_GE(stats.cold_bytes, cold_result->cold_bytes);
}

std::vector<ColdConfig> ColdConfigs() {
  return {
      {"iouring", EngineOptions{.backend = BackendKind::kIoUring}},
      {"iouring_forced_sendfile",
       EngineOptions{.backend = BackendKind::kIoUring,
                     .uring_data_path = DataPath::kSendfile}},
      {"sendfile", EngineOptions{.backend = BackendKind::kSendfile}},
      {"readsend", EngineOptions{.backend = BackendKind::kReadSend}},
  };
}

INSTANTIATE_TEST_SUITE_P(Backends, ColdReadTest,
                         ::testing::ValuesIn(ColdConfigs()),
                         [](const ::testing::TestParamInfo<ColdConfig>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace sluice
