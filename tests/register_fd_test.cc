// Copyright 2026 The sluice Authors.
//
// Engine::RegisterFd() (issue 13, item 6): a registered socket and file
// are checked once, so Submit() on them makes no system call of its own;
// the transfers stay byte-exact on every backend; a registered socket stays
// non-blocking until ForgetFd(); forgetting puts everything back as it was;
// and registration refuses what Submit() refuses.

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
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
using ::sluice::testing::IsOk;
using ::sluice::testing::PatternFile;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;

constexpr absl::Duration kLimit = absl::Seconds(60);

bool IsNonBlocking(int fd) { return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

class RegisterFdTest : public ::testing::TestWithParam<BackendConfig> {
 protected:
  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(GetParam());
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(GetParam().options);
    ASSERT_THAT(engine.status(), IsOk());
    engine_ = *std::move(engine);
  }

  // Sends [offset, offset + count) of `file` with a header over `socket`,
  // runs the engine until it ends, and returns the system calls Submit()
  // made for it.
  uint64_t SendOne(int socket, const PatternFile& file, uint64_t offset,
                   uint64_t count, TransferResult& result) {
    const uint64_t before = engine_->stats().submit_syscalls;
    EXPECT_THAT(
        engine_
            ->Submit({.socket_fd = socket,
                      .file_fd = file.fd(),
                      .offset = offset,
                      .count = count,
                      .header = "head:"},
                     [&](TransferId, const TransferResult& r) { result = r; })
            .status(),
        IsOk());
    const uint64_t submitted = engine_->stats().submit_syscalls - before;
    EXPECT_TRUE(testing::RunFor(*engine_, kLimit));
    return submitted;
  }

  std::unique_ptr<Engine> engine_;
};

