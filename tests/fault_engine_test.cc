// Copyright 2026 The sluice Authors.
//
// The fault matrix (issue 11), part 3: the engine under pressure from its
// host: an fd limit too low for pipes, io_uring refused, signals arriving
// while it polls, 10,000 cancels from one callback, Submit() and Cancel()
// from callbacks, and destruction with 1,000 transfers live. Every backend
// and io_uring data path (testing/backend_configs.h); each case checks the
// exact status and bytes of every transfer against its receiver, byte for
// byte, and that no fd outlives the engine. fault_test.cc lists the whole
// matrix and where each row is tested.

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/faults.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::CheckStreams;
using ::sluice::testing::ExpectedStream;
using ::sluice::testing::FdTable;
using ::sluice::testing::FirstDifference;
using ::sluice::testing::IsOk;
using ::sluice::testing::MakeStreamPair;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamCheck;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kLimit = absl::Seconds(60);

// Many transfers on unix socket pairs, each stream checked against the
// result its callback got.
struct Fleet {
  std::vector<StreamPair> pairs;
  std::vector<TransferSpec> specs;
  std::vector<TransferId> ids;
  std::vector<TransferResult> results;
  std::vector<int> calls;

  // `count` transfers of odd slices of `file`, every other one with a
  // header; `sndbuf` > 0 shrinks each sender's buffer. Only the first
  // `readers` keep their receiving end (all: -1).
  Fleet(const PatternFile& file, int count, uint64_t slice, int sndbuf,
        int readers = -1) {
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
      EXPECT_THAT(pair, IsOk());
      if (!pair.ok()) break;
      if (readers >= 0 && i >= readers) pair->receiver.reset();
      if (sndbuf > 0) {
        EXPECT_EQ(::setsockopt(pair->sender.get(), SOL_SOCKET, SO_SNDBUF,
                               &sndbuf, sizeof(sndbuf)),
                  0);
      }
      TransferSpec spec;
      spec.socket_fd = pair->sender.get();
      spec.file_fd = file.fd();
      spec.count = slice + static_cast<uint64_t>(i % 1000);
      spec.offset = (uint64_t{7919} * i + 1) % (file.size() - *spec.count);
      if (i % 2 == 1) spec.header = absl::StrCat("#", i, "\r\n");
      specs.push_back(spec);
      pairs.push_back(*std::move(pair));
    }
    results.resize(specs.size());
    calls.resize(specs.size());
  }

  // Every transfer ended once, OK, and its receiver got `received[i]`:
  // exactly the header and the file slice.
  void ExpectAllDelivered(const PatternFile& file,
                          const std::vector<std::string>& received) const {
    for (size_t i = 0; i < specs.size(); ++i) {
      const TransferSpec& spec = specs[i];
      EXPECT_EQ(calls[i], 1) << i;
      EXPECT_THAT(results[i].status, IsOk()) << i;
      EXPECT_EQ(results[i].bytes_sent, *spec.count) << i;
      EXPECT_EQ(
          FirstDifference(received[i],
                          spec.header + file.Slice(spec.offset, *spec.count)),
          "")
          << i;
    }
  }

  void SubmitAll(Engine& engine) {
    for (size_t i = 0; i < specs.size(); ++i) {
      absl::StatusOr<TransferId> id = engine.Submit(
          specs[i], [this, i](TransferId, const TransferResult& r) {
            ++calls[i];
            results[i] = r;
          });
      ASSERT_THAT(id, IsOk());
      ids.push_back(*id);
    }
  }

  // Ends every stream and checks that each carried exactly the header and
  // file bytes its result reports (a transfer whose receiver is closed must
  // report none). Returns the number of transfers that did not (the first
  // few are reported).
  int CheckStreamsAgainstResults(absl::Duration limit) {
    std::vector<int> fds;
    std::vector<ExpectedStream> expected;
    std::vector<size_t> read;
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (!pairs[i].receiver.valid()) continue;
      ::shutdown(pairs[i].sender.get(), SHUT_WR);
      fds.push_back(pairs[i].receiver.get());
      expected.push_back({specs[i].header, specs[i].offset});
      read.push_back(i);
    }
    std::vector<StreamCheck> checks(pairs.size(), StreamCheck{.eof = true});
    const std::vector<StreamCheck> got = CheckStreams(fds, expected, limit);
    for (size_t k = 0; k < got.size(); ++k) checks[read[k]] = got[k];
    int wrong = 0;
    for (size_t i = 0; i < checks.size(); ++i) {
      const TransferResult& r = results[i];
      const bool exact =
          calls[i] == 1 && checks[i].eof && checks[i].first_mismatch < 0 &&
          checks[i].received == r.header_bytes_sent + r.bytes_sent &&
          r.next_offset == specs[i].offset + r.bytes_sent &&
          (r.bytes_sent == 0 || r.header_bytes_sent == specs[i].header.size());
      if (!exact && ++wrong <= 5) {
        ADD_FAILURE() << "transfer " << i << ": " << calls[i]
                      << " callbacks, eof " << checks[i].eof
                      << ", first mismatch at " << checks[i].first_mismatch
                      << ", received " << checks[i].received << "; result "
                      << r.status << ", header " << r.header_bytes_sent
                      << ", file " << r.bytes_sent << ", next offset "
                      << r.next_offset;
      }
    }
    return wrong;
  }
};

