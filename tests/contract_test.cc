// Copyright 2026 The sluice Authors.
//
// The contract of DESIGN.md §1, checked byte for byte on every backend and
// every transport. A backend this build or kernel cannot run is skipped with
// the reason.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "sluice/send_file.h"
#include "tests/testing/backend_configs.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/status_matchers.h"

namespace sluice {
namespace {

using ::sluice::testing::BackendConfig;
using ::sluice::testing::Drainer;
using ::sluice::testing::IsOk;
using ::sluice::testing::MakeStreamPair;
using ::sluice::testing::PatternFile;
using ::sluice::testing::PatternSlice;
using ::sluice::testing::StatusIs;
using ::sluice::testing::StreamPair;
using ::sluice::testing::Transport;
using ::testing::HasSubstr;

constexpr uint64_t kFileSize = 10 * 1024 * 1024;

struct Sent {
  TransferResult result;
  std::string received;
};

class ContractTest
    : public ::testing::TestWithParam<std::tuple<BackendConfig, Transport>> {
 protected:
  const EngineOptions& options() const {
    return std::get<0>(GetParam()).options;
  }
  EngineOptions options_with_max_active(size_t max_active) const {
    EngineOptions with = options();
    with.max_active = max_active;
    return with;
  }
  Transport transport() const { return std::get<1>(GetParam()); }

  void SetUp() override {
    SLUICE_SKIP_UNLESS_AVAILABLE(std::get<0>(GetParam()));
    if (!testing::TransportAvailable(transport())) {
      GTEST_SKIP() << testing::TransportName(transport())
                   << " sockets unavailable on this host";
    }
  }

  StreamPair Pair() {
    absl::StatusOr<StreamPair> pair = MakeStreamPair(transport());
    EXPECT_THAT(pair, IsOk());
    return pair.ok() ? *std::move(pair) : StreamPair();
  }

  // Sends with SendFile() while a thread drains the receiver, then closes
  // the sender so the drain ends, and returns both sides' view.
  Sent SendAndDrain(TransferSpec spec) {
    StreamPair pair = Pair();
    Drainer drainer(pair.receiver.get());
    spec.socket_fd = pair.sender.get();
    Sent sent;
    sent.result = SendFile(spec, options());
    pair.sender.reset();
    sent.received = drainer.Join();
    return sent;
  }

  // The path a regular file takes in this configuration.
  BackendKind RegularFilePath() const {
    return options().backend == BackendKind::kIoUring &&
                   options().uring_data_path == DataPath::kCopy
               ? BackendKind::kReadSend
               : options().backend;
  }
  // The data path a regular file takes in this configuration (the
  // configurations force io_uring's path, and splice always finds a pipe
  // for one transfer).
  DataPath RegularFileDataPath() const {
    switch (options().backend) {
      case BackendKind::kIoUring:
        return options().uring_data_path;
      case BackendKind::kReadSend:
        return DataPath::kCopy;
      default:
        return DataPath::kSendfile;
    }
  }
};

TEST_P(ContractTest, WholeFile) {
  PatternFile file(kFileSize);
  Sent sent = SendAndDrain({.file_fd = file.fd()});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, kFileSize);
  EXPECT_EQ(sent.result.next_offset, kFileSize);
  EXPECT_EQ(sent.result.backend, RegularFilePath());
  EXPECT_EQ(sent.result.data_path, RegularFileDataPath());
  EXPECT_TRUE(sent.received == file.Slice(0, kFileSize));
  // The file position is never used or moved.
  EXPECT_EQ(::lseek(file.fd(), 0, SEEK_CUR), 0);
}

TEST_P(ContractTest, OffsetToEnd) {
  PatternFile file(kFileSize);
  Sent sent = SendAndDrain({.file_fd = file.fd(), .offset = 5000});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, kFileSize - 5000);
  EXPECT_EQ(sent.result.next_offset, kFileSize);
  EXPECT_TRUE(sent.received == file.Slice(5000, kFileSize));
}

TEST_P(ContractTest, Count) {
  PatternFile file(kFileSize);
  Sent sent = SendAndDrain({.file_fd = file.fd(), .count = 5000007});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 5000007u);
  EXPECT_EQ(sent.result.next_offset, 5000007u);
  EXPECT_TRUE(sent.received == file.Slice(0, 5000007));
}

