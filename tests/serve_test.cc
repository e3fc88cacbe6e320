// Copyright 2026 The sluice Authors.
//
// sluice-serve as its users run it: the binary in a subprocess, fetched
// from by real curl (and, where curl cannot misbehave enough, a raw socket
// client), every body compared byte for byte with the file slice. The data
// cases run once per available backend.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "nlohmann/json.hpp"
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
using ::sluice::testing::HeaderOf;
using ::sluice::testing::PatternSlice;
using ::sluice::testing::ProcessResult;
using ::sluice::testing::RunProcess;
using ::sluice::testing::TakeFile;
using ::sluice::testing::UniqueFd;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint64_t kSmallSize = 1001;
constexpr uint64_t kBigSize = (3 << 20) + 7;
constexpr uint64_t kLargeSize = 24 << 20;
constexpr absl::string_view kSecret = "TOP-SECRET-outside-the-root";

std::string ServeBinary() {
  const char* path = std::getenv("SLUICE_SERVE");
  return path != nullptr ? path : "";
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  ASSERT_TRUE(out.good()) << path;
}

// A served directory of pattern files beside a secret no response may show:
//   www/small.txt, www/big.bin, www/large.bin, www/empty.txt,
//   www/dir/link.bin -> ../big.bin (inside the root: served),
//   www/escape -> <abs>/secret.txt, www/escape-rel -> ../secret.txt.
class ServedTree {
 public:
  ServedTree() {
    char templ[] = "/tmp/sluice-serve-test-XXXXXX";
    base_ = ::mkdtemp(templ);
    root_ = base_ / "www";
    std::filesystem::create_directories(root_ / "dir");
    WriteFile(base_ / "secret.txt", std::string(kSecret));
    WriteFile(root_ / "small.txt", PatternSlice(kSmallSize, 0, kSmallSize));
    WriteFile(root_ / "big.bin", PatternSlice(kBigSize, 0, kBigSize));
    WriteFile(root_ / "large.bin", PatternSlice(kLargeSize, 0, kLargeSize));
    WriteFile(root_ / "empty.txt", "");
    std::filesystem::create_symlink("../big.bin", root_ / "dir" / "link.bin");
    std::filesystem::create_symlink(base_ / "secret.txt", root_ / "escape");
    std::filesystem::create_symlink("../secret.txt", root_ / "escape-rel");
  }
  ~ServedTree() { std::filesystem::remove_all(base_); }
  std::string root() const { return root_.string(); }

 private:
  std::filesystem::path base_;
  std::filesystem::path root_;
};

ServedTree* tree = nullptr;

class ServeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override { tree = new ServedTree(); }
  void TearDown() override {
    delete tree;
    tree = nullptr;
  }
};

const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new ServeEnvironment);

// One sluice-serve process on 127.0.0.1, port 0.
class Server {
 public:
  // `prefix`: a command that runs the server (e.g. prlimit and its flags).
  explicit Server(std::vector<std::string> flags,
                  std::vector<std::string> prefix = {}) {
    std::vector<std::string> argv = std::move(prefix);
    argv.insert(argv.end(), {ServeBinary(), "--root=" + tree->root(),
                             "--listen=127.0.0.1:0"});
    argv.insert(argv.end(), flags.begin(), flags.end());
    process_ = std::make_unique<BackgroundProcess>(argv);
    const std::string line = process_->ReadLine(absl::Seconds(20));
    // "sluice-serve listening on 127.0.0.1:PORT (...)"
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "sluice-serve listening on 127.0.0.1:")) {
      (void)absl::SimpleAtoi(rest.substr(0, rest.find(' ')), &port_);
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  ProcessResult Stop() { return process_->Stop(absl::Seconds(20)); }

 private:
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

// A raw HTTP client on one blocking socket, reading with a time bound.
class RawClient {
 public:
  explicit RawClient(int port, int receive_buffer = 0) {
    absl::StatusOr<tools::Address> address =
        tools::ParseAddress(absl::StrCat("127.0.0.1:", port));
    fd_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (receive_buffer > 0) {
      ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                   sizeof(receive_buffer));
    }
    connected_ = address.ok() &&
                 ::connect(fd_.get(),
                           reinterpret_cast<const sockaddr*>(&address->storage),
                           address->length) == 0;
  }
  bool connected() const { return connected_; }
  int fd() const { return fd_.get(); }

  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n =
          ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads more into the buffer; false on EOF, error or `limit`.
  bool Fill(absl::Duration limit) {
    pollfd p{fd_.get(), POLLIN, 0};
    const int64_t ms = std::max<int64_t>(0, absl::ToInt64Milliseconds(limit));
    if (::poll(&p, 1, static_cast<int>(ms)) <= 0) return false;
    char chunk[65536];
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  struct Response {
    int status = 0;
    std::string head;
    std::string body;
  };
  // The next response; its body is Content-Length bytes unless `no_body`
  // (HEAD, 304). nullopt if it did not arrive whole within `limit`.
  std::optional<Response> Next(bool no_body,
                               absl::Duration limit = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + limit;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline - absl::Now())) return std::nullopt;
    }
    Response r;
    r.head = buffer_.substr(0, end + 4);
    (void)absl::SimpleAtoi(r.head.substr(9, 3), &r.status);
    uint64_t length = 0;
    if (!no_body)
      (void)absl::SimpleAtoi(HeaderOf(r.head, "Content-Length"), &length);
    while (buffer_.size() < end + 4 + length) {
      if (!Fill(deadline - absl::Now())) return std::nullopt;
    }
    r.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return r;
  }

  // Whether the server closed the connection (EOF or reset) within `limit`;
  // what arrives before stays in the buffer.
  bool ClosedWithin(absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    while (!eof_ && absl::Now() < deadline) Fill(deadline - absl::Now());
    return eof_;
  }
  const std::string& buffered() const { return buffer_; }

  // Bytes read (the buffer's included) until EOF, a reset or `limit`.
  uint64_t ReadToEnd(absl::Duration limit) {
    const absl::Time deadline = absl::Now() + limit;
    uint64_t total = buffer_.size();
    buffer_.clear();
    while (absl::Now() < deadline && Fill(deadline - absl::Now())) {
      total += buffer_.size();
      buffer_.clear();
    }
    return total;
  }

 private:
  UniqueFd fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string Get(absl::string_view path, absl::string_view extra = "") {
  return absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: test\r\n", extra,
                      "\r\n");
}

