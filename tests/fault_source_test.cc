// Copyright 2026 The sluice Authors.
//
// The fault matrix (issue 11), part 2: sources that change or vanish under
// a live transfer (truncated, extended, renamed over, their fd closed),
// sockets that cannot be written, and timeouts, on every backend and
// io_uring data path. Each case asserts the exact status and bytes_sent,
// that the receiver got exactly the bytes those counts say, that a
// bystander transfer on the same engine finishes byte-exact, and that no
// fd outlives the engine. fault_test.cc lists the whole matrix and where
// each row is tested.

#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/sluice_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pattern/pattern_file.h"
#include "sluice/engine.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/faults.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::BackendConfig;
using ::sluice::testing::Bystander;
using ::sluice::testing::FdTable;
using ::sluice::testing::FirstDifference;
using ::sluice::testing::IsOk;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kLimit = absl::Seconds(60);

// --- The source changes or vanishes ----------------------------------------

enum class SourceFault {
  kTruncateWithCount,
  kTruncateWithoutCount,
  kExtend,
  kRenameOver,
  kCloseFd,
};

struct SourceCase {
  BackendConfig config;
  Transport transport;
  SourceFault fault;
};

std::vector<SourceCase> SourceCases() {
  std::vector<SourceCase> cases;
  for (const BackendConfig& config : testing::AllBackendConfigs()) {
    for (const Transport transport : {Transport::kUnix, Transport::kTcp4}) {
      for (const SourceFault fault :
           {SourceFault::kTruncateWithCount, SourceFault::kTruncateWithoutCount,
            SourceFault::kExtend, SourceFault::kRenameOver,
            SourceFault::kCloseFd}) {
        cases.push_back({config, transport, fault});
      }
    }
  }
  return cases;
}

std::string SourceCaseName(const ::testing::TestParamInfo<SourceCase>& info) {
  static constexpr const char* kFaults[] = {"TruncatedWithCount",
                                            "TruncatedWithoutCount", "Extended",
                                            "RenamedOver", "FdClosed"};
  return absl::StrCat(info.param.config.name, "_",
                      testing::TransportName(info.param.transport), "_",
                      kFaults[static_cast<int>(info.param.fault)]);
}

void PrintTo(const SourceCase& c, std::ostream* os) {
  *os << SourceCaseName(::testing::TestParamInfo<SourceCase>(c, 0));
}

class FaultSourceTest : public ::testing::TestWithParam<SourceCase> {
 protected:
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(GetParam().config);
    ASSERT_TRUE(testing::SigpipeIsDefault())
        << "the test must run with SIGPIPE at its default action";
  }
};

constexpr uint64_t kSourceOffset = 4099;
constexpr uint64_t kSourceCount = 2000001;
constexpr uint64_t kSourceSize = kSourceOffset + kSourceCount + 3;
// The receiver stops this many file bytes in; the test changes the file
// there.
constexpr uint64_t kGateFileBytes = 100003;
// The file is cut this far past the gate.
constexpr uint64_t kCutPastGate = 1048573;
constexpr uint64_t kCutAt = kSourceOffset + kGateFileBytes + kCutPastGate;
constexpr uint64_t kExtension = 300007;
// The engine's quantum and pipes, so that what it holds is bounded.
constexpr uint64_t kQuantum = 64 * 1024;