TEST_P(ContractTest, CountOne) {
  PatternFile file(kFileSize);
  Sent sent = SendAndDrain({.file_fd = file.fd(), .count = 1});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 1u);
  EXPECT_EQ(sent.received, file.Slice(0, 1));
}

TEST_P(ContractTest, OffsetAndCount) {
  PatternFile file(kFileSize);
  Sent sent =
      SendAndDrain({.file_fd = file.fd(), .offset = 2007, .count = 100007});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 100007u);
  EXPECT_EQ(sent.result.next_offset, 2007u + 100007u);
  EXPECT_TRUE(sent.received == file.Slice(2007, 100007));
}

TEST_P(ContractTest, EmptyFile) {
  PatternFile file(0);
  Sent sent = SendAndDrain({.file_fd = file.fd()});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 0u);
  EXPECT_EQ(sent.received, "");
}

TEST_P(ContractTest, OffsetPastEndWithoutCount) {
  PatternFile file(4096);
  Sent sent = SendAndDrain({.file_fd = file.fd(), .offset = 10000});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 0u);
  EXPECT_EQ(sent.result.next_offset, 10000u);
  EXPECT_EQ(sent.received, "");
}

TEST_P(ContractTest, CountPastEndIsOutOfRangeWithExactProgress) {
  PatternFile file(100003);
  Sent sent =
      SendAndDrain({.file_fd = file.fd(), .offset = 17, .count = 200000});
  EXPECT_THAT(sent.result.status,
              StatusIs(absl::StatusCode::kOutOfRange, HasSubstr("fd")));
  EXPECT_EQ(sent.result.bytes_sent, 100003u - 17u);
  EXPECT_EQ(sent.result.next_offset, 100003u);
  EXPECT_TRUE(sent.received == file.Slice(17, 200000));
}

TEST_P(ContractTest, HeaderAndTrailerFrameTheSlice) {
  PatternFile file(300001);
  const std::string header = "HTTP/1.1 200 OK\r\nContent-Length: 77777\r\n\r\n";
  const std::string trailer = "\r\n--boundary--\r\n";
  Sent sent = SendAndDrain({.file_fd = file.fd(),
                            .offset = 1234,
                            .count = 77777,
                            .header = header,
                            .trailer = trailer});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, 77777u);
  EXPECT_EQ(sent.result.header_bytes_sent, header.size());
  EXPECT_EQ(sent.result.trailer_bytes_sent, trailer.size());
  EXPECT_TRUE(sent.received == header + file.Slice(1234, 77777) + trailer);
}

TEST_P(ContractTest, HeaderAndTrailerWithEmptyFile) {
  PatternFile file(0);
  Sent sent =
      SendAndDrain({.file_fd = file.fd(), .header = "head", .trailer = "tail"});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.received, "headtail");
}

// A pipe source splices (sendfile(2) cannot read one), or copies where
// the engine copies everything.
TEST_P(ContractTest, PipeSourceSplicesOrCopies) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  testing::UniqueFd read_end(fds[0]);
  testing::UniqueFd write_end(fds[1]);
  const std::string body = PatternSlice(300000, 0, 300000);
  std::thread writer([&] {
    size_t at = 0;
    while (at < body.size()) {
      const ssize_t n = ::write(write_end.get(), body.data() + at,
                                std::min<size_t>(body.size() - at, 65536));
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    write_end.reset();
  });
  Sent sent =
      SendAndDrain({.file_fd = read_end.get(), .header = "H", .trailer = "T"});
  writer.join();
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.result.bytes_sent, body.size());
  const bool copies = options().backend == BackendKind::kReadSend ||
                      options().uring_data_path == DataPath::kCopy;
  EXPECT_EQ(sent.result.backend,
            copies ? BackendKind::kReadSend : options().backend);
  EXPECT_EQ(sent.result.data_path,
            copies ? DataPath::kCopy : DataPath::kSplice);
  EXPECT_EQ(sent.result.bytes_received, body.size());
  EXPECT_TRUE(sent.received == "H" + body + "T");
}

TEST_P(ContractTest, OffsetOnAPipeIsInvalid) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  testing::UniqueFd read_end(fds[0]), write_end(fds[1]);
  StreamPair pair = Pair();
  EXPECT_THAT(
      SendFile({.socket_fd = pair.sender.get(),
                .file_fd = read_end.get(),
                .offset = 5},
               options())
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no offsets")));
}