// Starts sluice-serve for a test and stops it (expecting exit 0) after.
class ServeTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    if (ServeBinary().empty()) GTEST_SKIP() << "SLUICE_SERVE is not set";
    if (CurlBinary().empty()) GTEST_SKIP() << "curl is not installed";
  }
  void TearDown() override {
    if (server_ != nullptr) {
      EXPECT_EQ(server_->Stop().exit_code, 0);
    }
  }
  void Start(std::vector<std::string> flags = {},
             std::vector<std::string> prefix = {}) {
    server_ = std::make_unique<Server>(std::move(flags), std::move(prefix));
    ASSERT_NE(server_->port(), 0) << "sluice-serve did not start";
  }
  std::unique_ptr<Server> server_;
};

// ---------------------------------------------------------------------------
// Data cases, per backend.

// A backend, and for io_uring a data path, as sluice-serve's flags name
// them.
struct ServeConfig {
  std::string name;
  std::vector<std::string> flags;
};

class ServeBackendTest : public ServeTestBase,
                         public ::testing::WithParamInterface<ServeConfig> {
 protected:
  void SetUp() override {
    ServeTestBase::SetUp();
    if (IsSkipped()) return;
    std::vector<std::string> flags = GetParam().flags;
    flags.push_back("--stats");
    Start(flags);
  }
};

TEST_P(ServeBackendTest, WholeFilesAreByteExact) {
  struct Case {
    const char* path;
    uint64_t size;
    const char* type;
  };
  for (const Case& c :
       {Case{"/small.txt", kSmallSize, "text/plain"},
        Case{"/big.bin", kBigSize, "application/octet-stream"},
        Case{"/dir/link.bin", kBigSize, "application/octet-stream"}}) {
    CurlResult r = Curl({server_->Url(c.path)});
    ASSERT_EQ(r.exit_code, 0) << c.path;
    EXPECT_EQ(r.status, 200) << c.path;
    EXPECT_TRUE(r.body == PatternSlice(c.size, 0, c.size)) << c.path;
    EXPECT_EQ(HeaderOf(r.headers, "Content-Length"), absl::StrCat(c.size));
    EXPECT_THAT(HeaderOf(r.headers, "Content-Type"), HasSubstr(c.type));
    EXPECT_EQ(HeaderOf(r.headers, "Accept-Ranges"), "bytes");
    EXPECT_THAT(HeaderOf(r.headers, "ETag"), ::testing::StartsWith("\""));
    EXPECT_THAT(HeaderOf(r.headers, "Last-Modified"), HasSubstr(" GMT"));
  }
  CurlResult empty = Curl({server_->Url("/empty.txt")});
  EXPECT_EQ(empty.status, 200);
  EXPECT_EQ(empty.body, "");
  EXPECT_EQ(HeaderOf(empty.headers, "Content-Length"), "0");
}

TEST_P(ServeBackendTest, RangesOfEachFormAreByteExact) {
  struct Case {
    const char* range;
    uint64_t offset;
    uint64_t count;
  };
  for (const Case& c :
       {Case{"12345-67890", 12345, 67890 - 12345 + 1}, Case{"0-0", 0, 1},
        Case{"3000001-", 3000001, kBigSize - 3000001},
        Case{"-777", kBigSize - 777, 777}, Case{"-99999999", 0, kBigSize},
        Case{"1048575-99999999", 1048575, kBigSize - 1048575}}) {
    CurlResult r = Curl({"-r", c.range, server_->Url("/big.bin")});
    ASSERT_EQ(r.exit_code, 0) << c.range;
    EXPECT_EQ(r.status, 206) << c.range;
    EXPECT_TRUE(r.body == PatternSlice(kBigSize, c.offset, c.count))
        << c.range << ": got " << r.body.size() << " bytes";
    EXPECT_EQ(HeaderOf(r.headers, "Content-Range"),
              absl::StrCat("bytes ", c.offset, "-", c.offset + c.count - 1, "/",
                           kBigSize));
  }
}

