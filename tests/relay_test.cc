// Copyright 2026 The sluice Authors.
//
// sluice-relay as its users run it: the binary in a subprocess in front of
// an origin (sluice-serve on a directory of pattern files, or a small
// server this test runs itself), driven by real curl, wrk where installed,
// and raw socket clients where half-closes and byte counts need exact
// control. The data cases run once per backend; one the machine lacks is
// skipped with the reason.

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "sluice/backend_kind.h"
#include "tests/testing/curl.h"
#include "tests/testing/fixtures.h"
#include "tests/testing/subprocess.h"

namespace sluice {
namespace {

using ::sluice::testing::BackgroundProcess;
using ::sluice::testing::Curl;
using ::sluice::testing::CurlBinary;
using ::sluice::testing::CurlResult;
using ::sluice::testing::PatternSlice;
using ::sluice::testing::ProcessResult;
using ::sluice::testing::RunProcess;
using ::sluice::testing::TakeFile;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;

constexpr uint64_t kOneSize = 1;
constexpr uint64_t kOddSize = 100 * 1024 + 7;
constexpr uint64_t kBigSize = (8 << 20) + 3;

std::string BinaryFromEnv(const char* name) {
  const char* path = std::getenv(name);
  return path != nullptr ? path : "";
}
std::string RelayBinary() { return BinaryFromEnv("SLUICE_RELAY"); }
std::string ServeBinary() { return BinaryFromEnv("SLUICE_SERVE"); }

// A tool started in the background that prints "<tool> listening on
// 127.0.0.1:PORT ..." first; stopped (SIGTERM) by its pid.
class Listening {
 public:
  Listening(const std::string& tool, std::vector<std::string> argv)
      : process_(argv) {
    const std::string line = process_.ReadLine(absl::Seconds(20));
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, tool + " listening on 127.0.0.1:")) {
      (void)absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &port_);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return process_.pid(); }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  ProcessResult Stop() { return process_.Stop(absl::Seconds(20)); }

 private:
  BackgroundProcess process_;
  int port_ = 0;
};

// The origin: sluice-serve on a temporary directory of pattern files, one
// for the whole test program.
class Origin {
 public:
  Origin() {
    char templ[] = "/tmp/sluice-relay-test-XXXXXX";
    root_ = ::mkdtemp(templ);
    for (uint64_t size : {kOneSize, kOddSize, kBigSize}) {
      std::ofstream out(root_ / absl::StrCat(size, ".bin"), std::ios::binary);
      out << PatternSlice(size, 0, size);
    }
    server_ = std::make_unique<Listening>(
        "sluice-serve",
        std::vector<std::string>{ServeBinary(), "--root=" + root_.string(),
                                 "--listen=127.0.0.1:0"});
  }
  ~Origin() {
    server_->Stop();
    std::filesystem::remove_all(root_);
  }
  int port() const { return server_->port(); }

 private:
  std::filesystem::path root_;
  std::unique_ptr<Listening> server_;
};

Origin* origin = nullptr;

class OriginEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!ServeBinary().empty()) origin = new Origin();
  }
  void TearDown() override {
    delete origin;
    origin = nullptr;
  }
};

const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new OriginEnvironment);

// sluice-relay on 127.0.0.1, port 0, in front of `upstream_port`.
std::unique_ptr<Listening> StartRelay(int upstream_port,
                                      std::vector<std::string> flags) {
  std::vector<std::string> argv = {
      RelayBinary(), "--listen=127.0.0.1:0",
      absl::StrCat("--upstream=127.0.0.1:", upstream_port)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return std::make_unique<Listening>("sluice-relay", argv);
}

// A blocking TCP client of 127.0.0.1:`port`; invalid if it cannot connect.
UniqueFd ConnectTo(int port) {
  absl::StatusOr<tools::Address> address =
      tools::ParseAddress(absl::StrCat("127.0.0.1:", port));
  if (!address.ok()) return UniqueFd();
  absl::StatusOr<UniqueFd> fd = tools::Connect(*address);
  return fd.ok() ? *std::move(fd) : UniqueFd();
}

bool SendAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct ReadResult {
  std::string data;
  // EOF or a reset ended it (not `limit`).
  bool closed = false;
};

// Reads `fd` until EOF, a reset or `limit`.
ReadResult ReadToEnd(int fd, absl::Duration limit) {
  ReadResult result;
  const absl::Time deadline = absl::Now() + limit;
  char chunk[65536];
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(ms, 1))) <= 0) {
      continue;
    }
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      result.closed = true;
      break;
    }
    result.data.append(chunk, static_cast<size_t>(n));
  }
  return result;
}