class FaultEngineTest
    : public ::testing::TestWithParam<testing::BackendConfig> {
 protected:
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(GetParam());
    ASSERT_TRUE(testing::SigpipeIsDefault())
        << "the test must run with SIGPIPE at its default action";
  }
  const EngineOptions& options() const { return GetParam().options; }
  bool splice() const {
    return options().backend == BackendKind::kIoUring &&
           options().uring_data_path == DataPath::kSplice;
  }
};

// --- Limits ----------------------------------------------------------------

// With no fd to spare, the io_uring backend cannot make a pipe (EMFILE):
// every splice push goes by sendfile instead, and still byte-exact; with
// room for one pipe, transfers take turns with it. The other backends need
// no fd per transfer at all.
TEST_P(FaultEngineTest, FdLimitTooLowForPipes) {
  PatternFile file(4 << 20);
  for (const int spare : {0, 2}) {
    SCOPED_TRACE(absl::StrCat(spare, " fds to spare"));
    Fleet fleet(file, 6, 700001, 0);
    // Threads start before the limit drops: the sanitizers' runtime opens a
    // pipe to check memory it has not seen yet (a thread's state is such).
    std::vector<std::unique_ptr<testing::Drainer>> drainers;
    for (const StreamPair& pair : fleet.pairs) {
      drainers.push_back(
          std::make_unique<testing::Drainer>(pair.receiver.get(), kLimit));
    }
    const FdTable fds_before = testing::OpenFds();
    {
      absl::StatusOr<std::unique_ptr<Engine>> engine =
          Engine::Create(options());
      ASSERT_THAT(engine, IsOk());
      testing::FdLimitScope limit;
      ASSERT_TRUE(limit.AllowOnly(spare));
      if (spare == 0) {
        int fds[2];
        ASSERT_NE(::pipe2(fds, O_CLOEXEC), 0) << "the limit did not hold";
        ASSERT_EQ(errno, EMFILE);
      }
      fleet.SubmitAll(**engine);
      const bool ended = testing::RunFor(**engine, kLimit);
      for (const StreamPair& pair : fleet.pairs) {
        ::shutdown(pair.sender.get(), SHUT_WR);
      }
      std::vector<std::string> received;
      for (const auto& drainer : drainers) received.push_back(drainer->Join());
      ASSERT_TRUE(ended);
      fleet.ExpectAllDelivered(file, received);
      if (splice() && spare == 0) {
        for (size_t i = 0; i < fleet.specs.size(); ++i) {
          EXPECT_EQ(fleet.results[i].data_path, DataPath::kSendfile) << i;
        }
        EXPECT_EQ((*engine)->stats().splices, 0u);
      }
    }
    EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  }
}

