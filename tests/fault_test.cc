// Copyright 2026 The sluice Authors.
//
// The fault matrix (issue 11), part 1: peers that go away, on every backend
// and io_uring data path (testing/backend_configs.h), over unix and TCP
// sockets. Each case asserts the exact status and bytes_sent, that the
// receiver got exactly the header and source bytes those counts say (byte
// for byte, odd offsets and counts), that a bystander transfer on the same
// engine finishes byte-exact meanwhile, and that no fd outlives the engine.
// Every fault test runs with SIGPIPE at its default action, so a SIGPIPE
// that escapes the engine kills the test.
//
// The whole matrix, and the test that holds each row:
//   peer shuts its read side / closes / resets at the start, in the header,
//   in the middle, at the end, with and without a header and trailer
//                                    FaultPeerTest (here)
//   peer never reads (zero window): idle timeout, exact count
//                                    ContractTest.ReceiverThatStopsReading-
//                                    HitsIdleTimeoutWithExactCount (every
//                                    transport); with a bystander and the
//                                    fd check: FaultSocketTest.Timeouts-
//                                    EndOnlyTheirOwnTransfers
//   deadline shorter than the transfer
//                                    ContractTest.DeadlineEndsTransferWith-
//                                    ExactCount; FaultSocketTest.Timeouts-
//                                    EndOnlyTheirOwnTransfers
//   peer reads slowly, no idle timeout: completes
//                                    FaultSocketTest.SlowReaderWithout-
//                                    IdleTimeoutCompletes
//   peer reads slowly with an idle timeout
//                                    not yet: what the idle timer measures
//                                    is being changed (issue 11, defect 6)
//                                    and its tests come with that change
//   count past EOF at Submit()       ContractTest.CountPastEndIsOutOfRange-
//                                    WithExactProgress
//   file truncated (with a count: OutOfRange; without: shorter, OK),
//   extended, renamed over during the transfer
//                                    FaultSourceTest (fault_source_test.cc)
//   the host closes the file fd mid-transfer
//                                    FaultSourceTest (a regular file),
//                                    FaultSocketTest.StreamSourceClosed-
//                                    WhileWaiting (a socket source)
//   bad fds, write-only source at Submit()
//                                    ContractTest.BadFdsAreInvalid,
//                                    WriteOnlySourceIsFailedPrecondition
//   socket shut down for writing at Submit()
//                                    FaultSocketTest.SocketShutDownFor-
//                                    WritingAtSubmit (fault_source_test.cc)
//   SIGPIPE                          every test here; ContractTest.Peer-
//                                    ResetIsUnavailableAndRaisesNoSigpipe
//   RLIMIT_NOFILE too low for pipes  FaultEngineTest.FdLimitTooLowForPipes
//                                    (fault_engine_test.cc)
//   io_uring refused                 SLUICE_DISABLE_IO_URING: AutoBackend-
//                                    Test (stress_test.cc); a seccomp
//                                    filter: FaultIoUringRefusedTest
//                                    (fault_engine_test.cc)
//   EINTR from signals during Run()  FaultEngineTest.SignalsDuringRunAre-
//                                    NotErrors (fault_engine_test.cc)
//   one cancel; destruction with three live
//                                    ContractTest.CancelEndsWithExactCount-
//                                    AndOneCallback, DestroyingEngine-
//                                    CancelsLiveTransfers
//   10,000 cancelled from one callback; Submit() and Cancel() from
//   callbacks; destruction with 1,000 live
//                                    FaultEngineTest (fault_engine_test.cc)
//   fds left after many transfers    StressTest.EngineHoldsNoFdAfterIts-
//                                    Transfers; every fault test checks
//                                    that no fd outlives its engine

#include <sys/socket.h>

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

// --- The peer goes away ----------------------------------------------------

// What the peer does. On a unix socket, SHUT_RD makes the sender's next
// send fail (EPIPE) while what was queued stays readable, so the test can
// read every byte the kernel accepted; close discards them (unix has no
// reset). On TCP, SHUT_RD tells the sender nothing; close sends a FIN (the
// sender's next bytes then draw a RST) or, over unread data, a RST; with
// SO_LINGER 0 it always resets.
enum class PeerAction { kShutRead, kClose, kReset };
// How far into the stream the peer reads before it acts.
enum class PeerWhen { kStart, kInHeader, kMiddle, kEnd };