// An upstream that reads each connection until EOF, then answers with the
// count of bytes it read ("1048581\n") and closes: it answers at all only
// if the client's half-close came through the relay.
class CountingServer {
 public:
  CountingServer() {
    absl::StatusOr<tools::Address> address = tools::ParseAddress("127.0.0.1:0");
    absl::StatusOr<UniqueFd> listener = tools::Listen(*address);
    if (!listener.ok()) return;
    listener_ = *std::move(listener);
    port_ = reinterpret_cast<const sockaddr_in*>(&address->storage)->sin_port;
    port_ = ntohs(static_cast<uint16_t>(port_));
    thread_ = std::thread([this] { Serve(); });
  }
  ~CountingServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_.get(), POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd.valid()) continue;
      const ReadResult request = ReadToEnd(fd.get(), absl::Seconds(30));
      if (!request.closed) continue;
      SendAll(fd.get(), absl::StrCat(request.data.size(), "\n"));
    }
  }

  UniqueFd listener_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A port on 127.0.0.1 where nothing listens (bound, then released).
int UnusedPort() {
  absl::StatusOr<tools::Address> address = tools::ParseAddress("127.0.0.1:0");
  absl::StatusOr<UniqueFd> listener = tools::Listen(*address);
  if (!listener.ok()) return 0;
  return ntohs(
      reinterpret_cast<const sockaddr_in*>(&address->storage)->sin_port);
}

class RelayTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    if (RelayBinary().empty()) GTEST_SKIP() << "SLUICE_RELAY is not set";
    if (ServeBinary().empty()) GTEST_SKIP() << "SLUICE_SERVE is not set";
    if (CurlBinary().empty()) GTEST_SKIP() << "curl is not installed";
    ASSERT_NE(origin, nullptr);
    ASSERT_NE(origin->port(), 0) << "the origin did not start";
  }
  void TearDown() override {
    if (relay_ != nullptr) {
      EXPECT_EQ(relay_->Stop().exit_code, 0);
    }
  }
  void Start(std::vector<std::string> flags, int upstream_port = 0) {
    relay_ = StartRelay(upstream_port != 0 ? upstream_port : origin->port(),
                        std::move(flags));
    ASSERT_NE(relay_->port(), 0) << "sluice-relay did not start";
  }
  std::unique_ptr<Listening> relay_;
};

// ---------------------------------------------------------------------------
// Data cases, per backend and io_uring data path.

struct RelayConfig {
  const char* name;
  BackendKind backend;
  const char* uring_path;
};

std::vector<std::string> RelayFlags(const RelayConfig& config) {
  return {absl::StrCat("--backend=", BackendKindName(config.backend)),
          absl::StrCat("--uring-path=", config.uring_path)};
}

class RelayBackendTest : public RelayTestBase,
                         public ::testing::WithParamInterface<RelayConfig> {
 protected:
  void SetUp() override {
    RelayTestBase::SetUp();
    if (IsSkipped()) return;
    if (absl::Status why = ProbeBackend(GetParam().backend); !why.ok()) {
      GTEST_SKIP() << GetParam().name << " is not available here: " << why;
    }
    Start(RelayFlags(GetParam()));
  }
};

TEST_P(RelayBackendTest, DownloadsAreByteExact) {
  for (uint64_t size : {kOneSize, kOddSize, kBigSize}) {
    CurlResult r = Curl({relay_->Url(absl::StrCat("/", size, ".bin"))});
    ASSERT_EQ(r.exit_code, 0) << size;
    EXPECT_EQ(r.status, 200) << size;
    EXPECT_TRUE(r.body == PatternSlice(size, 0, size))
        << size << ": got " << r.body.size() << " bytes";
  }
}

TEST_P(RelayBackendTest, KeepAliveGoesThroughOneConnection) {
  const std::string stem = absl::StrCat("/tmp/sluice-relay-ka-", ::getpid());
  const ProcessResult run = RunProcess(
      {CurlBinary(), "-sS", "--max-time", "60", "-w", "%{num_connects}\n", "-o",
       stem + ".1", relay_->Url(absl::StrCat("/", kBigSize, ".bin")), "-o",
       stem + ".2", relay_->Url(absl::StrCat("/", kOddSize, ".bin"))},
      absl::Seconds(90));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // One connect for the first download, none for the second.
  EXPECT_EQ(run.out, "1\n0\n");
  EXPECT_TRUE(TakeFile(stem + ".1") == PatternSlice(kBigSize, 0, kBigSize));
  EXPECT_TRUE(TakeFile(stem + ".2") == PatternSlice(kOddSize, 0, kOddSize));
}