TEST_P(ServeBackendTest, KeepAliveReusesOneConnection) {
  const std::string stem = absl::StrCat("/tmp/sluice-serve-ka-", ::getpid());
  const ProcessResult run = RunProcess(
      {CurlBinary(), "-sS", "--max-time", "60", "-w", "%{num_connects}\n", "-o",
       stem + ".1", server_->Url("/big.bin"), "-o", stem + ".2",
       server_->Url("/small.txt"), "-o", stem + ".3",
       server_->Url("/dir/link.bin")},
      absl::Seconds(90));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // One connect for the first download, none for the others.
  EXPECT_EQ(run.out, "1\n0\n0\n");
  EXPECT_TRUE(TakeFile(stem + ".1") == PatternSlice(kBigSize, 0, kBigSize));
  EXPECT_TRUE(TakeFile(stem + ".2") == PatternSlice(kSmallSize, 0, kSmallSize));
  EXPECT_TRUE(TakeFile(stem + ".3") == PatternSlice(kBigSize, 0, kBigSize));
}

// curl no longer pipelines; a raw client sends four requests in one write.
TEST_P(ServeBackendTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(absl::StrCat(
      Get("/small.txt", "Range: bytes=5-9\r\n"),
      "HEAD /big.bin HTTP/1.1\r\nHost: test\r\n\r\n", Get("/big.bin"),
      Get("/nothing-here"), Get("/small.txt", "Connection: close\r\n"))));
  std::optional<RawClient::Response> range = client.Next(false);
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, PatternSlice(kSmallSize, 5, 5));
  std::optional<RawClient::Response> head = client.Next(true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(HeaderOf(head->head, "Content-Length"), absl::StrCat(kBigSize));
  // Had HEAD sent a body, this response would start inside it.
  std::optional<RawClient::Response> big = client.Next(false);
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->status, 200);
  EXPECT_TRUE(big->body == PatternSlice(kBigSize, 0, kBigSize));
  std::optional<RawClient::Response> missing = client.Next(false);
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, 404);
  std::optional<RawClient::Response> last = client.Next(false);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->status, 200);
  EXPECT_EQ(HeaderOf(last->head, "Connection"), "close");
  EXPECT_TRUE(last->body == PatternSlice(kSmallSize, 0, kSmallSize));
  EXPECT_TRUE(client.ClosedWithin(absl::Seconds(30)));
  EXPECT_EQ(client.buffered(), "") << "bytes after the last response";
}

// An engine figure from /-/stats, `count` of each thread's "engine" object
// summed, once it reaches `at_least` (polled, bounded).
uint64_t WaitForEngineCount(
    const Server& server, uint64_t at_least,
    const std::function<uint64_t(const nlohmann::json&)>& count) {
  uint64_t seen = 0;
  for (int i = 0; i < 200 && seen < at_least; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(50));
    CurlResult r = Curl({server.Url("/-/stats")});
    nlohmann::json stats = nlohmann::json::parse(r.body, nullptr, false);
    if (stats.is_discarded()) continue;
    seen = 0;
    for (const nlohmann::json& thread : stats["threads"]) {
      seen += count(thread["engine"]);
    }
  }
  return seen;
}

// The engine's count of transfers that ended with `code`, once it reaches
// `at_least`.
uint64_t WaitForEndedWith(const Server& server, absl::string_view code,
                          uint64_t at_least) {
  return WaitForEngineCount(server, at_least, [&](const nlohmann::json& e) {
    return e["completed_by_code"].value(std::string(code), uint64_t{0});
  });
}

