// Copyright 2026 The sluice Authors.
//
// Relays (issue 12): transfers whose source is a connected stream socket,
// on every backend and io_uring data path, over unix sockets and loopback
// TCP. A relay in each direction is two transfers sharing both sockets; the
// host (here, the test) passes an upstream EOF on with shutdown(SHUT_WR),
// as sluice-relay does. Every case checks the bytes, not just the counts,
// and that the source's bytes are conserved: what the destination got
// (bytes_sent), what the engine took and lost (bytes_received - bytes_sent)
// and what is left in the source add up to what the upstream wrote.

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <tuple>
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
using ::sluice::testing::Drainer;
using ::sluice::testing::FdTable;
using ::sluice::testing::FirstDifference;
using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr absl::Duration kLimit = absl::Seconds(60);

std::string RandomBytes(size_t size, uint32_t seed) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  return bytes;
}

// Writes `data` to the blocking socket `fd` on its own thread, then shuts
// it down for writing (the upstream's EOF).
class Writer {
 public:
  Writer(int fd, std::string data)
      : data_(std::move(data)), thread_([this, fd] {
          size_t done = 0;
          while (done < data_.size()) {
            const ssize_t n = ::send(fd, data_.data() + done,
                                     data_.size() - done, MSG_NOSIGNAL);
            if (n <= 0) break;
            done += static_cast<size_t>(n);
          }
          written_ = done;
          ::shutdown(fd, SHUT_WR);
        }) {}
  ~Writer() { Join(); }
  size_t Join() {
    if (thread_.joinable()) thread_.join();
    return written_;
  }

 private:
  std::string data_;
  size_t written_ = 0;
  std::thread thread_;
};

bool IsNonBlocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

// "on fd N ": how a status names the fd it failed on.
std::string NamesFd(int fd) { return absl::StrCat("on fd ", fd, " "); }

// Polls `engine` until `fd` has at least `bytes` to read (bounded).
void PollUntilQueued(Engine& engine, int fd, int bytes) {
  for (int i = 0; i < 10'000; ++i) {
    int queued = 0;
    ASSERT_EQ(::ioctl(fd, FIONREAD, &queued), 0);
    if (queued >= bytes) return;
    ASSERT_THAT(engine.Poll(absl::Milliseconds(10)).status(), IsOk());
  }
  FAIL() << "fd " << fd << " never held " << bytes << " bytes";
}

// One relayed connection: the client's pair and the upstream's. The engine
// holds `client` and `upstream`; the test plays the two peers.
struct Relay {
  StreamPair client_side;    // sender: the client; receiver: engine's end
  StreamPair upstream_side;  // sender: the upstream; receiver: engine's end
  int client_app() const { return client_side.sender.get(); }
  int client() const { return client_side.receiver.get(); }
  int upstream_app() const { return upstream_side.sender.get(); }
  int upstream() const { return upstream_side.receiver.get(); }
};

Relay MakeRelay(Transport transport) {
  absl::StatusOr<StreamPair> client = testing::MakeStreamPair(transport);
  absl::StatusOr<StreamPair> upstream = testing::MakeStreamPair(transport);
  EXPECT_TRUE(client.ok() && upstream.ok());
  if (!client.ok() || !upstream.ok()) return {};
  return Relay{*std::move(client), *std::move(upstream)};
}

// The path a relay's bytes take: zero-copy splice through a pipe, except
// where copying is all the backend does or what the test asked for.
DataPath ExpectedRelayPath(const BackendConfig& config) {
  if (config.options.backend == BackendKind::kReadSend ||
      config.options.uring_data_path == DataPath::kCopy) {
    return DataPath::kCopy;
  }
  return DataPath::kSplice;
}

