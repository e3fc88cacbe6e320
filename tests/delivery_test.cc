// Copyright 2026 The sluice Authors.
//
// Delivered bytes (TransferSpec::report_delivery) on every backend: what
// the peer acknowledged and what still waited unsent, checked against the
// kernel's own counters read by the test. TCP reports them; a unix socket
// reports nullopt. And EngineOptions::notsent_lowat, which bounds the
// unsent bytes: set for the transfer, put back before its callback.

#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "engine/sluice_config.h"
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
using ::sluice::testing::IsOk;
using ::sluice::testing::PatternFile;
using ::sluice::testing::PatternSlice;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;

// The sender's send side as the test reads it, independently of the engine.
struct Kernel {
  uint64_t bytes_acked = 0;
  uint64_t not_sent = 0;
  uint32_t unacked_segments = 0;
  // SIOCOUTQ: written, not yet acknowledged.
  uint64_t queued = 0;
};

std::optional<Kernel> ReadKernel(int fd) {
  struct tcp_info info = {};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) != 0 ||
      length < offsetof(struct tcp_info, tcpi_notsent_bytes) +
                   sizeof(info.tcpi_notsent_bytes)) {
    return std::nullopt;
  }
  int queued = 0;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0) return std::nullopt;
  return Kernel{.bytes_acked = info.tcpi_bytes_acked,
                .not_sent = info.tcpi_notsent_bytes,
                .unacked_segments = info.tcpi_unacked,
                .queued = static_cast<uint64_t>(queued)};
}

uint64_t Accepted(const TransferResult& result) {
  return result.header_bytes_sent + result.bytes_sent +
         result.trailer_bytes_sent;
}

class DeliveryTest
    : public ::testing::TestWithParam<std::tuple<BackendConfig, Transport>> {
 protected:
  const EngineOptions& options() const {
    return std::get<0>(GetParam()).options;
  }
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
    if (tcp() && !ReadKernel(pair_.sender.get()).has_value()) {
      GTEST_SKIP() << "this kernel's TCP_INFO lacks tcpi_notsent_bytes";
    }
#if !SLUICE_HAVE_TCP_INFO_NOTSENT
    if (tcp()) {
      GTEST_SKIP() << "this build reads no TCP_INFO (the portable build, "
                      "-Dlinux_backends=false): nothing is reported";
    }
#endif
    absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
    ASSERT_THAT(engine, IsOk());
    engine_ = *std::move(engine);
  }

  // Polls the engine until `ready` holds (at most about 10 s).
  template <typename Ready>
  bool PollUntil(Ready ready) {
    for (int i = 0; i < 1000; ++i) {
      if (ready()) return true;
      EXPECT_THAT(engine_->Poll(absl::Milliseconds(10)), IsOk());
    }
    return ready();
  }

  StreamPair pair_;
  std::unique_ptr<Engine> engine_;
};

// The peer reads and acknowledges every byte before the transfer ends (a
// pipe source keeps it live until the test cancels it): all delivered,
// nothing unsent.
TEST_P(DeliveryTest, EverythingAckedBeforeTheEndIsDelivered) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  testing::UniqueFd read_end(fds[0]);
  testing::UniqueFd write_end(fds[1]);
  // Fits in the pipe: written at once, without a thread.
  const std::string body = PatternSlice(60000, 0, 60000);
  ASSERT_EQ(::write(write_end.get(), body.data(), body.size()),
            static_cast<ssize_t>(body.size()));
  const std::string header = "HTTP/1.1 200 OK\r\n\r\n";
  const int sender = pair_.sender.get();

  TransferResult result;
  int calls = 0;
  absl::StatusOr<TransferId> id =
      engine_->Submit({.socket_fd = sender,
                       .file_fd = read_end.get(),
                       .header = header,
                       .report_delivery = true},
                      [&](TransferId, const TransferResult& r) {
                        ++calls;
                        result = r;
                      });
  ASSERT_THAT(id, IsOk());
  std::atomic<bool> read_all = false;
  std::string received;
  std::thread reader([&] {
    received = testing::ReadExactly(
        pair_.receiver.get(), header.size() + body.size(), absl::Seconds(10));
    read_all = true;
  });
  // Until the reader has everything and the sender's kernel has seen it
  // acknowledged (TCP; unix: read).
  const bool acked = PollUntil([&] {
    if (!read_all) return false;
    int queued = -1;
    return ::ioctl(sender, SIOCOUTQ, &queued) == 0 && queued == 0;
  });
  reader.join();
  ASSERT_TRUE(acked);
  EXPECT_TRUE(received == header + body);

  ASSERT_TRUE(engine_->Cancel(*id));
  ASSERT_THAT(engine_->Run(), IsOk());
  ASSERT_EQ(calls, 1);
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(result.bytes_sent, body.size());
  if (!tcp()) {
    EXPECT_EQ(result.bytes_acked, std::nullopt);
    EXPECT_EQ(result.bytes_unsent, std::nullopt);
    return;
  }
  EXPECT_EQ(result.bytes_acked, std::optional<uint64_t>(Accepted(result)));
  EXPECT_EQ(result.bytes_unsent, std::optional<uint64_t>(0));
  EXPECT_EQ(engine_->stats().delivery_probes, 3u);
}

