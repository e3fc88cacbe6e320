// Copyright 2026 The sluice Authors.
//
// The engine as an embedder drives it: many transfers at once, the wake fd
// in a host loop, options checking, backend selection.

#include "sluice/engine.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::DrainAll;
using ::sluice::testing::IsOk;
using ::sluice::testing::MakeStreamPair;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::testing::HasSubstr;

class EngineBackendTest
    : public ::testing::TestWithParam<testing::BackendConfig> {
 protected:
  void SetUp() override { SLUICE_SKIP_UNLESS_AVAILABLE(GetParam()); }
  EngineOptions options() const { return GetParam().options; }
};

// 2,000 transfers with odd offsets and counts, live at once on one engine,
// over loopback TCP; each receiver's bytes are compared with its slice.
TEST_P(EngineBackendTest, TwoThousandConcurrentTransfersAreByteExact) {
  constexpr int kTransfers = 2000;
  ASSERT_GE(testing::RaiseFdLimit(3 * kTransfers + 100), 3u * kTransfers + 100)
      << "needs fds for 2 sockets per transfer";
  PatternFile file(8 << 20);
  std::mt19937_64 rng(2000);
  std::vector<StreamPair> pairs;
  std::vector<TransferSpec> specs;
  std::vector<int> receivers;
  for (int i = 0; i < kTransfers; ++i) {
    absl::StatusOr<StreamPair> pair =
        MakeStreamPair(i % 2 == 0 ? Transport::kTcp4 : Transport::kUnix);
    ASSERT_THAT(pair, IsOk());
    receivers.push_back(pair->receiver.get());
    TransferSpec spec;
    spec.socket_fd = pair->sender.get();
    spec.file_fd = file.fd();
    spec.offset = rng() % file.size();
    spec.count =
        1 + rng() % std::min<uint64_t>(file.size() - spec.offset, 64 * 1024);
    spec.header = absl::StrCat("#", i, "#");
    specs.push_back(spec);
    pairs.push_back(*std::move(pair));
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  std::vector<TransferResult> results(kTransfers);
  std::vector<int> calls(kTransfers, 0);
  for (int i = 0; i < kTransfers; ++i) {
    ASSERT_THAT((*engine)->Submit(specs[i],
                                  [&, i](TransferId, const TransferResult& r) {
                                    results[i] = r;
                                    ++calls[i];
                                    // The receiver sees EOF once we are done.
                                    ::shutdown(pairs[i].sender.get(), SHUT_WR);
                                  }),
                IsOk());
  }
  EXPECT_EQ((*engine)->live_transfers(), static_cast<size_t>(kTransfers));
  std::vector<std::string> received;
  std::thread receiver(
      [&] { received = DrainAll(receivers, absl::Seconds(120)); });
  ASSERT_THAT((*engine)->Run(), IsOk());
  receiver.join();
  ASSERT_EQ(received.size(), static_cast<size_t>(kTransfers));
  int mismatches = 0;
  for (int i = 0; i < kTransfers; ++i) {
    EXPECT_EQ(calls[i], 1);
    EXPECT_THAT(results[i].status, IsOk()) << i;
    EXPECT_EQ(results[i].bytes_sent, *specs[i].count);
    const std::string expected =
        specs[i].header + file.Slice(specs[i].offset, *specs[i].count);
    if (received[i] != expected && ++mismatches < 5) {
      ADD_FAILURE() << "transfer " << i << " received " << received[i].size()
                    << " bytes, expected " << expected.size();
    }
  }
  EXPECT_EQ(mismatches, 0);
  const EngineStats stats = (*engine)->stats();
  EXPECT_EQ(stats.transfers_completed, static_cast<uint64_t>(kTransfers));
  EXPECT_EQ(stats.completed_with(absl::StatusCode::kOk),
            static_cast<uint64_t>(kTransfers));
}

// Sets `wake` to the engine's wake fd; skips the test on builds without
// epoll, and fails it on any other error.
#define SLUICE_WAKE_FD_OR_SKIP(engine, wake)                            \
  do {                                                                  \
    absl::StatusOr<int> wake_fd = (engine).wake_fd();                   \
    if (absl::IsUnimplemented(wake_fd.status())) {                      \
      GTEST_SKIP() << "no wake fd on this build: " << wake_fd.status(); \
    }                                                                   \
    ASSERT_THAT(wake_fd, IsOk());                                       \
    (wake) = *wake_fd;                                                  \
  } while (0)

// The embedding pattern: the host waits on wake_fd() and polls the engine
// with a zero timeout only when it is readable.
TEST_P(EngineBackendTest, HostLoopDrivesEngineThroughWakeFd) {
  PatternFile file(4 << 20);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int wake = -1;
  SLUICE_WAKE_FD_OR_SKIP(**engine, wake);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kTcp4);
  ASSERT_THAT(pair, IsOk());
  testing::Drainer drainer(pair->receiver.get());
  bool done = false;
  ASSERT_THAT(
      (*engine)->Submit({.socket_fd = pair->sender.get(), .file_fd = file.fd()},
                        [&](TransferId, const TransferResult& r) {
                          EXPECT_THAT(r.status, IsOk());
                          done = true;
                        }),
      IsOk());
  int wakeups = 0;
  for (int i = 0; i < 100000 && !done; ++i) {
    pollfd p{wake, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 5000), 1) << "engine had work but wake fd slept";
    ++wakeups;
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  }
  EXPECT_TRUE(done);
  pair->sender.reset();
  EXPECT_TRUE(drainer.Join() == file.Slice(0, 4 << 20));
  // Idle engine: after at most one spurious wakeup (completions that arrived
  // while the last Poll ran), the wake fd goes quiet instead of spinning the
  // host loop.
  ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  pollfd p{wake, POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
}