class RelayTest
    : public ::testing::TestWithParam<std::tuple<BackendConfig, Transport>> {
 protected:
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(config());
    if (!testing::TransportAvailable(transport())) {
      GTEST_SKIP() << testing::TransportName(transport()) << " unavailable";
    }
    fds_before_ = testing::OpenFds();
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config().options);
    ASSERT_THAT(engine.status(), IsOk());
    engine_ = *std::move(engine);
  }
  void TearDown() override {
    if (engine_ == nullptr) return;
    engine_.reset();
    relays_.clear();
    EXPECT_THAT(testing::NewFds(fds_before_), IsEmpty());
  }

  const BackendConfig& config() const { return std::get<0>(GetParam()); }
  Transport transport() const { return std::get<1>(GetParam()); }

  std::unique_ptr<Engine> engine_;
  std::vector<Relay> relays_;
  FdTable fds_before_;
};

// Both directions at once, odd sizes, each direction until its source's
// EOF; the callback passes the EOF on, as a proxy does.
TEST_P(RelayTest, BothDirectionsByteExact) {
  const std::vector<size_t> sizes = {1, 65'537, 3 * 1024 * 1024 + 7};
  for (size_t i = 0; i < sizes.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("size ", sizes[i]));
    Relay relay = MakeRelay(transport());
    const std::string down = RandomBytes(sizes[i], 2 * i + 1);
    const std::string up = RandomBytes(sizes[i] / 3 + 1, 2 * i + 2);
    TransferResult down_result, up_result;
    int calls = 0;
    auto pass_eof_on = [&](TransferResult& into, int destination) {
      return [&into, &calls, destination](TransferId,
                                          const TransferResult& result) {
        into = result;
        ++calls;
        if (result.status.ok()) ::shutdown(destination, SHUT_WR);
      };
    };
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                     pass_eof_on(down_result, relay.client()))
            .status(),
        IsOk());
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.upstream(), .file_fd = relay.client()},
                     pass_eof_on(up_result, relay.upstream()))
            .status(),
        IsOk());
    Drainer client_reads(relay.client_app(), kLimit);
    Drainer upstream_reads(relay.upstream_app(), kLimit);
    Writer upstream_writes(relay.upstream_app(), down);
    Writer client_writes(relay.client_app(), up);
    ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
    EXPECT_EQ(calls, 2);
    EXPECT_THAT(down_result.status, IsOk());
    EXPECT_THAT(up_result.status, IsOk());
    EXPECT_EQ(down_result.bytes_sent, down.size());
    EXPECT_EQ(down_result.bytes_received, down.size());
    EXPECT_EQ(down_result.data_path, ExpectedRelayPath(config()));
    EXPECT_EQ(up_result.data_path, ExpectedRelayPath(config()));
    EXPECT_EQ(up_result.bytes_sent, up.size());
    EXPECT_EQ(up_result.bytes_received, up.size());
    EXPECT_EQ(FirstDifference(client_reads.Join(), down), "");
    EXPECT_EQ(FirstDifference(upstream_reads.Join(), up), "");
    EXPECT_EQ(upstream_writes.Join(), down.size());
    EXPECT_EQ(client_writes.Join(), up.size());
    relays_.push_back(std::move(relay));
  }
}

// The largest relay the issue asks for, 64 MiB and an odd byte, one way:
// many pipe fills and drains, short splices and full sockets on the way.
TEST_P(RelayTest, SixtyFourMebibytesByteExact) {
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(64 * 1024 * 1024 + 3, 41);
  TransferResult result;
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                   [&](TransferId, const TransferResult& r) {
                     result = r;
                     ::shutdown(relay.client(), SHUT_WR);
                   })
          .status(),
      IsOk());
  Drainer client_reads(relay.client_app(), kLimit);
  Writer upstream_writes(relay.upstream_app(), data);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_sent, data.size());
  EXPECT_EQ(result.bytes_received, data.size());
  EXPECT_EQ(FirstDifference(client_reads.Join(), data), "");
  relays_.push_back(std::move(relay));
}