// Starts a download of large.bin, takes its first bytes and resets the
// connection; false if it never got that far.
bool ResetMidBody(int port) {
  // A small receive window, so the server cannot have sent everything when
  // the reset comes.
  RawClient quitter(port, 16 * 1024);
  if (!quitter.connected() || !quitter.Send(Get("/large.bin")) ||
      !quitter.Fill(absl::Seconds(30))) {
    return false;
  }
  const linger reset{1, 0};
  ::setsockopt(quitter.fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  return true;  // closed with RST
}

TEST_P(ServeBackendTest, ClientResetMidBodyLeavesOthersByteExact) {
  std::vector<CurlResult> downloads(3);
  std::vector<std::thread> threads;
  for (CurlResult& download : downloads) {
    threads.emplace_back([&] {
      download = Curl({"--limit-rate", "20M", server_->Url("/large.bin")});
    });
  }
  const bool reset = ResetMidBody(server_->port());
  for (std::thread& t : threads) t.join();
  ASSERT_TRUE(reset);
  for (const CurlResult& download : downloads) {
    EXPECT_EQ(download.exit_code, 0);
    EXPECT_EQ(download.status, 200);
    EXPECT_TRUE(download.body == PatternSlice(kLargeSize, 0, kLargeSize))
        << "got " << download.body.size() << " bytes";
  }
  EXPECT_GE(WaitForEndedWith(*server_, "UNAVAILABLE", 1), 1u);
  // Still serving.
  EXPECT_EQ(Curl({server_->Url("/small.txt")}).status, 200);
}

// Every available backend; io_uring with each data path forced, since on
// a small machine its automatic policy never splices.
std::vector<ServeConfig> Configs() {
  std::vector<ServeConfig> configs;
  for (BackendKind kind : AvailableBackends()) {
    const std::string name(BackendKindName(kind));
    configs.push_back({name, {"--backend=" + name}});
    if (kind == BackendKind::kIoUring) {
      for (const char* path : {"splice", "copy"}) {
        configs.push_back(
            {absl::StrCat(name, "_", path),
             {"--backend=" + name, absl::StrCat("--uring-path=", path)}});
      }
    }
  }
  return configs;
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeBackendTest,
                         ::testing::ValuesIn(Configs()),
                         [](const ::testing::TestParamInfo<ServeConfig>& info) {
                           return info.param.name;
                         });

// ---------------------------------------------------------------------------
// HTTP semantics and safety, on the default backend.

class ServeTest : public ServeTestBase {};

TEST_F(ServeTest, HeadSendsTheHeadOnly) {
  Start();
  CurlResult r = Curl({"-I", server_->Url("/big.bin")});
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(HeaderOf(r.headers, "Content-Length"), absl::StrCat(kBigSize));
  // With -I curl writes the head as its output: nothing may follow it.
  EXPECT_EQ(r.body, r.headers);
  // Range is defined for GET only: HEAD answers as a GET without it.
  CurlResult ranged = Curl({"-I", "-r", "0-9", server_->Url("/big.bin")});
  EXPECT_EQ(ranged.status, 200);
  EXPECT_EQ(HeaderOf(ranged.headers, "Content-Length"), absl::StrCat(kBigSize));
  EXPECT_EQ(HeaderOf(ranged.headers, "Content-Range"), "");
}

TEST_F(ServeTest, ConditionalRequestsGetNotModified) {
  Start();
  CurlResult first = Curl({server_->Url("/small.txt")});
  ASSERT_EQ(first.status, 200);
  const std::string etag = HeaderOf(first.headers, "ETag");
  const std::string modified = HeaderOf(first.headers, "Last-Modified");
  ASSERT_FALSE(etag.empty());

  CurlResult by_tag =
      Curl({"-H", "If-None-Match: \"x\", " + etag, server_->Url("/small.txt")});
  EXPECT_EQ(by_tag.status, 304);
  EXPECT_EQ(by_tag.body, "");
  EXPECT_EQ(HeaderOf(by_tag.headers, "ETag"), etag);
  EXPECT_EQ(Curl({"-H", "If-None-Match: W/" + etag, server_->Url("/small.txt")})
                .status,
            304);
  CurlResult other_tag =
      Curl({"-H", "If-None-Match: \"x\"", server_->Url("/small.txt")});
  EXPECT_EQ(other_tag.status, 200);
  EXPECT_EQ(other_tag.body, PatternSlice(kSmallSize, 0, kSmallSize));

  EXPECT_EQ(
      Curl({"-H", "If-Modified-Since: " + modified, server_->Url("/small.txt")})
          .status,
      304);
  EXPECT_EQ(Curl({"-H", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
                  server_->Url("/small.txt")})
                .status,
            200);
  // If-None-Match wins over If-Modified-Since.
  EXPECT_EQ(Curl({"-H", "If-None-Match: \"x\"", "-H",
                  "If-Modified-Since: " + modified, server_->Url("/small.txt")})
                .status,
            200);
  // If-Range with the current tag keeps the range; a stale one drops it.
  CurlResult kept = Curl(
      {"-r", "1-2", "-H", "If-Range: " + etag, server_->Url("/small.txt")});
  EXPECT_EQ(kept.status, 206);
  EXPECT_EQ(kept.body, PatternSlice(kSmallSize, 1, 2));
  CurlResult dropped = Curl(
      {"-r", "1-2", "-H", "If-Range: \"stale\"", server_->Url("/small.txt")});
  EXPECT_EQ(dropped.status, 200);
  EXPECT_EQ(dropped.body, PatternSlice(kSmallSize, 0, kSmallSize));
}

TEST_F(ServeTest, ErrorsGetTheirStatus) {
  Start();
  EXPECT_EQ(Curl({server_->Url("/no-such-file")}).status, 404);
  // A file named as a directory is not there (one URL per file).
  EXPECT_EQ(Curl({server_->Url("/small.txt/")}).status, 404);
  EXPECT_EQ(Curl({"--path-as-is", server_->Url("/small.txt/.")}).status, 404);
  EXPECT_EQ(Curl({"--path-as-is", server_->Url("/dir/.")}).status, 403);
  EXPECT_EQ(Curl({server_->Url("/dir/")}).status, 403);
  EXPECT_EQ(Curl({server_->Url("/dir")}).status, 403);
  EXPECT_EQ(Curl({server_->Url("/")}).status, 403);
  CurlResult unsatisfiable =
      Curl({"-r", absl::StrCat(kSmallSize, "-"), server_->Url("/small.txt")});
  EXPECT_EQ(unsatisfiable.status, 416);
  EXPECT_EQ(HeaderOf(unsatisfiable.headers, "Content-Range"),
            absl::StrCat("bytes */", kSmallSize));
  CurlResult method = Curl({"-X", "DELETE", server_->Url("/small.txt")});
  EXPECT_EQ(method.status, 405);
  EXPECT_EQ(HeaderOf(method.headers, "Allow"), "GET, HEAD");
  CurlResult long_header = Curl(
      {"-H", "X-Long: " + std::string(9000, 'a'), server_->Url("/small.txt")});
  EXPECT_EQ(long_header.status, 431);
  // Several ranges are not served as multipart: the whole file, 200.
  CurlResult multi = Curl({"-r", "0-1,5-6", server_->Url("/small.txt")});
  EXPECT_EQ(multi.status, 200);
  EXPECT_EQ(multi.body, PatternSlice(kSmallSize, 0, kSmallSize));
  // HTTP/1.0 gets its answer, then the connection closes.
  CurlResult old = Curl({"-0", server_->Url("/small.txt")});
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(HeaderOf(old.headers, "Connection"), "close");
}

TEST_F(ServeTest, TraversalAttemptsNeverLeaveTheRoot) {
  Start();
  struct Case {
    std::vector<std::string> curl_args;
    int status;
  };
  const std::string secret(kSecret);
  const std::vector<Case> cases = {
      {{"--path-as-is", server_->Url("/../secret.txt")}, 400},
      {{"--path-as-is", server_->Url("/dir/../../secret.txt")}, 400},
      {{"--path-as-is", server_->Url("/%2e%2e/secret.txt")}, 400},
      {{"--path-as-is", server_->Url("/%2E%2E%2Fsecret.txt")}, 400},
      {{"--path-as-is", server_->Url("/dir/..%2f..%2fsecret.txt")}, 400},
      {{"--path-as-is", server_->Url("/small.txt%00.png")}, 400},
      {{"--path-as-is", server_->Url("/%252e%252e/secret.txt")}, 404},
      {{"--path-as-is", server_->Url("/..%5csecret.txt")}, 404},
      {{"--request-target", "http://evil.example/../secret.txt",
        server_->Url("/")},
       400},
      {{"--request-target", "http://evil.example/escape", server_->Url("/")},
       404},
      {{server_->Url("/escape")}, 404},
      {{server_->Url("/escape-rel")}, 404},
  };
  for (const Case& c : cases) {
    CurlResult r = Curl(c.curl_args);
    EXPECT_EQ(r.status, c.status) << c.curl_args[c.curl_args.size() - 2];
    EXPECT_THAT(r.body, Not(HasSubstr(secret)));
  }
  // absolute-form inside the root is served.
  CurlResult inside = Curl(
      {"--request-target", "http://evil.example/small.txt", server_->Url("/")});
  EXPECT_EQ(inside.status, 200);
  EXPECT_EQ(inside.body, PatternSlice(kSmallSize, 0, kSmallSize));
}

TEST_F(ServeTest, SlowHeaderSenderIsCutOffWhileOthersAreServed) {
  Start({"--header-timeout=2s"});
  RawClient slow(server_->port());
  ASSERT_TRUE(slow.connected());
  const std::string request = Get("/small.txt");  // 40 bytes: 40 s at 1 B/s
  bool closed = false;
  size_t sent = 0;
  for (; sent < request.size() && !closed; ++sent) {
    if (!slow.Send(request.substr(sent, 1))) break;
    // Others are served meanwhile.
    if (sent == 1) {
      CurlResult other = Curl({server_->Url("/small.txt")});
      EXPECT_EQ(other.status, 200);
      EXPECT_EQ(other.body, PatternSlice(kSmallSize, 0, kSmallSize));
    }
    // A second per byte; returns early when the server answers.
    closed = slow.ClosedWithin(absl::Seconds(1));
  }
  EXPECT_TRUE(closed || slow.ClosedWithin(absl::Seconds(10)));
  EXPECT_LT(sent, request.size()) << "the whole request went out";
}

TEST_F(ServeTest, SlowHeaderSenderGets408) {
  Start({"--header-timeout=1s"});
  RawClient slow(server_->port());
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send("GET /small.txt HTTP/1.1\r\nHost"));
  std::optional<RawClient::Response> r = slow.Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_EQ(HeaderOf(r->head, "Connection"), "close");
  EXPECT_TRUE(slow.ClosedWithin(absl::Seconds(30)));
}

