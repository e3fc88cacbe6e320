// Copyright 2026 The sluice Authors.
//
// KernelSendQueue against real sockets: what the idle timer reads as the
// peer's progress.

#include "engine/send_queue.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace sluice::internal {
namespace {

using ::sluice::testing::MakeStreamPair;
using ::sluice::testing::Transport;
using ::sluice::testing::TransportAvailable;
using ::sluice::testing::TransportName;

class SendQueueTest : public ::testing::TestWithParam<Transport> {};

// Writes to the non-blocking `fd` until the socket takes no more.
uint64_t Fill(int fd) {
  const std::string chunk(64 * 1024, 'x');
  uint64_t written = 0;
  for (int i = 0; i < 10000; ++i) {
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    written += static_cast<uint64_t>(n);
  }
  return written;
}

// Reads what `fd` has now, without blocking.
uint64_t ReadSome(int fd) {
  char buffer[64 * 1024];
  const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

TEST_P(SendQueueTest, ShrinksAsThePeerTakesBytes) {
  if (!TransportAvailable(GetParam())) GTEST_SKIP() << "no such transport";
  auto pair = MakeStreamPair(GetParam());
  ASSERT_TRUE(pair.ok()) << pair.status();
  const int sender = pair->sender.get();
  const int receiver = pair->receiver.get();
  KernelSendQueue queue;
  if (!queue.Queued(sender).has_value()) {
    GTEST_SKIP() << "this build cannot ask the kernel (no SIOCOUTQ)";
  }
  ASSERT_EQ(queue.Queued(sender), std::optional<uint64_t>(0));

  ASSERT_GT(Fill(sender), 0u);
  const std::optional<uint64_t> full = queue.Queued(sender);
  ASSERT_TRUE(full.has_value());
  ASSERT_GT(*full, 0u);

  // The receiver reads; the sender's queue must shrink (TCP: once the
  // window reopens and the peer acknowledges). Bounded: 1,000 rounds of a
  // read and a short poll.
  std::optional<uint64_t> now = full;
  for (int i = 0; i < 1000 && now.has_value() && *now >= *full; ++i) {
    ReadSome(receiver);
    pollfd wait{.fd = receiver, .events = POLLIN, .revents = 0};
    ::poll(&wait, 1, 10);
    now = queue.Queued(sender);
  }
  ASSERT_TRUE(now.has_value());
  EXPECT_LT(*now, *full);
}

// TCP_INFO: a TCP socket's acknowledged and unsent bytes; a unix socket's
// are unknown.
TEST_P(SendQueueTest, TcpStateIsKnownOnlyOnTcp) {
  if (!TransportAvailable(GetParam())) GTEST_SKIP() << "no such transport";
  auto pair = MakeStreamPair(GetParam());
  ASSERT_TRUE(pair.ok()) << pair.status();
  const int sender = pair->sender.get();
  KernelSendQueue queue;
  const TcpSendState before = queue.Tcp(sender);
  if (GetParam() == Transport::kUnix) {
    EXPECT_EQ(before.bytes_acked, std::nullopt);
    EXPECT_EQ(before.not_sent, std::nullopt);
    return;
  }
  if (!before.not_sent.has_value()) {
    GTEST_SKIP() << "this build or kernel has no tcpi_notsent_bytes";
  }
  ASSERT_TRUE(before.bytes_acked.has_value());
  EXPECT_EQ(before.not_sent, std::optional<uint64_t>(0));
  // The peer reads 1,000 bytes; the sender's count grows by exactly that
  // once they are acknowledged (bounded: 1,000 short polls).
  const std::string bytes(1000, 'x');
  ASSERT_EQ(::send(sender, bytes.data(), bytes.size(), 0), 1000);
  char buffer[1000];
  size_t read = 0;
  while (read < sizeof(buffer)) {
    const ssize_t n =
        ::recv(pair->receiver.get(), buffer + read, sizeof(buffer) - read, 0);
    ASSERT_GT(n, 0);
    read += static_cast<size_t>(n);
  }
  TcpSendState after = queue.Tcp(sender);
  for (int i = 0; i < 1000 && after.bytes_acked.has_value() &&
                  *after.bytes_acked < *before.bytes_acked + 1000;
       ++i) {
    ::poll(nullptr, 0, 10);
    after = queue.Tcp(sender);
  }
  ASSERT_TRUE(after.bytes_acked.has_value());
  EXPECT_EQ(*after.bytes_acked - *before.bytes_acked, 1000u);
  EXPECT_EQ(after.not_sent, std::optional<uint64_t>(0));
}

TEST(SendQueueTest, NotASocketIsUnknown) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  KernelSendQueue queue;
  EXPECT_EQ(queue.Queued(fds[0]), std::nullopt);
  EXPECT_EQ(queue.Tcp(fds[0]).bytes_acked, std::nullopt);
  ::close(fds[0]);
  ::close(fds[1]);
}

INSTANTIATE_TEST_SUITE_P(Transports, SendQueueTest,
                         ::testing::Values(Transport::kUnix, Transport::kTcp4,
                                           Transport::kTcp6),
                         [](const auto& info) {
                           return std::string(TransportName(info.param));
                         });

}  // namespace
}  // namespace sluice::internal