// A pipe whose writer is slow must not stall the engine's other transfers,
// and its flags come back as they were.
TEST_P(ContractTest, SilentPipeSourceDoesNotStallOtherTransfers) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  testing::UniqueFd read_end(fds[0]), write_end(fds[1]);
  ASSERT_EQ(::fcntl(read_end.get(), F_GETFL) & O_NONBLOCK, 0);
  PatternFile file(1 << 20);
  StreamPair piped = Pair();
  StreamPair plain = Pair();
  Drainer piped_drain(piped.receiver.get());
  Drainer plain_drain(plain.receiver.get());
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  std::optional<TransferResult> pipe_result, file_result;
  ASSERT_THAT(
      (*engine)->Submit(
          {.socket_fd = piped.sender.get(), .file_fd = read_end.get()},
          [&](TransferId, const TransferResult& r) { pipe_result = r; }),
      IsOk());
  ASSERT_THAT(
      (*engine)->Submit(
          {.socket_fd = plain.sender.get(), .file_fd = file.fd()},
          [&](TransferId, const TransferResult& r) { file_result = r; }),
      IsOk());
  for (int i = 0; i < 1000 && !file_result.has_value(); ++i) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(10)), IsOk());
  }
  ASSERT_TRUE(file_result.has_value()) << "the empty pipe stalled the engine";
  EXPECT_THAT(file_result->status, IsOk());
  EXPECT_FALSE(pipe_result.has_value());
  ASSERT_EQ(::write(write_end.get(), "late", 4), 4);
  write_end.reset();
  ASSERT_THAT((*engine)->Run(), IsOk());
  ASSERT_TRUE(pipe_result.has_value());
  EXPECT_THAT(pipe_result->status, IsOk());
  EXPECT_EQ(::fcntl(read_end.get(), F_GETFL) & O_NONBLOCK, 0);
  piped.sender.reset();
  plain.sender.reset();
  EXPECT_EQ(piped_drain.Join(), "late");
  EXPECT_TRUE(plain_drain.Join() == file.Slice(0, 1 << 20));
}

// One socket as the source of one transfer and the destination of another
// (a relay): both wait on it at once, for reading and for writing.
TEST_P(ContractTest, SocketIsOneTransfersSourceAndAnothersDestination) {
  if (transport() != Transport::kUnix)
    GTEST_SKIP() << "one transport is enough";
  PatternFile file(8 << 20);
  StreamPair middle = Pair();  // middle.sender: A writes to it, B reads it
  StreamPair out = Pair();     // B writes to out.sender
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  std::optional<TransferResult> a, b;
  ASSERT_THAT((*engine)->Submit(
                  {.socket_fd = middle.sender.get(), .file_fd = file.fd()},
                  [&](TransferId, const TransferResult& r) { a = r; }),
              IsOk());
  ASSERT_THAT(
      (*engine)->Submit(
          {.socket_fd = out.sender.get(), .file_fd = middle.sender.get()},
          [&](TransferId, const TransferResult& r) { b = r; }),
      IsOk());
  // A fills the socket (nobody reads middle.receiver yet), B finds nothing
  // to read: both park on middle.sender.
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(5)), IsOk());
  }
  ASSERT_FALSE(a.has_value());
  ASSERT_FALSE(b.has_value());
  // Feed B through the peer, then end its input.
  const std::string relayed = PatternSlice(100000, 0, 100000);
  Drainer out_drain(out.receiver.get());
  std::thread feeder([&] {
    size_t at = 0;
    while (at < relayed.size()) {
      const ssize_t n = ::send(middle.receiver.get(), relayed.data() + at,
                               relayed.size() - at, MSG_NOSIGNAL);
      if (n <= 0) break;
      at += static_cast<size_t>(n);
    }
    ::shutdown(middle.receiver.get(), SHUT_WR);
  });
  for (int i = 0; i < 2000 && !b.has_value(); ++i) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(5)), IsOk());
  }
  feeder.join();
  ASSERT_TRUE(b.has_value()) << "B's read watch was lost";
  EXPECT_THAT(b->status, IsOk());
  out.sender.reset();
  EXPECT_TRUE(out_drain.Join() == relayed);
  // Now drain A's bytes: its write watch must still be there.
  Drainer middle_drain(middle.receiver.get());
  ASSERT_THAT((*engine)->Run(), IsOk());
  ASSERT_TRUE(a.has_value());
  EXPECT_THAT(a->status, IsOk());
  ::shutdown(middle.sender.get(), SHUT_WR);
  EXPECT_TRUE(middle_drain.Join() == file.Slice(0, 8 << 20));
}