// The client's FIN reaches sluice-serve, which answers and then closes;
// that close comes back to the client as EOF after the whole response.
TEST_P(RelayBackendTest, HalfClosedClientGetsTheWholeResponse) {
  UniqueFd client = ConnectTo(relay_->port());
  ASSERT_TRUE(client.valid());
  ASSERT_TRUE(SendAll(
      client.get(),
      absl::StrCat("GET /", kBigSize, ".bin HTTP/1.1\r\nHost: test\r\n\r\n")));
  ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
  const ReadResult r = ReadToEnd(client.get(), absl::Seconds(60));
  EXPECT_TRUE(r.closed);
  const size_t body = r.data.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_TRUE(absl::StartsWith(r.data, "HTTP/1.1 200"));
  EXPECT_TRUE(r.data.substr(body + 4) == PatternSlice(kBigSize, 0, kBigSize))
      << "got " << r.data.size() - body - 4 << " body bytes";
}

// Upstream and client each half-close in turn: the count comes back only
// if the client's FIN went through, and the client then sees EOF.
TEST_P(RelayBackendTest, HalfCloseIsPassedThroughBothWays) {
  CountingServer counter;
  ASSERT_NE(counter.port(), 0);
  std::unique_ptr<Listening> relay =
      StartRelay(counter.port(), RelayFlags(GetParam()));
  ASSERT_NE(relay->port(), 0);
  for (uint64_t size : {kOneSize, kOddSize, uint64_t{(1 << 20) + 5}}) {
    UniqueFd client = ConnectTo(relay->port());
    ASSERT_TRUE(client.valid());
    ASSERT_TRUE(SendAll(client.get(), PatternSlice(size, 0, size)));
    ASSERT_EQ(::shutdown(client.get(), SHUT_WR), 0);
    const ReadResult r = ReadToEnd(client.get(), absl::Seconds(30));
    EXPECT_TRUE(r.closed) << size;
    EXPECT_EQ(r.data, absl::StrCat(size, "\n"));
  }
  EXPECT_EQ(relay->Stop().exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Backends, RelayBackendTest,
    ::testing::Values(
        RelayConfig{"auto", BackendKind::kAuto, "auto"},
        RelayConfig{"iouring", BackendKind::kIoUring, "auto"},
        RelayConfig{"iouring_splice", BackendKind::kIoUring, "splice"},
        RelayConfig{"iouring_copy", BackendKind::kIoUring, "copy"},
        RelayConfig{"sendfile", BackendKind::kSendfile, "auto"},
        RelayConfig{"readsend", BackendKind::kReadSend, "auto"}),
    [](const ::testing::TestParamInfo<RelayConfig>& info) {
      return std::string(info.param.name);
    });

// ---------------------------------------------------------------------------
// The rest, on the default backend.

class RelayTest : public RelayTestBase {};

TEST_F(RelayTest, RefusedUpstreamClosesTheClient) {
  const int port = UnusedPort();
  ASSERT_NE(port, 0);
  Start({"--stats"}, port);
  for (int i = 0; i < 3; ++i) {
    UniqueFd client = ConnectTo(relay_->port());
    ASSERT_TRUE(client.valid());
    const ReadResult r = ReadToEnd(client.get(), absl::Seconds(20));
    EXPECT_TRUE(r.closed);
    EXPECT_EQ(r.data, "");
  }
  const ProcessResult stopped = relay_->Stop();
  relay_.reset();
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_THAT(stopped.out, HasSubstr("\"upstream_connect_failures\": 3"));
}

// Clients on a unix socket, relayed to a TCP upstream; the socket file is
// removed at exit.
TEST_F(RelayTest, UnixSocketListener) {
  CountingServer counter;
  ASSERT_NE(counter.port(), 0);
  const std::string path =
      absl::StrCat("/tmp/sluice-relay-test-", ::getpid(), ".sock");
  BackgroundProcess relay(
      {RelayBinary(), "--listen=unix:" + path,
       absl::StrCat("--upstream=127.0.0.1:", counter.port())});
  ASSERT_TRUE(absl::StartsWith(relay.ReadLine(absl::Seconds(20)),
                               "sluice-relay listening on unix:" + path));
  absl::StatusOr<tools::Address> address = tools::ParseAddress("unix:" + path);
  ASSERT_TRUE(address.ok());
  absl::StatusOr<UniqueFd> client = tools::Connect(*address);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_TRUE(SendAll(client->get(), PatternSlice(kOddSize, 0, kOddSize)));
  ASSERT_EQ(::shutdown(client->get(), SHUT_WR), 0);
  const ReadResult r = ReadToEnd(client->get(), absl::Seconds(30));
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.data, absl::StrCat(kOddSize, "\n"));
  EXPECT_EQ(relay.Stop(absl::Seconds(20)).exit_code, 0);
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << path << " is still there";
}