// A head framed with bare LFs is refused as soon as it arrives, not after
// the header timeout (which would answer 408).
TEST_F(ServeTest, BareLfHeadGets400AtOnce) {
  Start({"--header-timeout=60s"});
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /small.txt HTTP/1.1\nHost: x\n\n"));
  std::optional<RawClient::Response> r = client.Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServeTest, IdleConnectionsAndStalledReadersAreClosed) {
  Start({"--keepalive-timeout=1s", "--send-timeout=1s", "--stats"});
  RawClient idle(server_->port());
  ASSERT_TRUE(idle.connected());
  EXPECT_TRUE(idle.ClosedWithin(absl::Seconds(30)));

  // Asks for 24 MiB and reads nothing: the transfer makes no progress once
  // the socket buffers are full, and the engine's idle timeout ends it.
  RawClient stalled(server_->port(), 16 * 1024);
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.Send(Get("/large.bin")));
  EXPECT_GE(WaitForEndedWith(*server_, "DEADLINE_EXCEEDED", 1), 1u);
  EXPECT_LT(stalled.ReadToEnd(absl::Seconds(60)), kLargeSize);
}

// A client that reads a little at a time, far below --min-rate, is cut off
// before the body is through; curl, reading at full speed, gets the same
// file whole.
TEST_F(ServeTest, MinRateClosesSlowReadersAndServesFastOnes) {
  Start({"--min-rate=1MiB", "--min-rate-window=500ms", "--send-timeout=60s",
         "--stats"});
  RawClient slow(server_->port(), 16 * 1024);
  ASSERT_TRUE(slow.connected());
  ASSERT_TRUE(slow.Send(Get("/large.bin")));
  // 1 KiB per 50 ms (20 KiB/s) for 2 s: four windows.
  uint64_t slow_bytes = 0;
  char sip[1024];
  for (int step = 0; step < 40; ++step) {
    const ssize_t n = ::recv(slow.fd(), sip, sizeof(sip), MSG_DONTWAIT);
    if (n > 0) slow_bytes += static_cast<uint64_t>(n);
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(WaitForEngineCount(*server_, 1,
                               [](const nlohmann::json& e) {
                                 return e.value("min_rate_cuts", uint64_t{0});
                               }),
            1u);
  // What is left in the buffers, then the close: never the whole body.
  slow_bytes += slow.ReadToEnd(absl::Seconds(60));
  EXPECT_LT(slow_bytes, kLargeSize);

  CurlResult fast = Curl({server_->Url("/large.bin")});
  EXPECT_EQ(fast.exit_code, 0);
  EXPECT_EQ(fast.status, 200);
  EXPECT_TRUE(fast.body == PatternSlice(kLargeSize, 0, kLargeSize))
      << "got " << fast.body.size() << " bytes";
}

// --limit-rate: a range of large.bin arrives whole and exact, the engine
// waited for its rate and paced the TCP connection; a body within the
// --limit-rate-after allowance never waits.
TEST_F(ServeTest, LimitRateServesExactBodiesPaced) {
  Start({"--limit-rate=8MiB", "--limit-rate-after=64KiB", "--stats"});
  CurlResult small = Curl({server_->Url("/small.txt")});
  EXPECT_EQ(small.status, 200);
  EXPECT_EQ(small.body, PatternSlice(kSmallSize, 0, kSmallSize));
  // The stats as they are now (a response's callback runs before the
  // client has its last byte, so they already count it).
  nlohmann::json stats = nlohmann::json::parse(
      Curl({server_->Url("/-/stats")}).body, nullptr, false);
  ASSERT_FALSE(stats.is_discarded());
  uint64_t waits_for_small = 0;
  for (const nlohmann::json& thread : stats["threads"]) {
    waits_for_small += thread["engine"].value("rate_waits", uint64_t{0});
  }
  EXPECT_EQ(waits_for_small, 0u);
  constexpr uint64_t kFrom = 1234567;
  constexpr uint64_t kCount = (2 << 20) + 3;
  CurlResult ranged = Curl({"-r", absl::StrCat(kFrom, "-", kFrom + kCount - 1),
                            server_->Url("/large.bin")});
  EXPECT_EQ(ranged.exit_code, 0);
  EXPECT_EQ(ranged.status, 206);
  EXPECT_TRUE(ranged.body == PatternSlice(kLargeSize, kFrom, kCount))
      << "got " << ranged.body.size() << " bytes";
  EXPECT_GE(WaitForEngineCount(*server_, 1,
                               [](const nlohmann::json& e) {
                                 return e.value("paced_transfers", uint64_t{0});
                               }),
            1u);
  EXPECT_GE(WaitForEngineCount(*server_, 1,
                               [](const nlohmann::json& e) {
                                 return e.value("rate_waits", uint64_t{0});
                               }),
            1u);
}

// A request followed at once by the client's FIN is answered, and the
// connection closes then rather than after the keep-alive timeout.
TEST_F(ServeTest, HalfClosedClientIsAnsweredAndClosed) {
  Start({"--keepalive-timeout=60s"});
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(Get("/small.txt")));
  ::shutdown(client.fd(), SHUT_WR);
  std::optional<RawClient::Response> r = client.Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, PatternSlice(kSmallSize, 0, kSmallSize));
  EXPECT_TRUE(client.ClosedWithin(absl::Seconds(20)));
}