TEST_P(ContractTest, CountFromPipeThatEndsEarlyIsOutOfRange) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  testing::UniqueFd read_end(fds[0]);
  ASSERT_EQ(::write(fds[1], "abcdef", 6), 6);
  ::close(fds[1]);
  Sent sent = SendAndDrain({.file_fd = read_end.get(), .count = 10});
  EXPECT_THAT(sent.result.status, StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(sent.result.bytes_sent, 6u);
  EXPECT_EQ(sent.received, "abcdef");
}

TEST_P(ContractTest, ProcFileIsSentWhole) {
  // procfs files report size 0; /proc/version does not change while we run.
  testing::UniqueFd proc(::open("/proc/version", O_RDONLY | O_CLOEXEC));
  if (!proc.valid()) GTEST_SKIP() << "no /proc/version on this host";
  std::string expected(4096, '\0');
  const ssize_t n = ::pread(proc.get(), expected.data(), expected.size(), 0);
  ASSERT_GT(n, 0);
  expected.resize(static_cast<size_t>(n));
  Sent sent = SendAndDrain({.file_fd = proc.get()});
  EXPECT_THAT(sent.result.status, IsOk());
  EXPECT_EQ(sent.received, expected);
  EXPECT_EQ(sent.result.bytes_sent, expected.size());
}

TEST_P(ContractTest, ReceiverThatStopsReadingHitsIdleTimeoutWithExactCount) {
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  // Nobody reads: the socket buffers fill, then no progress is possible.
  TransferResult result = SendFile({.socket_fd = pair.sender.get(),
                                    .file_fd = file.fd(),
                                    .offset = 3,
                                    .header = "hdr",
                                    .idle_timeout = absl::Milliseconds(300)},
                                   options());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                      HasSubstr("no progress")));
  EXPECT_GT(result.bytes_sent, 0u);
  EXPECT_LT(result.bytes_sent, kFileSize - 3);
  EXPECT_EQ(result.next_offset, 3 + result.bytes_sent);
  // Everything the socket accepted arrives, and nothing else.
  Drainer drainer(pair.receiver.get());
  pair.sender.reset();
  const std::string received = drainer.Join();
  EXPECT_TRUE(received == "hdr" + file.Slice(3, result.bytes_sent));
}

TEST_P(ContractTest, DeadlineEndsTransferWithExactCount) {
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  TransferResult result =
      SendFile({.socket_fd = pair.sender.get(),
                .file_fd = file.fd(),
                .deadline = absl::Now() + absl::Milliseconds(200)},
               options());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kDeadlineExceeded,
                                      HasSubstr("deadline")));
  Drainer drainer(pair.receiver.get());
  pair.sender.reset();
  EXPECT_TRUE(drainer.Join() == file.Slice(0, result.bytes_sent));
}