// With a count, an upstream that ends first is OutOfRange with exact
// counts; the engine never reads past the count.
TEST_P(RelayTest, CountedRelayEndsAtCountOrEarlyEof) {
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(200'003, 7);
  TransferResult exact, early;
  Drainer client_reads(relay.client_app(), kLimit);
  {
    Writer upstream_writes(relay.upstream_app(), data);
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.client(),
                      .file_fd = relay.upstream(),
                      .count = 100'001},
                     [&](TransferId, const TransferResult& r) { exact = r; })
            .status(),
        IsOk());
    ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
    EXPECT_THAT(exact.status, IsOk());
    EXPECT_EQ(exact.bytes_sent, 100'001u);
    EXPECT_EQ(exact.bytes_received, 100'001u);
    // The rest: 100,002 bytes to the EOF, and more is asked for.
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.client(),
                      .file_fd = relay.upstream(),
                      .count = 100'005},
                     [&](TransferId, const TransferResult& r) { early = r; })
            .status(),
        IsOk());
    ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  }
  EXPECT_THAT(early.status, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(early.bytes_sent, 100'002u);
  EXPECT_EQ(early.bytes_received, 100'002u);
  ::shutdown(relay.client(), SHUT_WR);
  EXPECT_EQ(FirstDifference(client_reads.Join(), data), "");
  relays_.push_back(std::move(relay));
}

// An upstream reset (TCP) ends the relay with the upstream's fd and errno
// named, not the destination's; what it delivered is exact.
TEST_P(RelayTest, UpstreamResetNamesTheUpstream) {
  if (transport() == Transport::kUnix) {
    GTEST_SKIP() << "a reset is TCP's (SO_LINGER 0)";
  }
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(50'001, 11);
  ASSERT_EQ(::send(relay.upstream_app(), data.data(), data.size(), 0),
            static_cast<ssize_t>(data.size()));
  TransferResult result;
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                   [&](TransferId, const TransferResult& r) { result = r; })
          .status(),
      IsOk());
  // The engine relays what came before the reset, then reads the reset.
  PollUntilQueued(*engine_, relay.client_app(), static_cast<int>(data.size()));
  const std::string first =
      testing::ReadExactly(relay.client_app(), data.size(), kLimit);
  EXPECT_EQ(FirstDifference(first, data), "");
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(::setsockopt(relay.upstream_app(), SOL_SOCKET, SO_LINGER,
                         &abort_on_close, sizeof(abort_on_close)),
            0);
  relay.upstream_side.sender.reset();
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(result.status.message(), HasSubstr(NamesFd(relay.upstream())));
  EXPECT_THAT(result.status.message(),
              ::testing::Not(HasSubstr(NamesFd(relay.client()))));
  EXPECT_EQ(result.bytes_sent, data.size());
  EXPECT_EQ(result.bytes_received, data.size());
  relays_.push_back(std::move(relay));
}

// A destination that resets mid-relay: the destination's fd is named, and
// no source byte goes unaccounted for — bytes_received plus what is still
// in the upstream socket is exactly what the upstream wrote.
TEST_P(RelayTest, DestinationResetAccountsForEveryUpstreamByte) {
  if (transport() == Transport::kUnix) {
    GTEST_SKIP() << "a reset is TCP's (SO_LINGER 0)";
  }
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(8 * 1024 * 1024 + 5, 13);
  TransferResult result;
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                   [&](TransferId, const TransferResult& r) { result = r; })
          .status(),
      IsOk());
  Writer upstream_writes(relay.upstream_app(), data);
  PollUntilQueued(*engine_, relay.client_app(), 32'768);
  EXPECT_EQ(
      FirstDifference(testing::ReadExactly(relay.client_app(), 32'768, kLimit),
                      data.substr(0, 32'768)),
      "");
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  ASSERT_EQ(::setsockopt(relay.client_app(), SOL_SOCKET, SO_LINGER,
                         &abort_on_close, sizeof(abort_on_close)),
            0);
  relay.client_side.sender.reset();
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(result.status.message(), HasSubstr(NamesFd(relay.client())));
  EXPECT_GE(result.bytes_received, result.bytes_sent);
  // The engine no longer reads the upstream: the rest is still there.
  ::fcntl(relay.upstream(), F_SETFL, 0);
  Drainer rest_reader(relay.upstream(), kLimit);
  const std::string rest = rest_reader.Join();
  EXPECT_EQ(upstream_writes.Join(), data.size());
  ASSERT_EQ(result.bytes_received + rest.size(), data.size());
  EXPECT_EQ(FirstDifference(rest, data.substr(result.bytes_received)), "");
  relays_.push_back(std::move(relay));
}

// A destination that closes mid-relay (unix: EPIPE; TCP: a reset, since it
// closes with bytes unread): the destination named, the process alive
// (SIGPIPE keeps its default action here, so one let through kills the
// test), every upstream byte accounted for.
TEST_P(RelayTest, DestinationClosesMidRelay) {
  ASSERT_TRUE(testing::SigpipeIsDefault());
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(8 * 1024 * 1024 + 1, 29);
  TransferResult result;
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                   [&](TransferId, const TransferResult& r) { result = r; })
          .status(),
      IsOk());
  Writer upstream_writes(relay.upstream_app(), data);
  PollUntilQueued(*engine_, relay.client_app(), 1);
  relay.client_side.sender.reset();
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(result.status.message(), HasSubstr(NamesFd(relay.client())));
  ::fcntl(relay.upstream(), F_SETFL, 0);
  const std::string rest = Drainer(relay.upstream(), kLimit).Join();
  EXPECT_EQ(upstream_writes.Join(), data.size());
  ASSERT_EQ(result.bytes_received + rest.size(), data.size());
  EXPECT_EQ(FirstDifference(rest, data.substr(result.bytes_received)), "");
  relays_.push_back(std::move(relay));
}

// Resets before the first byte, of either side: the side named, nothing
// delivered, no upstream byte unaccounted for.
TEST_P(RelayTest, ResetAtTheStartOfEitherSide) {
  if (transport() == Transport::kUnix) {
    GTEST_SKIP() << "a reset is TCP's (SO_LINGER 0)";
  }
  const linger abort_on_close{.l_onoff = 1, .l_linger = 0};
  for (const bool upstream_resets : {true, false}) {
    SCOPED_TRACE(upstream_resets ? "upstream resets" : "client resets");
    Relay relay = MakeRelay(transport());
    const std::string data = RandomBytes(30'001, 31);
    UniqueFd& resetting =
        upstream_resets ? relay.upstream_side.sender : relay.client_side.sender;
    ASSERT_EQ(::setsockopt(resetting.get(), SOL_SOCKET, SO_LINGER,
                           &abort_on_close, sizeof(abort_on_close)),
              0);
    if (!upstream_resets) {
      ASSERT_EQ(::send(relay.upstream_app(), data.data(), data.size(), 0),
                static_cast<ssize_t>(data.size()));
    }
    resetting.reset();
    TransferResult result;
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                     [&](TransferId, const TransferResult& r) { result = r; })
            .status(),
        IsOk());
    ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
    EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(result.status.message(),
                HasSubstr(NamesFd(upstream_resets ? relay.upstream()
                                                  : relay.client())));
    EXPECT_EQ(result.bytes_sent, 0u);
    if (upstream_resets) {
      EXPECT_EQ(result.bytes_received, 0u);
    } else {
      ::fcntl(relay.upstream(), F_SETFL, 0);
      ::shutdown(relay.upstream_app(), SHUT_WR);
      const std::string rest = Drainer(relay.upstream(), kLimit).Join();
      ASSERT_EQ(result.bytes_received + rest.size(), data.size());
      EXPECT_EQ(FirstDifference(rest, data.substr(result.bytes_received)), "");
    }
    relays_.push_back(std::move(relay));
  }
}