// A seccomp filter (as containers install) that refuses io_uring_setup:
// an explicit io_uring engine says so, kAuto falls back, names the reason
// and sends byte-exact. (SLUICE_DISABLE_IO_URING does the same without a
// filter: AutoBackendTest in stress_test.cc.) The filter binds only the
// thread that installs it, and the threads it starts.
TEST(FaultIoUringRefusedTest, SeccompFilterMakesAutoFallBack) {
  if (absl::Status probe = ProbeBackend(BackendKind::kIoUring); !probe.ok()) {
    GTEST_SKIP() << "io_uring unavailable anyway: " << probe;
  }
  PatternFile file(1 << 20);
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kTcp4);
  ASSERT_THAT(pair, IsOk());
  testing::Drainer drainer(pair->receiver.get());
  std::string skipped;
  absl::Status explicit_uring;
  std::optional<BackendKind> fell_back_to;
  std::string note;
  TransferResult result;
  std::thread filtered([&] {
    sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K,
                 SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(code)), code};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      skipped = absl::StrCat("cannot install a seccomp filter: errno ", errno);
      return;
    }
    explicit_uring =
        Engine::Create({.backend = BackendKind::kIoUring}).status();
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create({});
    ASSERT_THAT(engine, IsOk());
    fell_back_to = (*engine)->backend();
    note = (*engine)->stats().backend_note;
    ASSERT_THAT((*engine)->Submit(
                    {.socket_fd = pair->sender.get(),
                     .file_fd = file.fd(),
                     .offset = 99,
                     .header = "head"},
                    [&](TransferId, const TransferResult& r) { result = r; }),
                IsOk());
    EXPECT_TRUE(testing::RunFor(**engine, kLimit));
  });
  filtered.join();
  pair->sender.reset();
  const std::string received = drainer.Join();
  if (!skipped.empty()) GTEST_SKIP() << skipped;
  EXPECT_THAT(explicit_uring, StatusIs(absl::StatusCode::kPermissionDenied,
                                       HasSubstr("seccomp")));
  ASSERT_TRUE(fell_back_to.has_value());
  EXPECT_NE(*fell_back_to, BackendKind::kIoUring);
  EXPECT_THAT(note, HasSubstr("iouring"));
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(FirstDifference(received, "head" + file.Slice(99, 1 << 20)), "");
}

// --- Signals ---------------------------------------------------------------

std::atomic<int> signals_caught{0};
void CountSignal(int) { signals_caught.fetch_add(1); }