// The peer reads nothing: the transfer stalls with the receive buffer full
// (those bytes acknowledged) and the rest unsent in the send buffer; what
// the result says matches the kernel's counters and adds up.
TEST_P(DeliveryTest, StalledPeerLeavesTheRestUnsent) {
  PatternFile file(8 << 20);
  const int sender = pair_.sender.get();
  const std::optional<Kernel> before =
      tcp() ? ReadKernel(sender) : std::nullopt;
  TransferResult result;
  std::optional<Kernel> in_callback;
  absl::StatusOr<TransferId> id =
      engine_->Submit({.socket_fd = sender,
                       .file_fd = file.fd(),
                       .header = "head",
                       .report_delivery = true},
                      [&](TransferId, const TransferResult& r) {
                        result = r;
                        if (tcp()) in_callback = ReadKernel(sender);
                      });
  ASSERT_THAT(id, IsOk());
  if (tcp()) {
    // Stalled: nothing in flight, bytes waiting unsent, and the same twice
    // in a row.
    std::optional<Kernel> last;
    const bool stalled = PollUntil([&] {
      const std::optional<Kernel> now = ReadKernel(sender);
      const bool same = now.has_value() && last.has_value() &&
                        now->bytes_acked == last->bytes_acked &&
                        now->not_sent == last->not_sent;
      last = now;
      return same && now->unacked_segments == 0 && now->not_sent > 0 &&
             engine_->stats().file_bytes > 0;
    });
    ASSERT_TRUE(stalled);
  } else {
    // io_uring may hold its first push until the peer reads: no count to
    // wait for; a few turns suffice for the nullopt checked below.
    for (int i = 0; i < 5; ++i) {
      ASSERT_THAT(engine_->Poll(absl::Milliseconds(10)), IsOk());
    }
  }
  ASSERT_TRUE(engine_->Cancel(*id));
  ASSERT_THAT(engine_->Run(), IsOk());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  if (!tcp()) {
    EXPECT_EQ(result.bytes_acked, std::nullopt);
    EXPECT_EQ(result.bytes_unsent, std::nullopt);
    return;
  }
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(in_callback.has_value());
  ASSERT_TRUE(result.bytes_acked.has_value());
  ASSERT_TRUE(result.bytes_unsent.has_value());
  EXPECT_GT(*result.bytes_acked, 0u);
  EXPECT_GT(*result.bytes_unsent, 0u);
  EXPECT_EQ(*result.bytes_acked,
            in_callback->bytes_acked - before->bytes_acked);
  EXPECT_EQ(*result.bytes_unsent, in_callback->not_sent);
  // Nothing in flight: every accepted byte is acknowledged or unsent.
  EXPECT_EQ(in_callback->unacked_segments, 0u);
  EXPECT_EQ(*result.bytes_acked + *result.bytes_unsent, Accepted(result));
  EXPECT_EQ(in_callback->queued, Accepted(result) - *result.bytes_acked);
}