// "During the transfer" is made exact with a gated receiver: it reads the
// header and kGateFileBytes, then stands still while the test changes the
// source, then reads the rest. At that moment the engine can have read from
// the file at most what the receiver read, plus what the sockets hold
// (unix: the sender's buffer, 2 x 64 KiB; TCP: that and the receiver's
// window, well under 512 KiB together), plus its own read-ahead: a splice
// pipe (pipe_size 64 KiB) or an io_uring copy buffer (one READ of at most
// a quantum, 64 KiB). sendfile and the readiness copy path re-read what
// the socket did not take, so they hold nothing. That is under 1 MiB past
// the gate, and the file is cut 1 MiB past it: every byte before the cut
// was still to be read from the file, so the counts below are exact on
// every backend and path. (What the engine had already read is the
// pattern anyway, so only counts could differ, never bytes.)
TEST_P(FaultSourceTest, ChangesDuringTheTransferGiveExactCounts) {
  const SourceCase& c = GetParam();
  PatternFile file(kSourceSize);
  ASSERT_FALSE(file.path().empty());
  const std::string header = testing::ResponseHead(43);
  const std::string trailer = "\r\n--trailer--\r\n";
  StreamPair pair = testing::SmallPair(c.transport);
  const int sender = pair.sender.get();
  // A closed source fd whose number is reused cannot be told from the
  // original; a number far above every other keeps it unused here.
  UniqueFd source(::fcntl(file.fd(), F_DUPFD_CLOEXEC, 1000));
  ASSERT_TRUE(source.valid());
  const int source_fd = source.get();
  Bystander bystander;
  EngineOptions options = c.config.options;
  options.quantum_bytes = kQuantum;
  options.pipe_size = kQuantum;
  TransferSpec spec{.socket_fd = sender,
                    .file_fd = source_fd,
                    .offset = kSourceOffset,
                    .header = header,
                    .trailer = trailer};
  if (c.fault == SourceFault::kTruncateWithCount ||
      c.fault == SourceFault::kCloseFd) {
    spec.count = kSourceCount;
  }
  const FdTable fds_before = testing::OpenFds();

  int calls = 0;
  TransferResult result;
  std::string received;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
    ASSERT_THAT(engine, IsOk());
    bystander.Submit(**engine);
    ASSERT_THAT((*engine)->Submit(spec,
                                  [&](TransferId, const TransferResult& r) {
                                    ++calls;
                                    result = r;
                                    ::shutdown(sender, SHUT_WR);
                                  }),
                IsOk());
    testing::GatedReceiver receiver(pair.receiver.get(),
                                    header.size() + kGateFileBytes);
    const absl::Time give_up = absl::Now() + kLimit;
    while (!receiver.at_gate() && absl::Now() < give_up) {
      ASSERT_THAT((*engine)->Poll(absl::Milliseconds(5)), IsOk());
    }
    ASSERT_TRUE(receiver.at_gate()) << "the receiver never reached the gate";
    ASSERT_EQ(calls, 0) << result.status;
    switch (c.fault) {
      case SourceFault::kTruncateWithCount:
      case SourceFault::kTruncateWithoutCount:
        ASSERT_EQ(::truncate(file.path().c_str(), kCutAt), 0);
        break;
      case SourceFault::kExtend: {
        UniqueFd writer(::open(file.path().c_str(), O_WRONLY | O_CLOEXEC));
        ASSERT_TRUE(writer.valid());
        const std::string more = testing::PatternSlice(kSourceSize + kExtension,
                                                       kSourceSize, kExtension);
        ASSERT_EQ(::pwrite(writer.get(), more.data(), more.size(), kSourceSize),
                  static_cast<ssize_t>(more.size()));
        break;
      }
      case SourceFault::kRenameOver: {
        // Another file (other bytes, another size) takes the name.
        const std::string replacement = file.path() + ".new";
        UniqueFd writer(::open(replacement.c_str(),
                               O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        ASSERT_TRUE(writer.valid());
        ASSERT_THAT(tools::WritePattern(writer.get(), kSourceSize / 2,
                                        /*seed=*/1),
                    IsOk());
        ASSERT_EQ(::rename(replacement.c_str(), file.path().c_str()), 0);
        break;
      }
      case SourceFault::kCloseFd:
        source.reset();
        break;
    }
    receiver.Open();
    ASSERT_TRUE(testing::RunFor(**engine, kLimit));
    received = receiver.Join();
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();

  ASSERT_EQ(calls, 1);
  EXPECT_EQ(result.header_bytes_sent, header.size());
  EXPECT_EQ(result.next_offset, kSourceOffset + result.bytes_sent);
  // The receiver read to EOF: it got every accepted byte. The trailer
  // follows a body that ended OK, shorter or not, and no other.
  EXPECT_EQ(result.trailer_bytes_sent, result.status.ok() ? trailer.size() : 0);
  EXPECT_EQ(
      FirstDifference(received,
                      header + file.Slice(kSourceOffset, result.bytes_sent) +
                          trailer.substr(0, result.trailer_bytes_sent)),
      "");
  switch (c.fault) {
    case SourceFault::kTruncateWithCount:
      EXPECT_THAT(
          result.status,
          StatusIs(absl::StatusCode::kOutOfRange,
                   HasSubstr(absl::StrCat("file fd ", source_fd,
                                          " ended at offset ", kCutAt))));
      EXPECT_EQ(result.bytes_sent, kCutAt - kSourceOffset);
      break;
    case SourceFault::kTruncateWithoutCount:
      EXPECT_THAT(result.status, IsOk());
      EXPECT_EQ(result.bytes_sent, kCutAt - kSourceOffset);
      break;
    case SourceFault::kExtend:
      // Without a count a regular file is sent up to its size at Submit().
      EXPECT_THAT(result.status, IsOk());
      EXPECT_EQ(result.bytes_sent, kSourceSize - kSourceOffset);
      break;
    case SourceFault::kRenameOver:
      // The fd names the old file: its bytes, its size.
      EXPECT_THAT(result.status, IsOk());
      EXPECT_EQ(result.bytes_sent, kSourceSize - kSourceOffset);
      break;
    case SourceFault::kCloseFd:
      // The next read of the closed fd fails (EBADF): the transfer ends
      // there, naming the fd, with what was read before.
      EXPECT_THAT(result.status,
                  StatusIs(absl::StatusCode::kFailedPrecondition,
                           HasSubstr(absl::StrCat("fd ", source_fd))));
      EXPECT_GE(result.bytes_sent, kGateFileBytes);
      EXPECT_LT(result.bytes_sent, kGateFileBytes + kCutPastGate);
      // Nothing took the number meanwhile, so the premise held.
      EXPECT_EQ(::fcntl(source_fd, F_GETFD), -1);
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultSourceTest,
                         ::testing::ValuesIn(SourceCases()), SourceCaseName);

// --- Sockets that cannot be written, and timeouts --------------------------

class FaultSocketTest
    : public ::testing::TestWithParam<std::tuple<BackendConfig, Transport>> {
 protected:
  const BackendConfig& config() const { return std::get<0>(GetParam()); }
  Transport transport() const { return std::get<1>(GetParam()); }
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(config());
    ASSERT_TRUE(testing::SigpipeIsDefault())
        << "the test must run with SIGPIPE at its default action";
  }
};

// A socket shut down for writing before Submit() is accepted (Submit()
// cannot tell without sending); its first send fails: Unavailable, nothing
// sent, the socket named. A transfer with nothing to send ends OK.
TEST_P(FaultSocketTest, SocketShutDownForWritingAtSubmit) {
  PatternFile file(300001);
  PatternFile empty(0);
  StreamPair with_header = testing::SmallPair(transport());
  StreamPair without_header = testing::SmallPair(transport());
  StreamPair nothing_to_send = testing::SmallPair(transport());
  for (const StreamPair* pair :
       {&with_header, &without_header, &nothing_to_send}) {
    ASSERT_EQ(::shutdown(pair->sender.get(), SHUT_WR), 0);
  }
  Bystander bystander;
  const FdTable fds_before = testing::OpenFds();
  std::vector<TransferResult> results(3);
  std::vector<int> calls(3, 0);
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config().options);
    ASSERT_THAT(engine, IsOk());
    bystander.Submit(**engine);
    const TransferSpec specs[] = {
        {.socket_fd = with_header.sender.get(),
         .file_fd = file.fd(),
         .offset = 7,
         .header = testing::ResponseHead(40)},
        {.socket_fd = without_header.sender.get(),
         .file_fd = file.fd(),
         .offset = 7,
         .count = 100001},
        {.socket_fd = nothing_to_send.sender.get(), .file_fd = empty.fd()},
    };
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT(
          (*engine)->Submit(specs[i],
                            [&, i](TransferId, const TransferResult& r) {
                              ++calls[i];
                              results[i] = r;
                            }),
          IsOk());
    }
    ASSERT_TRUE(testing::RunFor(**engine, kLimit));
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();
  EXPECT_EQ(calls, std::vector<int>(3, 1));
  for (int i = 0; i < 2; ++i) {
    const int fd =
        i == 0 ? with_header.sender.get() : without_header.sender.get();
    EXPECT_THAT(results[i].status, StatusIs(absl::StatusCode::kUnavailable,
                                            HasSubstr(absl::StrCat("fd ", fd))))
        << i;
    EXPECT_EQ(results[i].header_bytes_sent, 0u) << i;
    EXPECT_EQ(results[i].bytes_sent, 0u) << i;
    EXPECT_EQ(results[i].next_offset, 7u) << i;
  }
  EXPECT_THAT(results[2].status, IsOk());
  EXPECT_EQ(results[2].bytes_sent, 0u);
  for (const StreamPair* pair :
       {&with_header, &without_header, &nothing_to_send}) {
    EXPECT_EQ(testing::ReadAvailable(pair->receiver.get()), "");
  }
}