// Unregistered, each Submit() checks the file (fstat, F_GETFL) and the
// socket (SO_TYPE, F_GETFL) and makes the blocking socket non-blocking;
// registered, it makes no call at all, and the bytes are the same.
TEST_P(RegisterFdTest, RegisteredFdsCostSubmitNothing) {
  PatternFile file(300'007);
  absl::StatusOr<StreamPair> pair = testing::MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair.status(), IsOk());
  const int socket = pair->sender.get();
  Drainer receiver(pair->receiver.get(), kLimit);
  std::string expected;

  TransferResult result;
  // Blocking: + F_SETFL now and F_SETFL back at the end.
  EXPECT_EQ(SendOne(socket, file, 3, 70'001, result), 4u + 1u);
  EXPECT_THAT(result.status, IsOk());
  expected += "head:" + file.Slice(3, 70'001);
  EXPECT_FALSE(IsNonBlocking(socket));

  ASSERT_THAT(engine_->RegisterFd(socket), IsOk());
  ASSERT_THAT(engine_->RegisterFd(file.fd()), IsOk());
  EXPECT_TRUE(IsNonBlocking(socket));
  for (const uint64_t offset : {uint64_t{0}, uint64_t{99'999}, uint64_t{7}}) {
    EXPECT_EQ(SendOne(socket, file, offset, 12'345, result), 0u);
    EXPECT_THAT(result.status, IsOk());
    EXPECT_EQ(result.bytes_sent, 12'345u);
    expected += "head:" + file.Slice(offset, 12'345);
    // Still non-blocking between transfers: registered.
    EXPECT_TRUE(IsNonBlocking(socket));
  }

  engine_->ForgetFd(socket);
  engine_->ForgetFd(file.fd());
  engine_->ForgetFd(file.fd());  // a no-op
  EXPECT_FALSE(IsNonBlocking(socket));
  EXPECT_EQ(SendOne(socket, file, 1, 5, result), 4u + 1u);
  expected += "head:" + file.Slice(1, 5);

  pair->sender.reset();
  EXPECT_EQ(testing::FirstDifference(receiver.Join(), expected), "");
}

// Without a count a registered regular file is still sent to its size at
// Submit(): one fstat (and its F_GETFL), not the size at registration.
TEST_P(RegisterFdTest, RegisteredFileWithoutACountIsSentToItsSizeNow) {
  PatternFile file(10'000);
  absl::StatusOr<StreamPair> pair = testing::MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(pair.status(), IsOk());
  ASSERT_THAT(engine_->RegisterFd(file.fd()), IsOk());
  ASSERT_THAT(engine_->RegisterFd(pair->sender.get()), IsOk());
  // The file grows after registration.
  {
    UniqueFd writer(::open(file.path().c_str(), O_WRONLY | O_APPEND));
    ASSERT_TRUE(writer.valid());
    const std::string more = testing::PatternSlice(20'000, 10'000, 10'000);
    ASSERT_EQ(::write(writer.get(), more.data(), more.size()), 10'000);
  }
  Drainer receiver(pair->receiver.get(), kLimit);
  TransferResult result;
  const uint64_t before = engine_->stats().submit_syscalls;
  ASSERT_THAT(
      engine_
          ->Submit({.socket_fd = pair->sender.get(), .file_fd = file.fd()},
                   [&](TransferId, const TransferResult& r) { result = r; })
          .status(),
      IsOk());
  EXPECT_EQ(engine_->stats().submit_syscalls - before, 2u);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_sent, 20'000u);
  engine_->ForgetFd(pair->sender.get());
  pair->sender.reset();
  EXPECT_EQ(testing::FirstDifference(receiver.Join(),
                                     testing::PatternSlice(20'000, 0, 20'000)),
            "");
}

// A registered socket as a relay's source and another's destination.
TEST_P(RegisterFdTest, RegisteredSocketsRelay) {
  absl::StatusOr<StreamPair> client = testing::MakeStreamPair(Transport::kUnix);
  absl::StatusOr<StreamPair> upstream =
      testing::MakeStreamPair(Transport::kUnix);
  ASSERT_THAT(client.status(), IsOk());
  ASSERT_THAT(upstream.status(), IsOk());
  const int to_client = client->receiver.get();
  const int from_upstream = upstream->receiver.get();
  ASSERT_THAT(engine_->RegisterFd(to_client), IsOk());
  ASSERT_THAT(engine_->RegisterFd(from_upstream), IsOk());
  const std::string data = testing::PatternSlice(100'003, 0, 100'003);
  ASSERT_EQ(::send(upstream->sender.get(), data.data(), data.size(), 0),
            static_cast<ssize_t>(data.size()));
  ::shutdown(upstream->sender.get(), SHUT_WR);
  TransferResult result;
  const uint64_t before = engine_->stats().submit_syscalls;
  ASSERT_THAT(engine_
                  ->Submit({.socket_fd = to_client, .file_fd = from_upstream},
                           [&](TransferId, const TransferResult& r) {
                             result = r;
                             ::shutdown(to_client, SHUT_WR);
                           })
                  .status(),
              IsOk());
  EXPECT_EQ(engine_->stats().submit_syscalls - before, 0u);
  Drainer receiver(client->sender.get(), kLimit);
  ASSERT_TRUE(testing::RunFor(*engine_, kLimit));
  EXPECT_THAT(result.status, IsOk());
  EXPECT_EQ(result.bytes_received, data.size());
  EXPECT_EQ(testing::FirstDifference(receiver.Join(), data), "");
  engine_->ForgetFd(to_client);
  engine_->ForgetFd(from_upstream);
  EXPECT_FALSE(IsNonBlocking(to_client));
  EXPECT_FALSE(IsNonBlocking(from_upstream));
}

// Registration refuses what Submit() refuses, naming the fd; a datagram
// socket registers as a source but Submit() refuses it as a destination.
TEST_P(RegisterFdTest, RefusesWhatSubmitRefuses) {
  EXPECT_THAT(engine_->RegisterFd(-1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  UniqueFd directory(::open("/", O_RDONLY | O_DIRECTORY));
  ASSERT_TRUE(directory.valid());
  EXPECT_THAT(engine_->RegisterFd(directory.get()),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("is a directory")));
  PatternFile file(100);
  UniqueFd write_only(::open(file.path().c_str(), O_WRONLY));
  ASSERT_TRUE(write_only.valid());
  EXPECT_THAT(engine_->RegisterFd(write_only.get()),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat("fd ", write_only.get()))));
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
  UniqueFd datagram(fds[0]), other(fds[1]);
  ASSERT_THAT(engine_->RegisterFd(datagram.get()), IsOk());
  EXPECT_THAT(
      engine_
          ->Submit({.socket_fd = datagram.get(), .file_fd = file.fd()},
                   [](TransferId, const TransferResult&) {})
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("SOCK_DGRAM")));
  engine_->ForgetFd(datagram.get());
}

INSTANTIATE_TEST_SUITE_P(Backends, RegisterFdTest,
                         ::testing::ValuesIn(testing::AllBackendConfigs()),
                         testing::ConfigName);

}  // namespace
}  // namespace sluice