// idle_timeout holds for relays on both sides: an upstream that sends
// nothing, and a destination that reads nothing (its buffers full), end
// DeadlineExceeded with exact counts and every upstream byte accounted for.
TEST_P(RelayTest, IdleUpstreamAndIdleDestinationTimeOut) {
  Relay silent = MakeRelay(transport());
  Relay stuck = MakeRelay(transport());
  const std::string data = RandomBytes(16 * 1024 * 1024 + 9, 37);
  TransferResult silent_result, stuck_result;
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = silent.client(),
                            .file_fd = silent.upstream(),
                            .idle_timeout = absl::Milliseconds(200)},
                           [&](TransferId, const TransferResult& r) {
                             silent_result = r;
                           })
                  .status(),
              IsOk());
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = stuck.client(),
                            .file_fd = stuck.upstream(),
                            .idle_timeout = absl::Milliseconds(200)},
                           [&](TransferId, const TransferResult& r) {
                             stuck_result = r;
                           })
                  .status(),
              IsOk());
  Writer upstream_writes(stuck.upstream_app(), data);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(silent_result.status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(silent_result.bytes_sent, 0u);
  EXPECT_EQ(silent_result.bytes_received, 0u);
  EXPECT_THAT(stuck_result.status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GT(stuck_result.bytes_sent, 0u);
  // What the destination holds is exactly bytes_sent...
  ::shutdown(stuck.client(), SHUT_WR);
  const std::string got = Drainer(stuck.client_app(), kLimit).Join();
  EXPECT_EQ(got.size(), stuck_result.bytes_sent);
  EXPECT_EQ(FirstDifference(got, data.substr(0, got.size())), "");
  // ...and the upstream still has everything past bytes_received.
  ::fcntl(stuck.upstream(), F_SETFL, 0);
  const std::string rest = Drainer(stuck.upstream(), kLimit).Join();
  EXPECT_EQ(upstream_writes.Join(), data.size());
  ASSERT_EQ(stuck_result.bytes_received + rest.size(), data.size());
  EXPECT_EQ(FirstDifference(rest, data.substr(stuck_result.bytes_received)),
            "");
  relays_.push_back(std::move(silent));
  relays_.push_back(std::move(stuck));
}

// TCP urgent data: splice(2) stops at the mark and answers EAGAIN with
// bytes waiting, so a spliced relay used to spin there for good. It now
// copies from there; read(2) steps over the urgent byte (SO_OOBINLINE is
// off), so the stream arrives without it, and the relay ends at EOF.
TEST_P(RelayTest, UrgentDataDoesNotStallTheRelay) {
  if (transport() == Transport::kUnix) GTEST_SKIP() << "urgent data is TCP's";
  Relay relay = MakeRelay(transport());
  TransferResult result;
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = relay.client(),
                            .file_fd = relay.upstream(),
                            .deadline = absl::Now() + absl::Seconds(20)},
                           [&](TransferId, const TransferResult& r) {
                             result = r;
                             ::shutdown(relay.client(), SHUT_WR);
                           })
                  .status(),
              IsOk());
  ASSERT_EQ(::send(relay.upstream_app(), "abc", 3, 0), 3);
  PollUntilQueued(*engine_, relay.client_app(), 3);
  ASSERT_EQ(::send(relay.upstream_app(), "!", 1, MSG_OOB), 1);
  ASSERT_EQ(::send(relay.upstream_app(), "def", 3, 0), 3);
  ::shutdown(relay.upstream_app(), SHUT_WR);
  Drainer client_reads(relay.client_app(), kLimit);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(client_reads.Join(), "abcdef");
  EXPECT_EQ(result.bytes_sent, 6u);
  relays_.push_back(std::move(relay));
}