// A peer that reads in small sips with pauses, and no idle timeout: the
// socket fills and drains a few KiB at a time, hundreds of times, and the
// transfer still ends OK, byte-exact. (With an idle timeout the outcome
// depends on what the idle timer measures, which issue 11's defect 6
// changes; that case comes with the change.)
TEST_P(FaultSocketTest, SlowReaderWithoutIdleTimeoutCompletes) {
  PatternFile file(1 << 20);
  StreamPair pair = testing::SmallPair(transport());
  Bystander bystander;
  const FdTable fds_before = testing::OpenFds();
  const TransferSpec spec{.socket_fd = pair.sender.get(),
                          .file_fd = file.fd(),
                          .offset = 333,
                          .count = 1000001,
                          .header = testing::ResponseHead(50)};
  std::string received;
  std::thread reader([&] {
    std::vector<char> sip(4099);
    // Bounded: 1 MiB in 4 KiB sips is ~250 of them.
    for (int i = 0; i < 100000; ++i) {
      const ssize_t n = ::recv(pair.receiver.get(), sip.data(), sip.size(), 0);
      if (n <= 0) break;
      received.append(sip.data(), static_cast<size_t>(n));
      const timespec pause{0, 300 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  });
  int calls = 0;
  TransferResult result;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config().options);
    EXPECT_THAT(engine, IsOk());
    if (engine.ok()) {
      bystander.Submit(**engine);
      EXPECT_THAT((*engine)->Submit(spec,
                                    [&](TransferId, const TransferResult& r) {
                                      ++calls;
                                      result = r;
                                    }),
                  IsOk());
      EXPECT_TRUE(testing::RunFor(**engine, kLimit));
    }
  }
  ::shutdown(pair.sender.get(), SHUT_WR);
  reader.join();
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();
  ASSERT_EQ(calls, 1);
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_sent, *spec.count);
  EXPECT_EQ(FirstDifference(received,
                            spec.header + file.Slice(spec.offset, *spec.count)),
            "");
}