TEST_F(ServeTest, BadRequestsCloseTheConnection) {
  Start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send("GET /small.txt HTTP/1.1\r\n\r\n"));  // no Host
  std::optional<RawClient::Response> r = client.Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(client.ClosedWithin(absl::Seconds(30)));

  RawClient binary(server_->port());
  ASSERT_TRUE(binary.connected());
  ASSERT_TRUE(
      binary.Send(std::string("GET /\0 HTTP/1.1\r\nHost: test\r\n\r\n", 31)));
  r = binary.Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServeTest, AccessLogAndStatsPage) {
  Start({"--access-log", "--stats", "--threads=2"});
  EXPECT_EQ(Curl({server_->Url("/small.txt")}).status, 200);
  EXPECT_EQ(Curl({"-r", "0-9", server_->Url("/big.bin")}).status, 206);
  EXPECT_EQ(Curl({server_->Url("/missing")}).status, 404);
  CurlResult stats = Curl({server_->Url("/-/stats")});
  ASSERT_EQ(stats.status, 200);
  EXPECT_THAT(HeaderOf(stats.headers, "Content-Type"),
              HasSubstr("application/json"));
  nlohmann::json json = nlohmann::json::parse(stats.body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << stats.body;
  ASSERT_EQ(json["threads"].size(), 2u);
  for (const nlohmann::json& thread : json["threads"]) {
    EXPECT_TRUE(thread["engine"].contains("transfers_completed"));
    EXPECT_TRUE(thread.contains("backend"));
  }
  const ProcessResult stopped = server_->Stop();
  server_.reset();
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_THAT(stopped.out, HasSubstr(" GET /small.txt 200 "));
  EXPECT_THAT(stopped.out, HasSubstr(" GET /big.bin 206 "));
  EXPECT_THAT(stopped.out, HasSubstr(" GET /missing 404 "));
}

TEST_F(ServeTest, RunningOutOfFdsIsSurvived) {
  const std::string prlimit = "/usr/bin/prlimit";
  if (::access(prlimit.c_str(), X_OK) != 0) GTEST_SKIP() << "no prlimit";
  // Room for the server's own fds and a few dozen connections.
  Start({}, {prlimit, "--nofile=64:64", "--"});
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<RawClient>(server_->port()));
    ASSERT_TRUE(clients.back()->connected());
  }
  // The first connections were accepted before the fds ran out; they are
  // still served (a 503 where no fd is left to open the file).
  ASSERT_TRUE(clients.front()->Send(Get("/small.txt")));
  std::optional<RawClient::Response> r = clients.front()->Next(false);
  ASSERT_TRUE(r.has_value());
  EXPECT_THAT(r->status, ::testing::AnyOf(200, 503));
  if (r->status == 200) {
    EXPECT_EQ(r->body, PatternSlice(kSmallSize, 0, kSmallSize));
  }
  clients.clear();
  // With the fds back, the backlog drains and new clients are served.
  CurlResult after = Curl({server_->Url("/small.txt")});
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body, PatternSlice(kSmallSize, 0, kSmallSize));
}