// Progress reaches the scheduler while the transfer waits, on every
// backend: a relay whose upstream paused after sending, and a file transfer
// whose socket filled. Its idle timer and minimum rate judge by what the
// scheduler saw; an io_uring push used to report only at its end (a whole
// quantum later), so a relay trickling less than that timed out while
// bytes flowed.
TEST_P(RelayTest, ProgressIsReportedWhileWaiting) {
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(1000, 43);
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                   [](TransferId, const TransferResult&) {})
          .status(),
      IsOk());
  ASSERT_EQ(::send(relay.upstream_app(), data.data(), data.size(), 0), 1000);
  PollUntilQueued(*engine_, relay.client_app(), 1000);
  for (int i = 0; i < 10 && engine_->stats().file_bytes < 1000; ++i) {
    ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)).status(), IsOk());
  }
  EXPECT_EQ(engine_->stats().file_bytes, 1000u);
  EXPECT_EQ(engine_->live_transfers(), 1u);

  // A file to a client that reads nothing: the socket fills long before a
  // quantum (512 KiB) is sent.
  Relay file_relay = MakeRelay(transport());
  testing::PatternFile file(8 * 1024 * 1024);
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = file_relay.client(), .file_fd = file.fd()},
                   [](TransferId, const TransferResult&) {})
          .status(),
      IsOk());
  for (int i = 0; i < 10'000 && engine_->stats().would_block == 0; ++i) {
    ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)).status(), IsOk());
  }
  ASSERT_GT(engine_->stats().would_block, 0u);
  for (int i = 0; i < 10 && engine_->stats().file_bytes == 1000; ++i) {
    ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)).status(), IsOk());
  }
  EXPECT_GT(engine_->stats().file_bytes, 1000u);
  EXPECT_EQ(engine_->live_transfers(), 2u);
  relays_.push_back(std::move(relay));
  relays_.push_back(std::move(file_relay));
}