// Nobody reads two transfers: one ends at its idle timeout, one at its
// deadline, each with the exact count its receiver then drains, while a
// bystander on the same engine finishes byte-exact.
TEST_P(FaultSocketTest, TimeoutsEndOnlyTheirOwnTransfers) {
  PatternFile file(4 << 20);
  StreamPair idle = testing::SmallPair(transport());
  StreamPair late = testing::SmallPair(transport());
  Bystander bystander;
  const FdTable fds_before = testing::OpenFds();
  TransferResult idle_result, late_result;
  int calls = 0;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config().options);
    ASSERT_THAT(engine, IsOk());
    ASSERT_THAT((*engine)->Submit({.socket_fd = idle.sender.get(),
                                   .file_fd = file.fd(),
                                   .offset = 13,
                                   .header = "idle",
                                   .idle_timeout = absl::Milliseconds(150)},
                                  [&](TransferId, const TransferResult& r) {
                                    ++calls;
                                    idle_result = r;
                                  }),
                IsOk());
    ASSERT_THAT(
        (*engine)->Submit({.socket_fd = late.sender.get(),
                           .file_fd = file.fd(),
                           .offset = 17,
                           .count = 3000001,
                           .header = "late",
                           .deadline = absl::Now() + absl::Milliseconds(150)},
                          [&](TransferId, const TransferResult& r) {
                            ++calls;
                            late_result = r;
                          }),
        IsOk());
    bystander.Submit(**engine);
    ASSERT_TRUE(testing::RunFor(**engine, kLimit));
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(idle_result.status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(late_result.status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                           HasSubstr("deadline")));
  struct Drained {
    StreamPair* pair;
    const TransferResult* result;
    std::string header;
    uint64_t offset;
  };
  for (const Drained& d : {Drained{&idle, &idle_result, "idle", 13},
                           Drained{&late, &late_result, "late", 17}}) {
    EXPECT_GT(d.result->bytes_sent, 0u) << d.header;
    EXPECT_EQ(d.result->next_offset, d.offset + d.result->bytes_sent);
    testing::Drainer drainer(d.pair->receiver.get());
    d.pair->sender.reset();
    EXPECT_EQ(
        FirstDifference(drainer.Join(),
                        d.header + file.Slice(d.offset, d.result->bytes_sent)),
        "")
        << d.header;
  }
}