// ---------------------------------------------------------------------------
// The open-file cache.

// A file of the served tree that a test replaces the way a deploy does:
// the new version written beside the root, then renamed over the old.
class ReplacedFile {
 public:
  ReplacedFile(absl::string_view name, const std::string& bytes)
      : path_(std::filesystem::path(tree->root()) / std::string(name)),
        incoming_(path_.parent_path().parent_path() /
                  absl::StrCat("incoming-", name)) {
    WriteFile(path_, bytes);
  }
  ~ReplacedFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
    std::filesystem::remove(incoming_, ignored);
  }
  void Replace(const std::string& bytes) {
    WriteFile(incoming_, bytes);
    std::filesystem::rename(incoming_, path_);
  }

 private:
  std::filesystem::path path_;
  std::filesystem::path incoming_;
};

// Versions of different sizes and bytes: a response stitched from both
// (one's length, the other's bytes, or a part of each) equals neither.
std::string OldVersion() { return std::string(96 * 1024, 'o') + "old\n"; }
std::string NewVersion() { return std::string(160 * 1024, 'N') + "new\n"; }

// The links in /proc/PID/fd that lead into the served tree (a file
// replaced since it was opened reads "<path> (deleted)").
std::vector<std::string> OpenFilesUnderRoot(pid_t pid) {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(
           absl::StrCat("/proc/", pid, "/fd"), error)) {
    std::error_code gone;
    const std::string target =
        std::filesystem::read_symlink(entry.path(), gone).string();
    if (!gone && absl::StartsWith(target, tree->root() + "/")) {
      files.push_back(target);
    }
  }
  return files;
}