// Another thread sends SIGUSR1, handled without SA_RESTART, to the polling
// thread again and again while it waits for sockets that only drain once
// enough signals have arrived: each wait (epoll_wait, poll,
// io_uring_enter) and each send may be cut short with EINTR. Run() must
// not fail, and every transfer ends OK and byte-exact.
TEST_P(FaultEngineTest, SignalsDuringRunAreNotErrors) {
  struct sigaction handler {
  }, previous{};
  handler.sa_handler = CountSignal;
  sigemptyset(&handler.sa_mask);
  handler.sa_flags = 0;  // no SA_RESTART
  ASSERT_EQ(::sigaction(SIGUSR1, &handler, &previous), 0);
  signals_caught = 0;
  PatternFile file(4 << 20);
  Fleet fleet(file, 6, 1500001, 64 * 1024);
  const FdTable fds_before = testing::OpenFds();
  std::vector<std::string> received;
  std::atomic<bool> done{false};
  std::vector<std::thread> helpers;
  // Whatever ends the test, the helpers stop and are joined.
  struct JoinAll {
    std::atomic<bool>& done;
    std::vector<std::thread>& threads;
    ~JoinAll() {
      done = true;
      for (std::thread& thread : threads) thread.join();
    }
  } join_all{done, helpers};
  const pthread_t engine_thread = ::pthread_self();
  helpers.emplace_back([&] {
    for (int i = 0; i < 1000000 && !done; ++i) {
      ::pthread_kill(engine_thread, SIGUSR1);
      const timespec pause{0, 200 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  });
  helpers.emplace_back([&] {
    // The engine waits on full sockets until 50 signals have come.
    for (int i = 0; i < 600000 && signals_caught < 50 && !done; ++i) {
      const timespec pause{0, 100 * 1000};
      ::nanosleep(&pause, nullptr);
    }
    std::vector<int> fds;
    for (const StreamPair& pair : fleet.pairs) {
      fds.push_back(pair.receiver.get());
    }
    received = testing::DrainAll(fds, kLimit);
    // Bounded: if the streams did not end, closing them ends the engine.
    for (StreamPair& pair : fleet.pairs) pair.receiver.reset();
  });
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
    ASSERT_THAT(engine, IsOk());
    for (size_t i = 0; i < fleet.specs.size(); ++i) {
      ASSERT_THAT(
          (*engine)->Submit(fleet.specs[i],
                            [&, i](TransferId, const TransferResult& r) {
                              ++fleet.calls[i];
                              fleet.results[i] = r;
                              ::shutdown(fleet.pairs[i].sender.get(), SHUT_WR);
                            }),
          IsOk());
    }
    EXPECT_THAT((*engine)->Run(), IsOk());
    done = true;
    for (std::thread& helper : helpers) helper.join();
    helpers.clear();
  }
  ASSERT_EQ(::sigaction(SIGUSR1, &previous, nullptr), 0);
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  EXPECT_GE(signals_caught.load(), 50);
  fleet.ExpectAllDelivered(file, received);
}

// --- Cancels and callbacks -------------------------------------------------

// One done callback cancels 10,000 transfers: 8,500 running (their sockets
// full, pushes parked or in flight: on io_uring each has a poll out, so the
// callback's cancels bring 17,000 completions, more than the completion
// queue's 16,384 entries) and 1,500 still waiting for admission. Each ends
// Cancelled exactly once with exact counts (none for those that never
// ran), and the engine holds no fd after. The waiting ones' peers are
// closed, which keeps the test under 20,000 fds (a common hard limit): had
// one of them sent anything, it would have failed (Unavailable), not been
// cancelled.
TEST_P(FaultEngineTest, TenThousandCancelledFromOneCallback) {
  constexpr int kTransfers = 10000;
  constexpr size_t kRunning = 8500;
  testing::FdLimitScope limit;
  const uint64_t want =
      2 * kRunning + (kTransfers - kRunning) + 2 * options().max_pipes + 256;
  if (const uint64_t got = limit.RaiseTo(want); got < want) {
    GTEST_SKIP() << "needs " << want << " fds; RLIMIT_NOFILE allows " << got
                 << " and cannot be raised here";
  }
  PatternFile file(1 << 20);
  // Tiny buffers: each running transfer fills its socket with a few KiB.
  Fleet fleet(file, kTransfers, 65537, 4096, kRunning);
  ASSERT_EQ(fleet.specs.size(), static_cast<size_t>(kTransfers));
  // The trigger reads a pipe the test fills when it wants the callback.
  int trigger_fds[2];
  ASSERT_EQ(::pipe2(trigger_fds, O_CLOEXEC), 0);
  UniqueFd trigger_read(trigger_fds[0]), trigger_write(trigger_fds[1]);
  absl::StatusOr<StreamPair> trigger_pair = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(trigger_pair, IsOk());
  testing::Drainer trigger_drain(trigger_pair->receiver.get());
  const FdTable fds_before = testing::OpenFds();
  int cancels_accepted = 0;
  size_t live_after_cancels = 0;
  std::optional<TransferResult> trigger_result;
  {
    EngineOptions with_queue = options();
    with_queue.max_active = kRunning + 1;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(with_queue);
    ASSERT_THAT(engine, IsOk());
    Engine* raw = engine->get();
    ASSERT_THAT(raw->Submit({.socket_fd = trigger_pair->sender.get(),
                             .file_fd = trigger_read.get()},
                            [&](TransferId, const TransferResult& r) {
                              trigger_result = r;
                              for (const TransferId id : fleet.ids) {
                                cancels_accepted += raw->Cancel(id) ? 1 : 0;
                              }
                              live_after_cancels = raw->live_transfers();
                              ::shutdown(trigger_pair->sender.get(), SHUT_WR);
                            }),
                IsOk());
    fleet.SubmitAll(*raw);
    ASSERT_EQ(raw->live_transfers(), static_cast<size_t>(kTransfers) + 1);
    // Let the running ones fill their sockets.
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(raw->Poll(absl::Milliseconds(1)), IsOk());
    }
    ASSERT_FALSE(trigger_result.has_value());
    ASSERT_EQ(::write(trigger_write.get(), "go", 2), 2);
    trigger_write.reset();
    ASSERT_TRUE(testing::RunFor(*raw, kLimit));
    EXPECT_EQ(raw->stats().completed_with(absl::StatusCode::kCancelled),
              static_cast<uint64_t>(kTransfers));
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  ASSERT_TRUE(trigger_result.has_value());
  EXPECT_THAT(trigger_result->status, IsOk());
  EXPECT_EQ(trigger_drain.Join(), "go");
  EXPECT_EQ(cancels_accepted, kTransfers);
  // Cancelled, not yet called back: their callbacks run from a later Poll.
  EXPECT_EQ(live_after_cancels, static_cast<size_t>(kTransfers));
  int not_cancelled = 0;
  for (int i = 0; i < kTransfers; ++i) {
    if (fleet.results[i].status.code() != absl::StatusCode::kCancelled &&
        ++not_cancelled <= 5) {
      ADD_FAILURE() << "transfer " << i << ": " << fleet.results[i].status;
    }
    // Admission is FIFO: the last 1,500 never ran.
    if (static_cast<size_t>(i) >= kRunning) {
      EXPECT_EQ(
          fleet.results[i].header_bytes_sent + fleet.results[i].bytes_sent, 0u)
          << i;
    }
  }
  EXPECT_EQ(not_cancelled, 0);
  EXPECT_EQ(fleet.CheckStreamsAgainstResults(kLimit), 0);
}

// A callback submits the next transfer on the same socket (a keep-alive
// connection's next response), five times over; the receiver gets the five
// responses back to back, byte for byte.
TEST_P(FaultEngineTest, CallbackSubmitsTheNextTransferOnTheSameSocket) {
  PatternFile file(4 << 20);
  for (const Transport transport : {Transport::kUnix, Transport::kTcp4}) {
    SCOPED_TRACE(testing::TransportName(transport));
    absl::StatusOr<StreamPair> pair = MakeStreamPair(transport);
    ASSERT_THAT(pair, IsOk());
    testing::Drainer drainer(pair->receiver.get());
    constexpr int kChain = 5;
    std::vector<TransferSpec> specs;
    std::string expected;
    for (int i = 0; i < kChain; ++i) {
      specs.push_back({.socket_fd = pair->sender.get(),
                       .file_fd = file.fd(),
                       .offset = 1 + uint64_t{100003} * i,
                       .count = 50001 + uint64_t{277777} * i,
                       .header = absl::StrCat("response ", i, "\r\n\r\n")});
      expected +=
          specs[i].header + file.Slice(specs[i].offset, *specs[i].count);
    }
    std::vector<TransferResult> results;
    const FdTable fds_before = testing::OpenFds();
    {
      absl::StatusOr<std::unique_ptr<Engine>> engine =
          Engine::Create(options());
      ASSERT_THAT(engine, IsOk());
      Engine* raw = engine->get();
      std::function<void(TransferId, const TransferResult&)> next =
          [&](TransferId, const TransferResult& r) {
            results.push_back(r);
            if (results.size() == kChain) {
              ::shutdown(pair->sender.get(), SHUT_WR);
              return;
            }
            EXPECT_THAT(raw->Submit(specs[results.size()], next), IsOk());
          };
      ASSERT_THAT(raw->Submit(specs[0], next), IsOk());
      ASSERT_TRUE(testing::RunFor(*raw, kLimit));
    }
    EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
    ASSERT_EQ(results.size(), static_cast<size_t>(kChain));
    for (int i = 0; i < kChain; ++i) {
      EXPECT_THAT(results[i].status, IsOk()) << i;
      EXPECT_EQ(results[i].bytes_sent, *specs[i].count) << i;
    }
    pair->sender.reset();
    EXPECT_EQ(FirstDifference(drainer.Join(), expected), "");
  }
}

// A callback cancels other transfers: one mid-flight (its socket full, a
// push parked or in flight) and one admitted by the callback's own end but
// not yet pushed; it cannot cancel itself. The cancelled transfer's
// callback then sends a new transfer on its socket, which must follow the
// cancelled bytes exactly: nothing the cancelled push held (a pipe, a
// buffer) may leak into the stream. The quick transfer and the follow-up
// are the bystanders that finish byte-exact.
TEST_P(FaultEngineTest, CallbackCancelsOtherTransfers) {
  PatternFile file(8 << 20);
  absl::StatusOr<StreamPair> quick = MakeStreamPair(Transport::kUnix);
  absl::StatusOr<StreamPair> stalled = MakeStreamPair(Transport::kTcp4);
  absl::StatusOr<StreamPair> waiting = MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(quick, IsOk());
  ASSERT_THAT(stalled, IsOk());
  ASSERT_THAT(waiting, IsOk());
  testing::ShrinkBuffers(*stalled, testing::kSmallSocketBuffer);
  testing::Drainer quick_drain(quick->receiver.get());
  // Nobody reads the stalled transfer until its callback opens the gate.
  testing::GatedReceiver stalled_receiver(stalled->receiver.get(), 0);
  const FdTable fds_before = testing::OpenFds();
  std::optional<TransferResult> quick_result, stalled_result, waiting_result,
      followup_result;
  bool cancelled_stalled = false, cancelled_waiting = false,
       cancelled_itself = true;
  const TransferSpec followup{.socket_fd = stalled->sender.get(),
                              .file_fd = file.fd(),
                              .offset = 12345,
                              .count = 300001,
                              .header = "followup\r\n"};
  {
    EngineOptions two_running = options();
    two_running.max_active = 2;  // stalled and quick run, `waiting` queues
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(two_running);
    ASSERT_THAT(engine, IsOk());
    Engine* raw = engine->get();
    absl::StatusOr<TransferId> stalled_id = raw->Submit(
        {.socket_fd = stalled->sender.get(),
         .file_fd = file.fd(),
         .offset = 3,
         .header = "stalled\r\n"},
        [&](TransferId, const TransferResult& r) {
          stalled_result = r;
          EXPECT_THAT(raw->Submit(followup,
                                  [&](TransferId, const TransferResult& f) {
                                    followup_result = f;
                                    ::shutdown(stalled->sender.get(), SHUT_WR);
                                  }),
                      IsOk());
          stalled_receiver.Open();
        });
    ASSERT_THAT(stalled_id, IsOk());
    // Let the stalled transfer fill its socket before the quick one ends.
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(raw->Poll(absl::Milliseconds(1)), IsOk());
    }
    ASSERT_FALSE(stalled_result.has_value());
    absl::StatusOr<TransferId> waiting_id;
    absl::StatusOr<TransferId> quick_id =
        raw->Submit({.socket_fd = quick->sender.get(),
                     .file_fd = file.fd(),
                     .offset = 5,
                     .count = 1001},
                    [&](TransferId self, const TransferResult& r) {
                      quick_result = r;
                      cancelled_stalled = raw->Cancel(*stalled_id);
                      cancelled_waiting = raw->Cancel(*waiting_id);
                      cancelled_itself = raw->Cancel(self);
                      ::shutdown(quick->sender.get(), SHUT_WR);
                    });
    ASSERT_THAT(quick_id, IsOk());
    waiting_id = raw->Submit(
        {.socket_fd = waiting->sender.get(), .file_fd = file.fd()},
        [&](TransferId, const TransferResult& r) { waiting_result = r; });
    ASSERT_THAT(waiting_id, IsOk());
    ASSERT_TRUE(testing::RunFor(*raw, kLimit));
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  EXPECT_TRUE(cancelled_stalled);
  EXPECT_TRUE(cancelled_waiting);
  EXPECT_FALSE(cancelled_itself);
  ASSERT_TRUE(quick_result.has_value());
  EXPECT_THAT(quick_result->status, IsOk());
  quick->sender.reset();
  EXPECT_EQ(quick_drain.Join(), file.Slice(5, 1001));
  ASSERT_TRUE(waiting_result.has_value());
  EXPECT_THAT(waiting_result->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(waiting_result->header_bytes_sent + waiting_result->bytes_sent, 0u);
  EXPECT_EQ(testing::ReadAvailable(waiting->receiver.get()), "");
  ASSERT_TRUE(stalled_result.has_value());
  EXPECT_THAT(stalled_result->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_GT(stalled_result->bytes_sent, 0u);
  EXPECT_LT(stalled_result->bytes_sent, file.size() - 3);
  ASSERT_TRUE(followup_result.has_value());
  EXPECT_THAT(followup_result->status, IsOk());
  EXPECT_EQ(FirstDifference(stalled_receiver.Join(),
                            "stalled\r\n" +
                                file.Slice(3, stalled_result->bytes_sent) +
                                followup.header + file.Slice(12345, 300001)),
            "");
}

// Destroying the engine with 1,000 transfers live (700 running, 300 queued)
// runs each callback once, with Cancelled and exact counts, and leaves no
// fd behind.
TEST_P(FaultEngineTest, DestroyedWithAThousandLive) {
  constexpr int kTransfers = 1000;
  constexpr size_t kRunning = 700;
  testing::FdLimitScope limit;
  const uint64_t want = 2 * kTransfers + 2 * options().max_pipes + 256;
  if (const uint64_t got = limit.RaiseTo(want); got < want) {
    GTEST_SKIP() << "needs " << want << " fds; RLIMIT_NOFILE allows " << got;
  }
  PatternFile file(1 << 20);
  Fleet fleet(file, kTransfers, 100001, 4096);
  const FdTable fds_before = testing::OpenFds();
  {
    EngineOptions with_queue = options();
    with_queue.max_active = kRunning;
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(with_queue);
    ASSERT_THAT(engine, IsOk());
    fleet.SubmitAll(**engine);
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT((*engine)->Poll(absl::Milliseconds(1)), IsOk());
    }
    ASSERT_EQ((*engine)->live_transfers(), static_cast<size_t>(kTransfers));
    for (const int calls : fleet.calls) ASSERT_EQ(calls, 0);
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  for (int i = 0; i < kTransfers; ++i) {
    EXPECT_THAT(fleet.results[i].status, StatusIs(absl::StatusCode::kCancelled))
        << i;
    if (static_cast<size_t>(i) >= kRunning) {
      EXPECT_EQ(
          fleet.results[i].header_bytes_sent + fleet.results[i].bytes_sent, 0u)
          << i;
    }
  }
  EXPECT_EQ(fleet.CheckStreamsAgainstResults(kLimit), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultEngineTest,
                         ::testing::ValuesIn(testing::AllBackendConfigs()),
                         testing::ConfigName);

}  // namespace
}  // namespace sluice