struct PeerCase {
  BackendConfig config;
  Transport transport;
  PeerAction action;
  PeerWhen when;
  bool header;
};

std::vector<PeerCase> PeerCases() {
  std::vector<PeerCase> cases;
  for (const BackendConfig& config : testing::AllBackendConfigs()) {
    for (const Transport transport : {Transport::kUnix, Transport::kTcp4}) {
      const std::vector<PeerAction> actions =
          transport == Transport::kUnix
              ? std::vector{PeerAction::kShutRead, PeerAction::kClose}
              : std::vector{PeerAction::kClose, PeerAction::kReset};
      for (const PeerAction action : actions) {
        for (const PeerWhen when : {PeerWhen::kStart, PeerWhen::kInHeader,
                                    PeerWhen::kMiddle, PeerWhen::kEnd}) {
          for (const bool header : {false, true}) {
            if (when == PeerWhen::kInHeader && !header) continue;
            cases.push_back({config, transport, action, when, header});
          }
        }
      }
    }
  }
  return cases;
}

std::string PeerCaseName(const ::testing::TestParamInfo<PeerCase>& info) {
  const PeerCase& c = info.param;
  static constexpr const char* kActions[] = {"ShutRead", "Close", "Reset"};
  static constexpr const char* kWhens[] = {"Start", "InHeader", "Middle",
                                           "End"};
  return absl::StrCat(c.config.name, "_", testing::TransportName(c.transport),
                      "_", kActions[static_cast<int>(c.action)], "At",
                      kWhens[static_cast<int>(c.when)],
                      c.header ? "WithHeader" : "");
}

void PrintTo(const PeerCase& c, std::ostream* os) {
  *os << PeerCaseName(::testing::TestParamInfo<PeerCase>(c, 0));
}

void Act(PeerAction action, UniqueFd& receiver) {
  switch (action) {
    case PeerAction::kShutRead:
      ::shutdown(receiver.get(), SHUT_RD);
      return;
    case PeerAction::kReset: {
      const linger abort{1, 0};
      ::setsockopt(receiver.get(), SOL_SOCKET, SO_LINGER, &abort,
                   sizeof(abort));
      receiver.reset();
      return;
    }
    case PeerAction::kClose:
      receiver.reset();
      return;
  }
}

class FaultPeerTest : public ::testing::TestWithParam<PeerCase> {
 protected:
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(GetParam().config);
    ASSERT_TRUE(testing::SigpipeIsDefault())
        << "the test must run with SIGPIPE at its default action";
  }
};

constexpr uint64_t kPeerFileSize = 2 * 1024 * 1024 + 1234;
constexpr uint64_t kPeerOffset = 1001;
// More than the sockets and the engine can hold together, so a peer that
// acts before the end always finds the transfer still sending.
constexpr uint64_t kPeerCount = 2000003;
// Where "in the middle" is: this many file bytes in.
constexpr uint64_t kPeerMiddle = 100003;
// "In the header": 1,001 bytes into one larger than the sockets hold.
constexpr size_t kLargeHeader = 512 * 1024 + 7;