// A reader that takes 1 KiB at a time, at most every 20 ms (under 50 KiB/s),
// against a floor of 64 KiB/s over 200 ms: the floor cuts it, and what the
// reader took plus what the socket buffers still hold is exactly the header
// and bytes_sent file bytes. (The deadline only bounds a failure.)
TEST_P(ContractTest, SlowReaderIsCutByTheMinimumRateWithExactCount) {
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  std::atomic<bool> ended{false};
  std::string received;
  std::thread reader([&, fd = pair.receiver.get()] {
    char sip[1024];
    for (int i = 0; i < 3000 && !ended; ++i) {
      const ssize_t n = ::recv(fd, sip, sizeof(sip), MSG_DONTWAIT);
      if (n > 0) received.append(sip, static_cast<size_t>(n));
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  TransferSpec spec{.socket_fd = pair.sender.get(),
                    .file_fd = file.fd(),
                    .offset = 5,
                    .header = "hdr",
                    .deadline = absl::Now() + absl::Seconds(60)};
  spec.min_rate =
      MinRate{.bytes_per_second = 64 * 1024, .window = absl::Milliseconds(200)};
  const TransferResult result = SendFile(spec, options());
  ended = true;
  reader.join();
  EXPECT_THAT(
      result.status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr(absl::StrCat("below minimum rate on socket fd ",
                                      pair.sender.get()))));
  EXPECT_THAT(result.status.message(), HasSubstr("65536 bytes/s required"));
  EXPECT_GT(result.bytes_sent, 0u);
  EXPECT_LT(result.bytes_sent, kFileSize - 5);
  EXPECT_EQ(result.next_offset, 5 + result.bytes_sent);
  Drainer drainer(pair.receiver.get());
  pair.sender.reset();
  received += drainer.Join();
  EXPECT_TRUE(received == "hdr" + file.Slice(5, result.bytes_sent))
      << "received " << received.size() << " bytes, bytes_sent "
      << result.bytes_sent;
}

TEST_P(ContractTest, PeerResetIsUnavailableAndRaisesNoSigpipe) {
  // The default SIGPIPE disposition kills the process: this test dies if
  // any SIGPIPE escapes.
  struct sigaction current {};
  ASSERT_EQ(::sigaction(SIGPIPE, nullptr, &current), 0);
  ASSERT_EQ(current.sa_handler, SIG_DFL);
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  std::thread closer([&] {
    char buffer[4096];
    // Read a little, then vanish with unread data (a reset on TCP).
    (void)!::read(pair.receiver.get(), buffer, sizeof(buffer));
    pair.receiver.reset();
  });
  TransferResult result = SendFile({.socket_fd = pair.sender.get(),
                                    .file_fd = file.fd(),
                                    .idle_timeout = absl::Seconds(20)},
                                   options());
  closer.join();
  EXPECT_THAT(result.status,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("fd")));
  EXPECT_LT(result.bytes_sent, kFileSize);
  EXPECT_EQ(result.next_offset, result.bytes_sent);
}

TEST_P(ContractTest, CountZeroIsInvalid) {
  PatternFile file(100);
  StreamPair pair = Pair();
  TransferResult result = SendFile(
      {.socket_fd = pair.sender.get(), .file_fd = file.fd(), .count = 0},
      options());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("count must be positive")));
  EXPECT_EQ(result.bytes_sent, 0u);
  EXPECT_EQ(testing::ReadAvailable(pair.receiver.get()), "");
}

TEST_P(ContractTest, DatagramSocketIsInvalid) {
  PatternFile file(100);
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds), 0);
  testing::UniqueFd a(fds[0]), b(fds[1]);
  TransferResult result =
      SendFile({.socket_fd = a.get(), .file_fd = file.fd()}, options());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kInvalidArgument,
                                      HasSubstr("SOCK_DGRAM")));
}

TEST_P(ContractTest, BadFdsAreInvalid) {
  PatternFile file(100);
  StreamPair pair = Pair();
  EXPECT_THAT(
      SendFile({.socket_fd = pair.sender.get(), .file_fd = 987654}, options())
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("file fd 987654")));
  EXPECT_THAT(
      SendFile({.socket_fd = 987654, .file_fd = file.fd()}, options()).status,
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("socket fd 987654")));
  EXPECT_THAT(
      SendFile({.socket_fd = file.fd(), .file_fd = file.fd()}, options())
          .status,
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a socket")));
}

TEST_P(ContractTest, WriteOnlySourceIsFailedPrecondition) {
  PatternFile file(100);
  testing::UniqueFd write_only(
      ::open(file.path().c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(write_only.valid());
  StreamPair pair = Pair();
  EXPECT_THAT(
      SendFile({.socket_fd = pair.sender.get(), .file_fd = write_only.get()},
               options())
          .status,
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("readable")));
}

// Found by the transfer_spec fuzzer: an O_PATH fd passes fstat() and its
// access mode reads as O_RDONLY, so Submit() accepted a source nothing can
// read, and the header went out before the first read failed.
TEST_P(ContractTest, PathOnlySourceIsFailedPrecondition) {
  PatternFile file(100);
  testing::UniqueFd path_only(::open(file.path().c_str(), O_PATH | O_CLOEXEC));
  ASSERT_TRUE(path_only.valid());
  StreamPair pair = Pair();
  TransferResult result = SendFile({.socket_fd = pair.sender.get(),
                                    .file_fd = path_only.get(),
                                    .header = "head"},
                                   options());
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kFailedPrecondition,
                                      HasSubstr("readable")));
  EXPECT_EQ(result.header_bytes_sent, 0u);
  EXPECT_EQ(testing::ReadAvailable(pair.receiver.get()), "");
}