// A pipe or socket source closed while the engine waits for it to fill:
// epoll forgets a closed fd and io_uring's wait holds the file open, so
// neither can tell until data comes (which, the fd being closed, may be
// never); the transfer's deadline ends it, with what was sent before.
// io_uring's splice runs on io-wq, which looks the fd up only when it runs:
// a splice still queued when the fd closes fails, naming it (either way,
// within the contract, with exact counts). poll(2), in builds without
// epoll, reports the closed fd (POLLNVAL): the read that follows fails,
// naming it.
TEST_P(FaultSocketTest, StreamSourceClosedWhileWaiting) {
  if (transport() != Transport::kUnix) {
    GTEST_SKIP() << "one transport is enough";
  }
  StreamPair source = testing::SmallPair(transport());
  StreamPair pair = testing::SmallPair(transport());
  // Far above every other fd, so nothing reuses the number meanwhile.
  UniqueFd source_fd(::fcntl(source.receiver.get(), F_DUPFD_CLOEXEC, 1000));
  ASSERT_TRUE(source_fd.valid());
  source.receiver.reset();
  const int closed_fd = source_fd.get();
  Bystander bystander;
  const FdTable fds_before = testing::OpenFds();
  int calls = 0;
  TransferResult result;
  std::string received;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config().options);
    ASSERT_THAT(engine, IsOk());
    ASSERT_THAT((*engine)->Submit({.socket_fd = pair.sender.get(),
                                   .file_fd = closed_fd,
                                   .header = "piped\r\n",
                                   .deadline = absl::Now() + absl::Seconds(1)},
                                  [&](TransferId, const TransferResult& r) {
                                    ++calls;
                                    result = r;
                                  }),
                IsOk());
    ASSERT_EQ(::send(source.sender.get(), "first", 5, MSG_NOSIGNAL), 5);
    // Until the header and the first bytes are out; then a few more turns
    // find the source dry and wait for it (a readiness backend ends a push
    // that moved bytes and parks on the next one).
    const absl::Time give_up = absl::Now() + kLimit;
    while (received.size() < 12 && absl::Now() < give_up) {
      ASSERT_THAT((*engine)->Poll(absl::Milliseconds(1)), IsOk());
      received += testing::ReadAvailable(pair.receiver.get());
    }
    for (int i = 0; i < 3; ++i) {
      ASSERT_THAT((*engine)->Poll(absl::ZeroDuration()), IsOk());
    }
    ASSERT_EQ(calls, 0) << result.status;
    source_fd.reset();
    bystander.Submit(**engine);
    ASSERT_TRUE(testing::RunFor(**engine, kLimit));
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();
  ASSERT_EQ(calls, 1);
#if SLUICE_HAVE_EPOLL
  const bool uring_splice = config().options.backend == BackendKind::kIoUring &&
                            config().options.uring_data_path != DataPath::kCopy;
  if (!uring_splice ||
      result.status.code() != absl::StatusCode::kFailedPrecondition) {
    EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                        HasSubstr("deadline")));
  } else {
    EXPECT_THAT(result.status.message(),
                HasSubstr(absl::StrCat("on fd ", closed_fd, " ")));
  }
#else
  EXPECT_THAT(result.status,
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("fd ", closed_fd))));
#endif
  EXPECT_EQ(result.header_bytes_sent, 7u);
  EXPECT_EQ(result.bytes_sent, 5u);
  pair.sender.reset();
  received += testing::DrainAll({pair.receiver.get()}, kLimit).front();
  EXPECT_EQ(received, "piped\r\nfirst");
}

INSTANTIATE_TEST_SUITE_P(
    Backends, FaultSocketTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllBackendConfigs()),
                       ::testing::Values(Transport::kUnix, Transport::kTcp4)),
    testing::BackendAndTransportName);

}  // namespace
}  // namespace sluice