// Many transfers ending together, with the host sleeping on wake_fd()
// between polls: every completion must wake it. (With DEFER_TASKRUN the
// kernel posts at most 20 held-back completions per io_uring_enter() and
// signals the eventfd only for new ones: 64 splices ending at once left
// the host asleep on the rest.)
TEST_P(EngineBackendTest, HostLoopDrivesManyTransfersThroughWakeFd) {
  constexpr int kTransfers = 64;
  constexpr uint64_t kSize = 1 << 20;
  {
    absl::StatusOr<std::unique_ptr<Engine>> probe = Engine::Create(options());
    ASSERT_THAT(probe, IsOk());
    [[maybe_unused]] int wake = -1;
    SLUICE_WAKE_FD_OR_SKIP(**probe, wake);
  }
  PatternFile file(kSize);
  std::vector<StreamPair> pairs;
  std::vector<int> receivers;
  for (int i = 0; i < kTransfers; ++i) {
    absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
    ASSERT_THAT(pair, IsOk());
    receivers.push_back(pair->receiver.get());
    pairs.push_back(*std::move(pair));
  }
  int done = 0;
  bool slept_through = false;
  // Everything engine-side on one thread, as the contract asks.
  std::thread host([&] {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
    if (!engine.ok() || !(*engine)->wake_fd().ok()) {
      for (StreamPair& pair : pairs) pair.sender.reset();
      return;
    }
    for (int i = 0; i < kTransfers; ++i) {
      absl::StatusOr<TransferId> id =
          (*engine)->Submit({.socket_fd = pairs[i].sender.get(),
                             .file_fd = file.fd(),
                             .header = absl::StrCat("head ", i, "\n")},
                            [&, i](TransferId, const TransferResult& r) {
                              EXPECT_THAT(r.status, IsOk());
                              pairs[i].sender.reset();  // EOF for the reader
                              ++done;
                            });
      EXPECT_THAT(id, IsOk());
    }
    for (int i = 0; i < 1000000 && done < kTransfers; ++i) {
      pollfd p{*(*engine)->wake_fd(), POLLIN, 0};
      if (::poll(&p, 1, 10000) != 1) {
        slept_through = true;
        break;
      }
      if (!(*engine)->Poll(absl::ZeroDuration()).ok()) break;
    }
    for (StreamPair& pair : pairs) pair.sender.reset();
  });
  const std::vector<std::string> received =
      DrainAll(receivers, absl::Seconds(120));
  host.join();
  EXPECT_FALSE(slept_through)
      << done << " of " << kTransfers << " ended before the wake fd went quiet";
  EXPECT_EQ(done, kTransfers);
  for (int i = 0; i < kTransfers; ++i) {
    EXPECT_TRUE(received[i] ==
                absl::StrCat("head ", i, "\n") + file.Slice(0, kSize))
        << "transfer " << i << ": " << received[i].size() << " bytes";
  }
}