// Cancel mid-relay: the destination got exactly bytes_sent bytes, the
// engine's held bytes are bytes_received - bytes_sent, and the upstream
// still holds the rest.
TEST_P(RelayTest, CancelMidRelayIsExact) {
  Relay relay = MakeRelay(transport());
  const std::string data = RandomBytes(4 * 1024 * 1024 + 3, 17);
  TransferResult result;
  absl::StatusOr<TransferId> id = engine_->Submit(
      {.socket_fd = relay.client(), .file_fd = relay.upstream()},
      [&](TransferId, const TransferResult& r) { result = r; });
  ASSERT_THAT(id.status(), IsOk());
  Writer upstream_writes(relay.upstream_app(), data);
  // Until the destination holds some bytes (no one reads it yet).
  PollUntilQueued(*engine_, relay.client_app(), 1);
  EXPECT_TRUE(engine_->Cancel(*id));
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_GT(result.bytes_sent, 0u);
  ::shutdown(relay.client(), SHUT_WR);
  const std::string got = Drainer(relay.client_app(), kLimit).Join();
  EXPECT_EQ(got.size(), result.bytes_sent);
  EXPECT_EQ(FirstDifference(got, data.substr(0, got.size())), "");
  ::fcntl(relay.upstream(), F_SETFL, 0);
  const std::string rest = Drainer(relay.upstream(), kLimit).Join();
  EXPECT_EQ(upstream_writes.Join(), data.size());
  ASSERT_EQ(result.bytes_received + rest.size(), data.size());
  EXPECT_EQ(FirstDifference(rest, data.substr(result.bytes_received)), "");
  relays_.push_back(std::move(relay));
}