TEST_F(RelayTest, StatsOnSigusr1AndAtExit) {
  Start({"--stats", "--threads=2"});
  CurlResult r = Curl({relay_->Url(absl::StrCat("/", kOddSize, ".bin"))});
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(::kill(relay_->pid(), SIGUSR1), 0);
  CurlResult again = Curl({relay_->Url(absl::StrCat("/", kOneSize, ".bin"))});
  EXPECT_EQ(again.status, 200);
  const ProcessResult stopped = relay_->Stop();
  relay_.reset();
  EXPECT_EQ(stopped.exit_code, 0);
  // Once for SIGUSR1, once at exit; two threads each time.
  size_t documents = 0;
  for (size_t at = 0;
       (at = stopped.out.find("\"threads\"", at)) != std::string::npos; ++at) {
    ++documents;
  }
  EXPECT_EQ(documents, 2u) << stopped.out;
  EXPECT_THAT(stopped.out, HasSubstr("\"connections_accepted\""));
  EXPECT_THAT(stopped.out, HasSubstr("\"transfers_completed\""));
  EXPECT_THAT(stopped.out, HasSubstr("\"relayed_to_eof\""));
}

TEST_F(RelayTest, WrkThroughTheRelay) {
  std::string wrk;
  for (const char* path : {"/usr/bin/wrk", "/usr/local/bin/wrk"}) {
    if (::access(path, X_OK) == 0) wrk = path;
  }
  if (wrk.empty()) GTEST_SKIP() << "wrk is not installed";
  Start({});
  const ProcessResult run =
      RunProcess({wrk, "-t1", "-c8", "-d2s", "--timeout", "5s",
                  relay_->Url(absl::StrCat("/", kOddSize, ".bin"))},
                 absl::Seconds(60));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // "  1234 requests in 2.00s, ..." and no "Socket errors" / "Non-2xx" line.
  EXPECT_THAT(run.out, HasSubstr(" requests in "));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr(" 0 requests in ")));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("Socket errors")));
  EXPECT_THAT(run.out, ::testing::Not(HasSubstr("Non-2xx")));
}

TEST_F(RelayTest, UsageErrorsExit2) {
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{{"--threads=0"},
                                             {"--threads=many"},
                                             {"--backend=warp"},
                                             {"--idle-timeout=soon"},
                                             {"--idle-timeout=0s"},
                                             {"--connect-timeout=-1s"},
                                             {"--listen=nowhere"},
                                             {"--upstream=127.0.0.1:99999"},
                                             {"--stats=maybe"},
                                             {"--no-such-flag"},
                                             {"stray-argument"}}) {
    std::vector<std::string> argv = {RelayBinary()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const ProcessResult run = RunProcess(argv, absl::Seconds(30));
    EXPECT_EQ(run.exit_code, 2) << flags[0] << ": " << run.err;
    EXPECT_THAT(run.err, HasSubstr("sluice-relay: ")) << flags[0];
  }
}

TEST_F(RelayTest, HelpDescribesEveryFlag) {
  const ProcessResult run =
      RunProcess({RelayBinary(), "--help"}, absl::Seconds(30));
  // Debian's abseil (20220623) ends --help with exit status 1.
  EXPECT_THAT(run.exit_code, ::testing::AnyOf(0, 1));
  const std::string help = run.out + run.err;
  for (const char* flag :
       {"--listen", "--upstream", "--threads", "--backend", "--uring_path",
        "--idle_timeout", "--connect_timeout", "--stats"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

}  // namespace
}  // namespace sluice