// A host that sleeps on wake_fd() alone still sees an idle timeout fire.
TEST_P(EngineBackendTest, WakeFdFiresForTimeouts) {
  PatternFile file(16 << 20);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int wake = -1;
  SLUICE_WAKE_FD_OR_SKIP(**engine, wake);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair, IsOk());
  std::optional<TransferResult> result;
  ASSERT_THAT((*engine)->Submit(
                  {.socket_fd = pair->sender.get(),
                   .file_fd = file.fd(),
                   .idle_timeout = absl::Milliseconds(100)},
                  [&](TransferId, const TransferResult& r) { result = r; }),
              IsOk());
  // Nobody reads: only the timer can end it.
  for (int i = 0; i < 100000 && !result.has_value(); ++i) {
    pollfd p{wake, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the timeout never woke the host";
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  }
  ASSERT_TRUE(result.has_value());
  EXPECT_THAT(result->status, StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// The wake timer may stay armed for a nearer time than needed, never a
// later one: a shorter timeout submitted after a long one still wakes the
// host, and once it fired the wake fd goes quiet again.
TEST_P(EngineBackendTest, WakeFdFiresForAShorterTimeoutSubmittedLater) {
  PatternFile file(16 << 20);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int wake = -1;
  SLUICE_WAKE_FD_OR_SKIP(**engine, wake);
  absl::StatusOr<StreamPair> slow = MakeStreamPair(Transport::kUnix);
  absl::StatusOr<StreamPair> fast = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(slow, IsOk());
  ASSERT_THAT(fast, IsOk());
  std::optional<TransferResult> slow_result;
  std::optional<TransferResult> fast_result;
  // Nobody reads either socket: only timers can end them.
  ASSERT_THAT((*engine)->Submit({.socket_fd = slow->sender.get(),
                                 .file_fd = file.fd(),
                                 .idle_timeout = absl::Hours(1)},
                                [&](TransferId, const TransferResult& r) {
                                  slow_result = r;
                                }),
              IsOk());
  // Let it fill its socket and arm the timer for an hour from now.
  for (int i = 0; i < 100; ++i) {
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
    pollfd p{wake, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) break;
  }
  ASSERT_THAT((*engine)->Submit({.socket_fd = fast->sender.get(),
                                 .file_fd = file.fd(),
                                 .idle_timeout = absl::Milliseconds(100)},
                                [&](TransferId, const TransferResult& r) {
                                  fast_result = r;
                                }),
              IsOk());
  for (int i = 0; i < 100000 && !fast_result.has_value(); ++i) {
    pollfd p{wake, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1)
        << "the short timeout never woke the host";
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  }
  ASSERT_TRUE(fast_result.has_value());
  EXPECT_THAT(fast_result->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_FALSE(slow_result.has_value());
  // Quiet again within a few polls (completions of the ended transfer's
  // requests may still arrive), not readable until the hour is up.
  bool quiet = false;
  for (int i = 0; i < 10 && !quiet; ++i) {
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
    pollfd p{wake, POLLIN, 0};
    quiet = ::poll(&p, 1, 0) == 0;
  }
  EXPECT_TRUE(quiet);
  // The slow transfer ends (Cancelled) in the destructor: before
  // slow_result goes away.
  engine->reset();
  ASSERT_TRUE(slow_result.has_value());
  EXPECT_THAT(slow_result->status, StatusIs(absl::StatusCode::kCancelled));
}

// When the nearest timer goes away, the armed one may wake the host early;
// that Poll() re-arms it, and the next timeout still fires.
TEST_P(EngineBackendTest, WakeFdFiresAfterAnEarlyWake) {
  PatternFile file(16 << 20);
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int wake = -1;
  SLUICE_WAKE_FD_OR_SKIP(**engine, wake);
  absl::StatusOr<StreamPair> first = MakeStreamPair(Transport::kUnix);
  absl::StatusOr<StreamPair> second = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  std::optional<TransferResult> first_result;
  std::optional<TransferResult> second_result;
  absl::StatusOr<TransferId> first_id = (*engine)->Submit(
      {.socket_fd = first->sender.get(),
       .file_fd = file.fd(),
       .idle_timeout = absl::Milliseconds(100)},
      [&](TransferId, const TransferResult& r) { first_result = r; });
  ASSERT_THAT(first_id, IsOk());
  ASSERT_THAT((*engine)->Submit({.socket_fd = second->sender.get(),
                                 .file_fd = file.fd(),
                                 .idle_timeout = absl::Milliseconds(400)},
                                [&](TransferId, const TransferResult& r) {
                                  second_result = r;
                                }),
              IsOk());
  ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE((*engine)->Cancel(*first_id));
  int wakeups = 0;
  for (; wakeups < 100000 && !second_result.has_value(); ++wakeups) {
    pollfd p{wake, POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the second timeout never woke";
    ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
  }
  // A handful: the cancel, the early wake, the timeout (and completions
  // arriving after a Poll). A fired timer left unre-armed would keep the
  // wake fd readable and spin this loop thousands of times.
  EXPECT_LT(wakeups, 50);
  ASSERT_TRUE(first_result.has_value());
  EXPECT_THAT(first_result->status, StatusIs(absl::StatusCode::kCancelled));
  ASSERT_TRUE(second_result.has_value());
  EXPECT_THAT(second_result->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
}

// Destroying the engine cancels its transfers; a callback that submits
// again then is refused, so the destructor ends.
TEST_P(EngineBackendTest, CallbacksCannotSubmitDuringDestruction) {
  PatternFile file(16 << 20);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair, IsOk());
  absl::Status resubmitted;
  int calls = 0;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
    ASSERT_THAT(engine, IsOk());
    Engine* raw = engine->get();
    ASSERT_THAT(
        raw->Submit({.socket_fd = pair->sender.get(), .file_fd = file.fd()},
                    [&](TransferId, const TransferResult& r) {
                      ++calls;
                      EXPECT_THAT(r.status,
                                  StatusIs(absl::StatusCode::kCancelled));
                      resubmitted =
                          raw->Submit({.socket_fd = pair->sender.get(),
                                       .file_fd = file.fd()},
                                      [](TransferId, const TransferResult&) {})
                              .status();
                    }),
        IsOk());
    ASSERT_THAT(raw->Poll(absl::Milliseconds(10)), IsOk());
  }
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(resubmitted, StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("destroyed")));
}

// Each open fd of this process and what it names ("anon_inode:[eventpoll]").
std::map<int, std::string> OpenFds() {
  std::map<int, std::string> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == ::dirfd(dir))
      continue;
    char target[256] = {};
    const std::string link = absl::StrCat("/proc/self/fd/", entry->d_name);
    if (::readlink(link.c_str(), target, sizeof(target) - 1) > 0) {
      fds[std::atoi(entry->d_name)] = target;
    }
  }
  ::closedir(dir);
  return fds;
}