// Two transfers sharing two blocking sockets: the one that ends first must
// leave both non-blocking for the other (which would otherwise block the
// engine thread); the last one puts the flags back.
TEST_P(RelayTest, SharedSocketsStayNonBlockingUntilTheLastTransferEnds) {
  Relay relay = MakeRelay(transport());
  ASSERT_FALSE(IsNonBlocking(relay.client()));
  ASSERT_FALSE(IsNonBlocking(relay.upstream()));
  bool nonblocking_after_first = false;
  int calls = 0;
  auto done = [&](TransferId, const TransferResult& result) {
    EXPECT_THAT(result.status, IsOk());
    if (++calls == 1) {
      nonblocking_after_first =
          IsNonBlocking(relay.client()) && IsNonBlocking(relay.upstream());
    }
  };
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = relay.client(),
                            .file_fd = relay.upstream(),
                            .count = 10},
                           done)
                  .status(),
              IsOk());
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = relay.upstream(),
                            .file_fd = relay.client(),
                            .count = 20},
                           done)
                  .status(),
              IsOk());
  const std::string down = RandomBytes(10, 19);
  const std::string up = RandomBytes(20, 23);
  // The downstream direction first; the other waits for its bytes.
  ASSERT_EQ(::send(relay.upstream_app(), down.data(), down.size(), 0), 10);
  for (int i = 0; i < 10'000 && calls == 0; ++i) {
    ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)).status(), IsOk());
  }
  ASSERT_EQ(calls, 1);
  EXPECT_TRUE(nonblocking_after_first);
  ASSERT_EQ(::send(relay.client_app(), up.data(), up.size(), 0), 20);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_EQ(calls, 2);
  EXPECT_FALSE(IsNonBlocking(relay.client()));
  EXPECT_FALSE(IsNonBlocking(relay.upstream()));
  EXPECT_EQ(testing::ReadExactly(relay.client_app(), 10, kLimit), down);
  EXPECT_EQ(testing::ReadExactly(relay.upstream_app(), 20, kLimit), up);
  relays_.push_back(std::move(relay));
}

// A thousand relays at once on one engine (unix pairs: 4,000 fds), each of
// its own odd size, every one byte-exact; the fds come back (TearDown).
TEST_P(RelayTest, ThousandConcurrentRelays) {
  if (transport() != Transport::kUnix) GTEST_SKIP() << "one transport";
  testing::FdLimitScope limit;
  constexpr int kRelays = 1000;
  if (limit.RaiseTo(4 * kRelays + 256) < 4 * kRelays + 256) {
    GTEST_SKIP() << "fd limit too low for " << kRelays << " relays";
  }
  std::vector<std::string> data(kRelays);
  std::vector<TransferResult> results(kRelays);
  int calls = 0;
  for (int i = 0; i < kRelays; ++i) {
    relays_.push_back(MakeRelay(transport()));
    const Relay& relay = relays_.back();
    data[i] = RandomBytes(1 + (i * 7919) % 20'000, i);
    ASSERT_EQ(::send(relay.upstream_app(), data[i].data(), data[i].size(), 0),
              static_cast<ssize_t>(data[i].size()));
    ::shutdown(relay.upstream_app(), SHUT_WR);
    ASSERT_THAT(
        engine_
            ->Submit({.socket_fd = relay.client(), .file_fd = relay.upstream()},
                     [&, i](TransferId, const TransferResult& r) {
                       results[i] = r;
                       ++calls;
                       ::shutdown(relays_[i].client(), SHUT_WR);
                     })
            .status(),
        IsOk());
  }
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_EQ(calls, kRelays);
  for (int i = 0; i < kRelays; ++i) {
    SCOPED_TRACE(absl::StrCat("relay ", i));
    EXPECT_THAT(results[i].status, IsOk());
    EXPECT_EQ(results[i].bytes_received, data[i].size());
    EXPECT_EQ(FirstDifference(Drainer(relays_[i].client_app(), kLimit).Join(),
                              data[i]),
              "");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Backends, RelayTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllBackendConfigs()),
                       ::testing::Values(Transport::kUnix, Transport::kTcp4)),
    testing::BackendAndTransportName);

}  // namespace
}  // namespace sluice