// Within the validity interval a replaced file is still served as cached
// (so the cache is in use: without it the new version would come); a file
// that leaves the cache for others is opened afresh when asked again, and
// its fd, like every fd beyond the cache's two, is closed.
TEST_F(ServeTest, OpenFileCacheKeepsFilesOpenAndClosesThoseThatLeave) {
  ReplacedFile file("cached.bin", OldVersion());
  Start({"--open-file-cache=2", "--open-file-cache-valid=1h", "--stats"});
  CurlResult first = Curl({server_->Url("/cached.bin")});
  ASSERT_EQ(first.status, 200);
  ASSERT_TRUE(first.body == OldVersion());
  file.Replace(NewVersion());
  CurlResult cached = Curl({server_->Url("/cached.bin")});
  EXPECT_EQ(cached.status, 200);
  EXPECT_TRUE(cached.body == OldVersion()) << "got " << cached.body.size();
  EXPECT_EQ(HeaderOf(cached.headers, "ETag"), HeaderOf(first.headers, "ETag"));
  CurlResult stats = Curl({server_->Url("/-/stats")});
  nlohmann::json json = nlohmann::json::parse(stats.body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << stats.body;
  EXPECT_EQ(json["threads"][0].value("open_file_cache_hits", uint64_t{0}), 1u);
  EXPECT_EQ(json["threads"][0].value("open_file_cache_files", uint64_t{0}), 1u);

  // Two other files push cached.bin out: its old inode's fd closes.
  EXPECT_EQ(Curl({server_->Url("/small.txt")}).status, 200);
  EXPECT_EQ(Curl({server_->Url("/dir/link.bin")}).status, 200);
  // A transfer's end may reach the client before the server's loop has
  // reaped it and let go of the file; bounded.
  std::vector<std::string> open = OpenFilesUnderRoot(server_->pid());
  for (int i = 0; i < 100 && open.size() != 2; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    open = OpenFilesUnderRoot(server_->pid());
  }
  EXPECT_THAT(open, ::testing::UnorderedElementsAre(tree->root() + "/small.txt",
                                                    tree->root() + "/big.bin"));

  CurlResult reopened = Curl({server_->Url("/cached.bin")});
  EXPECT_EQ(reopened.status, 200);
  EXPECT_TRUE(reopened.body == NewVersion()) << "got " << reopened.body.size();
}

// With a short validity interval, a file replaced by rename is served fresh
// soon after, every response whole and of one version, and the old one is
// not served again once the new one has come.
TEST_F(ServeTest, OpenFileCacheServesAReplacedFileFreshAfterTheInterval) {
  ReplacedFile file("replaced.bin", OldVersion());
  Start({"--open-file-cache=2", "--open-file-cache-valid=200ms"});
  CurlResult before = Curl({server_->Url("/replaced.bin")});
  ASSERT_EQ(before.status, 200);
  ASSERT_TRUE(before.body == OldVersion());
  const std::string old_etag = HeaderOf(before.headers, "ETag");
  file.Replace(NewVersion());
  // 50 tries, 100 ms apart: the interval 25 times over.
  bool fresh = false;
  for (int i = 0; i < 50 && !fresh; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(100));
    CurlResult r = Curl({server_->Url("/replaced.bin")});
    ASSERT_EQ(r.status, 200);
    ASSERT_TRUE(r.body == OldVersion() || r.body == NewVersion())
        << "a mix of " << r.body.size() << " bytes";
    // The head describes the same version as the body.
    EXPECT_EQ(HeaderOf(r.headers, "Content-Length"),
              absl::StrCat(r.body.size()));
    fresh = r.body == NewVersion();
    EXPECT_EQ(HeaderOf(r.headers, "ETag") != old_etag, fresh);
  }
  ASSERT_TRUE(fresh) << "still the old version after 5 s";
  for (int i = 0; i < 5; ++i) {
    CurlResult r = Curl({server_->Url("/replaced.bin")});
    EXPECT_TRUE(r.body == NewVersion()) << "got " << r.body.size() << " bytes";
  }
}

// A deleted file is answered 404 once the interval is over.
TEST_F(ServeTest, OpenFileCacheStopsServingADeletedFile) {
  auto file = std::make_unique<ReplacedFile>("deleted.bin", OldVersion());
  Start({"--open-file-cache=2", "--open-file-cache-valid=200ms"});
  ASSERT_EQ(Curl({server_->Url("/deleted.bin")}).status, 200);
  file.reset();
  int status = 0;
  for (int i = 0; i < 50 && status != 404; ++i) {
    if (i > 0) absl::SleepFor(absl::Milliseconds(100));
    CurlResult r = Curl({server_->Url("/deleted.bin")});
    status = r.status;
    if (status == 200) {
      EXPECT_TRUE(r.body == OldVersion());
    }
  }
  EXPECT_EQ(status, 404);
}

TEST_F(ServeTest, UsageErrors) {
  EXPECT_EQ(RunProcess({ServeBinary()}, absl::Seconds(30)).exit_code, 2);
  EXPECT_EQ(RunProcess({ServeBinary(), "--root=/", "--backend=warp"},
                       absl::Seconds(30))
                .exit_code,
            2);
  for (const char* bad : {"--min-rate=fast", "--min-rate=-1",
                          "--min-rate-window=0s", "--min-rate-window=inf"}) {
    ProcessResult refused =
        RunProcess({ServeBinary(), "--root=/", bad}, absl::Seconds(30));
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_THAT(refused.err, HasSubstr("--min-rate")) << bad;
  }
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{
           {"--limit-rate=fast"},
           {"--limit-rate-after=lots", "--limit-rate=1MiB"},
           {"--limit-rate-after=1MiB"},
           {"--limit-rate=1KiB", "--min-rate=2KiB"}}) {
    std::vector<std::string> args = {ServeBinary(), "--root=/"};
    args.insert(args.end(), bad.begin(), bad.end());
    ProcessResult refused = RunProcess(args, absl::Seconds(30));
    EXPECT_EQ(refused.exit_code, 2) << bad[0];
    EXPECT_THAT(refused.err, HasSubstr("--limit-rate")) << bad[0];
  }
  for (const char* bad :
       {"--open-file-cache=-1", "--open-file-cache=1000000000",
        "--open-file-cache-valid=0s", "--open-file-cache-valid=inf"}) {
    ProcessResult refused =
        RunProcess({ServeBinary(), "--root=/", bad}, absl::Seconds(30));
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_THAT(refused.err, HasSubstr("--open-file-cache")) << bad;
  }
  // abseil refuses what is no number at all, and names the flag.
  ProcessResult not_a_number = RunProcess(
      {ServeBinary(), "--root=/", "--open-file-cache=many"}, absl::Seconds(30));
  EXPECT_NE(not_a_number.exit_code, 0);
  EXPECT_THAT(not_a_number.err, HasSubstr("open_file_cache"));
  ProcessResult missing = RunProcess(
      {ServeBinary(), "--root=/nonexistent-sluice-root"}, absl::Seconds(30));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("/nonexistent-sluice-root"));
}

}  // namespace
}  // namespace sluice