// A host that clobbers an fd the engine owns (here: the engine's epoll set
// or ring, replaced by /dev/null) leaves it a waiter that fails on every
// Poll(). Destroying the engine must still run every callback once, with a
// status that says what happened and counts no byte it cannot confirm. (That
// it then keeps, rather than frees, memory the kernel may still use is not
// observable here.) On the readiness backends a cancel needs no waiter, so
// only the io_uring configurations can fail this without the fix.
TEST_P(EngineBackendTest, DestroyedWithABrokenWaiterStillRunsEveryCallback) {
  const std::map<int, std::string> before = OpenFds();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  PatternFile file(8 << 20);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair, IsOk());
  TransferSpec spec;
  spec.socket_fd = pair->sender.get();
  spec.file_fd = file.fd();
  spec.count = file.size();
  int calls = 0;
  TransferResult result;
  ASSERT_THAT((*engine)->Submit(spec,
                                [&](TransferId, const TransferResult& r) {
                                  ++calls;
                                  result = r;
                                }),
              IsOk());
  // The receiver never reads: the push stays out, waiting for room.
  for (int i = 0; i < 10; ++i) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(10)), IsOk());
  }
  ASSERT_EQ(calls, 0);

  int victim = -1;
  for (const auto& [fd, target] : OpenFds()) {
    if (before.contains(fd)) continue;
    if (target == "anon_inode:[eventpoll]" || target == "anon_inode:[io_uring]")
      victim = fd;
  }
  if (victim < 0) GTEST_SKIP() << "the engine holds no epoll set or ring";
  const int dev_null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  ASSERT_GE(dev_null, 0);
  ASSERT_EQ(::dup2(dev_null, victim), victim);
  ::close(dev_null);
  EXPECT_FALSE((*engine)->Poll(absl::ZeroDuration()).ok());

  engine->reset();
  ASSERT_EQ(calls, 1);
  EXPECT_FALSE(result.status.ok());
  EXPECT_EQ(result.next_offset, result.bytes_sent);
  const std::string received = testing::ReadAvailable(pair->receiver.get());
  EXPECT_GE(received.size(), result.bytes_sent);
  EXPECT_EQ(received.substr(0, result.bytes_sent),
            file.Slice(0, result.bytes_sent));
}