// The peer reads up to a point, then shuts its read side, closes or resets.
// A transfer that the peer left before its end is Unavailable, naming the
// socket; one whose every byte the peer read first is OK. Either way
// header_bytes_sent + bytes_sent is what the kernel accepted: on unix
// (SHUT_RD) every byte the receiver can still read, on TCP what the socket
// reports as acknowledged or queued.
TEST_P(FaultPeerTest, PeerLeavesAndCountsAreWhatTheKernelAccepted) {
  const PeerCase& c = GetParam();
  PatternFile file(kPeerFileSize);
  const std::string header = c.when == PeerWhen::kInHeader
                                 ? testing::ResponseHead(kLargeHeader)
                             : c.header ? testing::ResponseHead(61)
                                        : "";
  const std::string trailer = c.header ? "\r\n--boundary--\r\n" : "";
  StreamPair pair = testing::SmallPair(c.transport);
  const int sender = pair.sender.get();
  const bool tcp = c.transport != Transport::kUnix;
  uint64_t accepted_before = 0;  // the SYN, on the connecting side
  if (tcp) {
    absl::StatusOr<uint64_t> accepted = testing::TcpBytesAccepted(sender);
    ASSERT_THAT(accepted, IsOk());
    accepted_before = *accepted;
  }
  size_t read_first = 0;
  switch (c.when) {
    case PeerWhen::kStart:
      break;
    case PeerWhen::kInHeader:
      read_first = 1001;
      break;
    case PeerWhen::kMiddle:
      read_first = header.size() + kPeerMiddle;
      break;
    case PeerWhen::kEnd:
      read_first = header.size() + kPeerCount + trailer.size();
      break;
  }
  Bystander bystander;
  const FdTable fds_before = testing::OpenFds();
  if (c.when == PeerWhen::kStart) Act(c.action, pair.receiver);

  int calls = 0;
  TransferResult result;
  std::string received;
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(c.config.options);
    ASSERT_THAT(engine, IsOk());
    bystander.Submit(**engine);
    ASSERT_THAT((*engine)->Submit({.socket_fd = sender,
                                   .file_fd = file.fd(),
                                   .offset = kPeerOffset,
                                   .count = kPeerCount,
                                   .header = header,
                                   .trailer = trailer},
                                  [&](TransferId, const TransferResult& r) {
                                    ++calls;
                                    result = r;
                                  }),
                IsOk());
    std::thread peer([&] {
      if (c.when != PeerWhen::kStart) {
        received =
            testing::ReadExactly(pair.receiver.get(), read_first, kLimit);
        Act(c.action, pair.receiver);
      }
      // After SHUT_RD nothing more can arrive: read what was accepted.
      if (c.action == PeerAction::kShutRead) {
        received += testing::DrainAll({pair.receiver.get()}, kLimit).front();
      }
    });
    const bool ended = testing::RunFor(**engine, kLimit);
    peer.join();
    ASSERT_TRUE(ended) << "transfers still live after " << kLimit;
  }
  EXPECT_THAT(testing::NewFds(fds_before), IsEmpty());
  bystander.ExpectByteExact();

  ASSERT_EQ(calls, 1);
  EXPECT_EQ(result.next_offset, kPeerOffset + result.bytes_sent);
  if (result.bytes_sent > 0) {
    EXPECT_EQ(result.header_bytes_sent, header.size());
  }
  const std::string sent = header.substr(0, result.header_bytes_sent) +
                           file.Slice(kPeerOffset, result.bytes_sent) +
                           trailer.substr(0, result.trailer_bytes_sent);
  if (c.when == PeerWhen::kEnd) {
    EXPECT_THAT(result.status, IsOk());
    EXPECT_EQ(result.bytes_sent, kPeerCount);
    EXPECT_EQ(result.header_bytes_sent, header.size());
    EXPECT_EQ(result.trailer_bytes_sent, trailer.size());
  } else {
    EXPECT_EQ(result.trailer_bytes_sent, 0u);
    EXPECT_THAT(result.status,
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr(absl::StrCat("fd ", sender))));
    // It says where a retry would resume (issue 11, defect 4).
    EXPECT_THAT(result.status.message(),
                HasSubstr(absl::StrCat("offset ", result.next_offset)));
    EXPECT_LT(result.bytes_sent, kPeerCount);
  }
  if (c.action == PeerAction::kShutRead) {
    EXPECT_EQ(FirstDifference(received, sent), "");
  } else {
    // The peer read what it asked for, a prefix of what the engine says
    // was accepted; the rest died with the peer's socket.
    EXPECT_EQ(received.size(), read_first);
    EXPECT_EQ(FirstDifference(received, sent.substr(0, received.size())), "");
  }
  if (tcp) {
    absl::StatusOr<uint64_t> accepted = testing::TcpBytesAccepted(sender);
    ASSERT_THAT(accepted, IsOk());
    EXPECT_EQ(result.header_bytes_sent + result.bytes_sent +
                  result.trailer_bytes_sent,
              *accepted - accepted_before);
  } else if (c.when == PeerWhen::kStart) {
    EXPECT_EQ(sent, "");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultPeerTest,
                         ::testing::ValuesIn(PeerCases()), PeerCaseName);

}  // namespace
}  // namespace sluice