// A reader that takes everything: the transfer ends when the socket has
// accepted the last byte, maybe before the peer acknowledged it: what the
// result reports never exceeds what was sent, nor what the kernel counted
// by the time the callback ran.
TEST_P(DeliveryTest, DrainingPeerNeverGetsMoreThanWasSent) {
  PatternFile file(1 << 20);
  const int sender = pair_.sender.get();
  const std::optional<Kernel> before =
      tcp() ? ReadKernel(sender) : std::nullopt;
  Drainer drainer(pair_.receiver.get());
  TransferResult result;
  std::optional<Kernel> in_callback;
  ASSERT_THAT(engine_->Submit({.socket_fd = sender,
                               .file_fd = file.fd(),
                               .header = "head",
                               .trailer = "tail",
                               .report_delivery = true},
                              [&](TransferId, const TransferResult& r) {
                                result = r;
                                if (tcp()) in_callback = ReadKernel(sender);
                              }),
              IsOk());
  ASSERT_THAT(engine_->Run(), IsOk());
  EXPECT_THAT(result.status, IsOk());
  const uint64_t accepted = Accepted(result);
  EXPECT_EQ(accepted, (1u << 20) + 8);
  if (!tcp()) {
    EXPECT_EQ(result.bytes_acked, std::nullopt);
    EXPECT_EQ(result.bytes_unsent, std::nullopt);
  } else {
    ASSERT_TRUE(result.bytes_acked.has_value());
    ASSERT_TRUE(result.bytes_unsent.has_value());
    ASSERT_TRUE(before.has_value());
    ASSERT_TRUE(in_callback.has_value());
    EXPECT_LE(*result.bytes_acked + *result.bytes_unsent, accepted);
    // Acknowledgements only grow between the engine's sample and the
    // callback.
    EXPECT_LE(*result.bytes_acked,
              in_callback->bytes_acked - before->bytes_acked);
    EXPECT_LE(in_callback->not_sent, *result.bytes_unsent);
  }
  pair_.sender.reset();
  EXPECT_EQ(drainer.Join().size(), accepted);
}

TEST_P(DeliveryTest, NotAskedIsNotReportedNorProbed) {
  PatternFile file(64 << 10);
  Drainer drainer(pair_.receiver.get());
  TransferResult result;
  ASSERT_THAT(
      engine_->Submit({.socket_fd = pair_.sender.get(), .file_fd = file.fd()},
                      [&](TransferId, const TransferResult& r) { result = r; }),
      IsOk());
  ASSERT_THAT(engine_->Run(), IsOk());
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_acked, std::nullopt);
  EXPECT_EQ(result.bytes_unsent, std::nullopt);
  EXPECT_EQ(engine_->stats().delivery_probes, 0u);
  pair_.sender.reset();
  EXPECT_EQ(drainer.Join().size(), 64u << 10);
}

// The socket's TCP_NOTSENT_LOWAT; -1 where it has none (a unix socket).
int NotSentLowat(int fd) {
  int value = -1;
  socklen_t length = sizeof(value);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &value, &length) != 0) {
    return -1;
  }
  return value;
}

// EngineOptions::notsent_lowat holds while the transfer runs; the socket's
// own value is back before the callback.
TEST_P(DeliveryTest, NotSentLowatHoldsForTheTransferOnly) {
  EngineOptions with_lowat = options();
  with_lowat.notsent_lowat = 16384;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(with_lowat);
  ASSERT_THAT(engine, IsOk());
  const int sender = pair_.sender.get();
  // The host's own value, which must come back.
  const int own = 99999;
  if (tcp()) {
    ASSERT_EQ(
        ::setsockopt(sender, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &own, sizeof(own)),
        0);
  }
  const int expected_after = tcp() ? own : -1;
  PatternFile file(8 << 20);
  TransferResult result;
  int in_callback = -2;
  absl::StatusOr<TransferId> id =
      (*engine)->Submit({.socket_fd = sender, .file_fd = file.fd()},
                        [&](TransferId, const TransferResult& r) {
                          result = r;
                          in_callback = NotSentLowat(sender);
                        });
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(NotSentLowat(sender), tcp() ? 16384 : -1);
  ASSERT_THAT((*engine)->Poll(absl::Milliseconds(10)), IsOk());
  EXPECT_EQ(NotSentLowat(sender), tcp() ? 16384 : -1);
  // Nobody reads: the transfer is still live; end it.
  ASSERT_TRUE((*engine)->Cancel(*id));
  ASSERT_THAT((*engine)->Run(), IsOk());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(in_callback, expected_after);
  EXPECT_EQ(NotSentLowat(sender), expected_after);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, DeliveryTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllBackendConfigs()),
                       ::testing::Values(Transport::kUnix, Transport::kTcp4,
                                         Transport::kTcp6)),
    testing::BackendAndTransportName);

}  // namespace
}  // namespace sluice