INSTANTIATE_TEST_SUITE_P(Backends, EngineBackendTest,
                         ::testing::ValuesIn(testing::AllBackendConfigs()),
                         testing::ConfigName);

TEST(EngineTest, RejectsBadOptions) {
  EXPECT_THAT(
      Engine::Create({.quantum_bytes = 0}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quantum_bytes")));
  EXPECT_THAT(
      Engine::Create({.max_active = 0}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_active")));
}

TEST(EngineTest, RejectsBadTrafficClasses) {
  EXPECT_THAT(
      Engine::Create({.traffic_classes = {{.name = "", .weight = 1}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a name")));
  EXPECT_THAT(
      Engine::Create({.traffic_classes = {{.name = "video", .weight = 0}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("weight > 0")));
  EXPECT_THAT(
      Engine::Create(
          {.traffic_classes = {{.name = "video"}, {.name = "video"}}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("named twice")));
}

TEST(EngineTest, ATransferNamesOneOfTheEnginesClasses) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(
      {.traffic_classes = {{.name = "video", .weight = 3}}, .turn_bytes = 1});
  ASSERT_THAT(engine, IsOk());
  PatternFile file(100);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair, IsOk());
  const auto ignore = [](TransferId, const TransferResult&) {};
  EXPECT_THAT(
      (*engine)->Submit({.socket_fd = pair->sender.get(),
                         .file_fd = file.fd(),
                         .traffic_class = "audio"},
                        ignore),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"audio\"")));
  EXPECT_EQ((*engine)->live_transfers(), 0u);
  // A turn of one byte still moves a whole push: the bytes all arrive.
  std::string received;
  TransferResult result;
  ASSERT_THAT((*engine)->Submit(
                  {.socket_fd = pair->sender.get(),
                   .file_fd = file.fd(),
                   .traffic_class = "video"},
                  [&](TransferId, const TransferResult& r) { result = r; }),
              IsOk());
  ASSERT_THAT((*engine)->Run(), IsOk());
  EXPECT_THAT(result.status, IsOk());
  pair->sender.reset();
  EXPECT_EQ(DrainAll({pair->receiver.get()}, absl::Seconds(10))[0],
            file.Slice(0, 100));
}

TEST(EngineTest, AutoPicksTheBestAvailableBackend) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create({});
  ASSERT_THAT(engine, IsOk());
  const std::vector<BackendKind> available = AvailableBackends();
  ASSERT_FALSE(available.empty());
  EXPECT_EQ((*engine)->backend(), available.front());
  if (available.front() != BackendKind::kIoUring) {
    EXPECT_THAT((*engine)->stats().backend_note, HasSubstr("iouring"));
  }
}

TEST(EngineTest, EmptyCallbackIsRefused) {
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create({});
  ASSERT_THAT(engine, IsOk());
  PatternFile file(10);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair, IsOk());
  EXPECT_THAT(
      (*engine)->Submit({.socket_fd = pair->sender.get(), .file_fd = file.fd()},
                        DoneCallback()),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ((*engine)->live_transfers(), 0u);
}

TEST(BackendKindTest, NamesRoundTrip) {
  for (BackendKind kind : {BackendKind::kAuto, BackendKind::kIoUring,
                           BackendKind::kSendfile, BackendKind::kReadSend}) {
    absl::StatusOr<BackendKind> parsed =
        ParseBackendKind(BackendKindName(kind));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_EQ(*ParseBackendKind("IO_URING"), BackendKind::kIoUring);
  EXPECT_THAT(ParseBackendKind("splice"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("auto, iouring, sendfile, readsend")));
}

TEST(DataPathTest, NamesRoundTrip) {
  for (DataPath path : {DataPath::kAuto, DataPath::kSendfile, DataPath::kSplice,
                        DataPath::kCopy}) {
    absl::StatusOr<DataPath> parsed = ParseDataPath(DataPathName(path));
    ASSERT_THAT(parsed, IsOk());
    EXPECT_EQ(*parsed, path);
  }
  EXPECT_THAT(ParseDataPath("teleport"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("auto, sendfile, splice, copy")));
}

TEST(BackendKindTest, ReadSendIsAlwaysAvailable) {
  EXPECT_THAT(ProbeBackend(BackendKind::kReadSend), IsOk());
  EXPECT_THAT(ProbeBackend(BackendKind::kAuto), IsOk());
  const std::vector<BackendKind> available = AvailableBackends();
  EXPECT_EQ(available.back(), BackendKind::kReadSend);
}

}  // namespace
}  // namespace sluice