TEST_P(ContractTest, SocketFlagsAreRestoredBeforeCallback) {
  PatternFile file(1 << 20);
  StreamPair pair = Pair();
  const int sender = pair.sender.get();
  ASSERT_EQ(::fcntl(sender, F_GETFL) & O_NONBLOCK, 0);
  Drainer drainer(pair.receiver.get());
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int flags_in_callback = -1;
  ASSERT_THAT((*engine)->Submit({.socket_fd = sender, .file_fd = file.fd()},
                                [&](TransferId, const TransferResult& r) {
                                  EXPECT_THAT(r.status, IsOk());
                                  flags_in_callback = ::fcntl(sender, F_GETFL);
                                }),
              IsOk());
  EXPECT_NE(::fcntl(sender, F_GETFL) & O_NONBLOCK, 0);
  ASSERT_THAT((*engine)->Run(), IsOk());
  ASSERT_GE(flags_in_callback, 0);
  EXPECT_EQ(flags_in_callback & O_NONBLOCK, 0);
  pair.sender.reset();
  EXPECT_TRUE(drainer.Join() == file.Slice(0, 1 << 20));
}

TEST_P(ContractTest, CancelEndsWithExactCountAndOneCallback) {
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  int calls = 0;
  TransferResult result;
  absl::StatusOr<TransferId> id = (*engine)->Submit(
      {.socket_fd = pair.sender.get(), .file_fd = file.fd(), .offset = 11},
      [&](TransferId, const TransferResult& r) {
        ++calls;
        result = r;
      });
  ASSERT_THAT(id, IsOk());
  // Let it fill the socket (nobody reads), then cancel.
  for (int i = 0; i < 20 && (*engine)->stats().file_bytes == 0; ++i) {
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(10)), IsOk());
  }
  EXPECT_TRUE((*engine)->Cancel(*id));
  EXPECT_EQ(calls, 0);  // callbacks run only from Poll
  ASSERT_THAT((*engine)->Run(), IsOk());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE((*engine)->Cancel(*id));
  EXPECT_THAT(result.status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_GT(result.bytes_sent, 0u);
  Drainer drainer(pair.receiver.get());
  pair.sender.reset();
  EXPECT_TRUE(drainer.Join() == file.Slice(11, result.bytes_sent));
}

TEST_P(ContractTest, DestroyingEngineCancelsLiveTransfers) {
  PatternFile file(kFileSize);
  std::vector<StreamPair> pairs;
  std::vector<int> calls(3, 0);
  std::vector<TransferResult> results(3);
  {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(options_with_max_active(2));
    ASSERT_THAT(engine, IsOk());
    for (int i = 0; i < 3; ++i) {
      pairs.push_back(Pair());
      ASSERT_THAT(
          (*engine)->Submit(
              {.socket_fd = pairs.back().sender.get(), .file_fd = file.fd()},
              [&, i](TransferId, const TransferResult& r) {
                ++calls[i];
                results[i] = r;
              }),
          IsOk());
    }
    ASSERT_THAT((*engine)->Poll(absl::Milliseconds(10)), IsOk());
    EXPECT_EQ((*engine)->live_transfers(), 3u);
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(calls[i], 1) << i;
    EXPECT_THAT(results[i].status, StatusIs(absl::StatusCode::kCancelled));
    Drainer drainer(pairs[i].receiver.get());
    pairs[i].sender.reset();
    EXPECT_TRUE(drainer.Join() == file.Slice(0, results[i].bytes_sent)) << i;
  }
  // The third waited for admission and never moved a byte.
  EXPECT_EQ(results[2].bytes_sent, 0u);
}

TEST_P(ContractTest, SecondTransferOnBusySocketIsRefused) {
  PatternFile file(kFileSize);
  StreamPair pair = Pair();
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options());
  ASSERT_THAT(engine, IsOk());
  ASSERT_THAT(
      (*engine)->Submit({.socket_fd = pair.sender.get(), .file_fd = file.fd()},
                        [](TransferId, const TransferResult&) {}),
      IsOk());
  EXPECT_THAT(
      (*engine)->Submit({.socket_fd = pair.sender.get(), .file_fd = file.fd()},
                        [](TransferId, const TransferResult&) {}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("already has a live transfer")));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, ContractTest,
    ::testing::Combine(::testing::ValuesIn(testing::AllBackendConfigs()),
                       ::testing::Values(Transport::kUnix, Transport::kTcp4,
                                         Transport::kTcp6)),
    testing::BackendAndTransportName);

}  // namespace
}  // namespace sluice
