// Copyright 2026 The sluice Authors.
//
// sluice-load as its users run it (the binary, in a subprocess): flag
// errors, short verified runs per backend, the JSON it writes, and a
// stand-alone sink in a second process. Plus its sink's byte checking,
// in-process, against deliberately wrong bytes.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "flags/byte_size.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "load/frame.h"
#include "load/sink.h"
#include "load/workload.h"
#include "net/address.h"
#include "nlohmann/json.hpp"
#include "pattern/pattern.h"
#include "posix/unique_fd.h"
#include "sluice/backend_kind.h"
#include "tests/testing/subprocess.h"

namespace sluice {
namespace {

using ::sluice::testing::ProcessResult;
using ::sluice::testing::RunProcess;
using ::testing::HasSubstr;

std::string LoadBinary() {
  const char* path = std::getenv("SLUICE_LOAD");
  return path != nullptr ? path : "";
}

class LoadToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (LoadBinary().empty()) GTEST_SKIP() << "SLUICE_LOAD is not set";
  }
  ProcessResult Load(std::vector<std::string> args,
                     absl::Duration limit = absl::Seconds(120)) {
    args.insert(args.begin(), LoadBinary());
    return RunProcess(args, limit);
  }
  std::string TempPath(const std::string& name) {
    return absl::StrCat("/tmp/sluice-load-test-", ::getpid(), "-", name);
  }
};

// --help lists sluice-load's own flags (abseil lists only those of a file
// named after the binary unless told otherwise) and states the latency
// precision.
TEST_F(LoadToolTest, HelpListsTheFlags) {
  ProcessResult r = Load({"--help"});
  EXPECT_THAT(r.out, HasSubstr("--object_size"));
  EXPECT_THAT(r.out, HasSubstr("--connect"));
  EXPECT_THAT(r.out, HasSubstr("within 0.4 %"));
}

TEST_F(LoadToolTest, UnknownBackendIsAUsageError) {
  ProcessResult r = Load({"--backends=iouring,warp"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown backend \"warp\""));
}

TEST_F(LoadToolTest, BadSizeUnitIsAUsageError) {
  ProcessResult r = Load({"--object-size=16KB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad object size \"16KB\""));
  r = Load({"--object-size=16KiB:80,1MiB:x"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad object size \"1MiB:x\""));
}

TEST_F(LoadToolTest, OtherBadFlagsAreUsageErrors) {
  EXPECT_EQ(Load({"--offset-mode=sideways"}).exit_code, 2);
  EXPECT_EQ(Load({"--connections=0"}).exit_code, 2);
  EXPECT_EQ(Load({"--transport=carrier-pigeon"}).exit_code, 2);
  EXPECT_EQ(Load({"--connect=nowhere"}).exit_code, 2);
  EXPECT_EQ(Load({"--uring-path=teleport"}).exit_code, 2);
}

// A short run per backend with every byte checked by the sink, and the
// JSON report's shape.
TEST_F(LoadToolTest, ColdShareOutsideZeroToOneIsAUsageError) {
  ProcessResult r = Load({"--cold=1.5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--cold"));
}

// Every transfer evicts its slice first: the bytes still arrive exactly,
// and the report counts the cold transfers apart.
TEST_F(LoadToolTest, ColdTransfersAreVerifiedAndReportedApart) {
  for (BackendKind kind : AvailableBackends()) {
    SCOPED_TRACE(BackendKindName(kind));
    const std::string json_path = TempPath("cold.json");
    ProcessResult r =
        Load({absl::StrCat("--backends=", BackendKindName(kind)),
              "--connections=4", "--transfers=40", "--verify", "--cold=1",
              "--object-size=3MiB", "--objects=2", "--offset-mode=random-range",
              absl::StrCat("--json=", json_path)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("cold xfers"));
    std::ifstream in(json_path);
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    ::unlink(json_path.c_str());
    ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
    const nlohmann::json& result = report["results"][0];
    EXPECT_EQ(result["cold_transfers"], 40);
    EXPECT_TRUE(result["cold_bytes"].is_number());
    EXPECT_TRUE(result["longest_call_ns"].is_number());
  }
}

TEST_F(LoadToolTest, VerifiedRunPerBackendWritesTheReport) {
  for (BackendKind kind : AvailableBackends()) {
    SCOPED_TRACE(BackendKindName(kind));
    const std::string json_path = TempPath("report.json");
    ProcessResult r = Load(
        {absl::StrCat("--backends=", BackendKindName(kind)), "--connections=8",
         "--transfers=300", "--verify", "--offset-mode=random-range",
         "--object-size=4KiB:3,300KiB:1", "--objects=6", "--header-bytes=100",
         "--rounds=2", absl::StrCat("--json=", json_path)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(json_path);
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    ::unlink(json_path.c_str());
    ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
    EXPECT_EQ(report["params"]["verify"], true);
    EXPECT_EQ(report["params"]["connections"], 8);
    EXPECT_TRUE(report["machine"]["kernel"].is_string());
    EXPECT_GE(report["machine"]["cores"].get<int>(), 1);
    ASSERT_EQ(report["results"].size(), 1u);
    const nlohmann::json& result = report["results"][0];
    EXPECT_EQ(result["backend"], std::string(BackendKindName(kind)));
    for (const char* key :
         {"bytes", "file_bytes", "transfers", "seconds", "gib_per_s",
          "transfers_per_s", "cpu_s_per_gib", "submits_per_transfer"}) {
      EXPECT_TRUE(result[key].is_number()) << key;
    }
    for (const char* key : {"p50", "p99", "p999"}) {
      EXPECT_TRUE(result["latency_us"][key].is_number()) << key;
    }
    EXPECT_TRUE(result["errors"].is_object());
    EXPECT_TRUE(result["errors"].empty());
    // No --rate, no --classes.
    EXPECT_TRUE(result["max_rate"].is_null());
    EXPECT_TRUE(result["delivered_rate"].is_null());
    EXPECT_TRUE(result["classes"].is_array());
    EXPECT_TRUE(result["classes"].empty());
    EXPECT_EQ(result["rate_waits"], 0);
    // Two rounds of exactly 300 transfers, every byte acknowledged.
    ASSERT_EQ(result["rounds"].size(), 2u);
    EXPECT_EQ(result["transfers"], 600);
    uint64_t bytes = 0;
    for (const nlohmann::json& round : result["rounds"]) {
      EXPECT_EQ(round["transfers"], 300);
      EXPECT_EQ(round["reconciled"], true);
      EXPECT_EQ(round["reconciliation"], "reconciled");
      EXPECT_EQ(round["sink_mismatched_bytes"], 0);
      EXPECT_EQ(round["sink_bytes"], round["bytes"]);
      bytes += round["bytes"].get<uint64_t>();
    }
    EXPECT_EQ(result["bytes"], bytes);
    EXPECT_GT(result["bytes"].get<uint64_t>(),
              result["file_bytes"].get<uint64_t>());
  }
}

TEST_F(LoadToolTest, StandAloneSinkAndConnectWorkTogether) {
  testing::BackgroundProcess sink(
      {LoadBinary(), "sink", "--listen=127.0.0.1:0", "--verify"});
  const std::string line = sink.ReadLine(absl::Seconds(20));
  const std::string prefix = "sluice-load sink listening on ";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << "sink said: " << line;
  std::string address = line.substr(prefix.size());
  address = address.substr(0, address.find(' '));

  ProcessResult r =
      Load({absl::StrCat("--connect=", address), "--verify", "--connections=4",
            "--transfers=100", "--object-size=64KiB", "--objects=3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr(address));

  ProcessResult stopped = sink.Stop(absl::Seconds(20));
  EXPECT_EQ(stopped.exit_code, 0);
  EXPECT_THAT(stopped.out, HasSubstr(" 0 mismatched bytes"));
}

// A plain TCP discard server such as anyone might point sluice-load at:
// accepts on 127.0.0.1 (any port), reads every connection to EOF, closes
// it, and never sends a byte back.
class PlainDiscardServer {
 public:
  PlainDiscardServer() {
    absl::StatusOr<tools::Address> any = tools::ParseAddress("127.0.0.1:0");
    if (!any.ok()) return;
    address_ = *any;
    absl::StatusOr<tools::UniqueFd> listener = tools::Listen(address_);
    if (!listener.ok()) return;
    listener_ = *std::move(listener);
    thread_ = std::thread([this] { Serve(); });
  }
  ~PlainDiscardServer() { Stop(); }

  bool ok() const { return listener_.valid(); }
  std::string address() const { return address_.ToString(); }
  // Stops serving (closing what is still open); the bytes it read.
  uint64_t Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    return received_;
  }

 private:
  void Serve() {
    std::vector<pollfd> fds{{listener_.get(), POLLIN, 0}};
    std::vector<char> buffer(64 * 1024);
    while (!stop_.load()) {
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (size_t i = fds.size(); i-- > 1;) {
        if (fds[i].revents == 0) continue;
        const ssize_t n = ::recv(fds[i].fd, buffer.data(), buffer.size(), 0);
        if (n > 0) {
          received_ += static_cast<uint64_t>(n);
          continue;
        }
        ::close(fds[i].fd);
        fds.erase(fds.begin() + static_cast<long>(i));
      }
      if (fds[0].revents != 0) {
        const int fd =
            ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) fds.push_back({fd, POLLIN, 0});
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) ::close(fds[i].fd);
  }

  tools::Address address_;
  tools::UniqueFd listener_;
  std::atomic<bool> stop_{false};
  uint64_t received_ = 0;
  std::thread thread_;
};

// Defect 5: against a sink that sends no acknowledgement, --sink-ack=false
// reports the run unreconciled, not failed, and exits 0; the bytes it says
// it sent are the bytes the server read.
TEST_F(LoadToolTest, PlainDiscardSinkIsUnreconciledNotFailed) {
  PlainDiscardServer server;
  ASSERT_TRUE(server.ok());
  const std::string json_path = TempPath("unreconciled.json");
  ProcessResult r =
      Load({absl::StrCat("--connect=", server.address()), "--sink-ack=false",
            "--connections=4", "--transfers=100", "--object-size=64KiB",
            "--objects=3", absl::StrCat("--json=", json_path)});
  const uint64_t received = server.Stop();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unreconciled"));
  std::ifstream in(json_path);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ::unlink(json_path.c_str());
  ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
  EXPECT_EQ(report["params"]["sink_ack"], false);
  uint64_t sent = 0;
  ASSERT_FALSE(report["results"].empty());
  for (const nlohmann::json& result : report["results"]) {
    EXPECT_EQ(result["reconciliation"], "unreconciled");
    EXPECT_TRUE(result["errors"].empty());
    for (const nlohmann::json& round : result["rounds"]) {
      EXPECT_EQ(round["reconciled"], false);
      EXPECT_EQ(round["reconciliation"], "unreconciled");
      EXPECT_TRUE(round["sink_bytes"].is_null());
      EXPECT_EQ(round["transfers"], 100);
    }
    sent += result["bytes"].get<uint64_t>();
  }
  EXPECT_EQ(sent, received);
}

// Without the flag such a sink still fails the run (exit 1), as a missing
// acknowledgement from sluice-load's own sink must, and says what to do.
TEST_F(LoadToolTest, PlainDiscardSinkWithoutTheFlagFails) {
  PlainDiscardServer server;
  ASSERT_TRUE(server.ok());
  ProcessResult r =
      Load({absl::StrCat("--connect=", server.address()), "--backends=readsend",
            "--connections=2", "--transfers=20", "--object-size=64KiB",
            "--objects=2"});
  server.Stop();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no acknowledgement on 2 of 2 connections"));
  EXPECT_THAT(r.err, HasSubstr("--sink-ack=false"));
}

TEST_F(LoadToolTest, SinkAckFalseIsForAForeignSinkWithoutVerify) {
  EXPECT_EQ(Load({"--sink-ack=false"}).exit_code, 2);
  EXPECT_EQ(
      Load({"--sink-ack=false", "--connect=127.0.0.1:9", "--verify"}).exit_code,
      2);
}

// The soak, short: every available backend over TCP and unix sockets,
// with cancels, deadlines and resets; no anomaly, every byte verified, the
// outcome table printed and fds back where they started.
TEST_F(LoadToolTest, ShortSoakOnEveryBackendHasNoAnomaly) {
  const std::string json_path = TempPath("soak.json");
  ProcessResult r = Load(
      {"--soak", "--transfers=3000", "--connections=16", "--transport=tcp,unix",
       "--objects=16", "--object-size=16KiB:80,1MiB:15,8MiB:5",
       "--cancel-fraction=0.1", "--deadline-fraction=0.1",
       "--reset-fraction=0.1", absl::StrCat("--json=", json_path)},
      absl::Seconds(300));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  for (const char* column :
       {"fault", "transfers", "OK", "CANCELLED", "DEADLINE_EXCEEDED",
        "UNAVAILABLE", "other", "none", "cancel", "deadline", "reset",
        "body bytes verified", "RSS MiB", "fds", "anomalies: none"}) {
    EXPECT_THAT(r.out, HasSubstr(column));
  }
  EXPECT_THAT(r.out, HasSubstr("soak: no anomaly"));
  std::ifstream in(json_path);
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  ::unlink(json_path.c_str());
  ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
  EXPECT_EQ(report["anomalies"], 0);
  ASSERT_EQ(report["soak"].size(), 2 * AvailableBackends().size());
  for (const nlohmann::json& run : report["soak"]) {
    SCOPED_TRACE(run["backend"].get<std::string>() + " over " +
                 run["transport"].get<std::string>());
    EXPECT_EQ(run["transfers"], 3000);
    EXPECT_EQ(run["anomalies"], 0);
    EXPECT_EQ(run["mismatched_bytes"], 0);
    EXPECT_GT(run["bytes_verified"].get<uint64_t>(), 0u);
    EXPECT_LE(run["bytes_received"].get<uint64_t>(),
              run["bytes_sent"].get<uint64_t>());
    // Transfers without a fault all ended OK; each fault was injected.
    EXPECT_EQ(run["outcomes"]["none"].size(), 1u);
    EXPECT_GT(run["outcomes"]["none"]["OK"].get<uint64_t>(), 1000u);
    EXPECT_GT(run["outcomes"]["cancel"]["CANCELLED"].get<uint64_t>(), 0u);
    EXPECT_GT(run["connections_reset"].get<uint64_t>(), 0u);
    const nlohmann::json& samples = run["samples"];
    ASSERT_GE(samples.size(), 4u);
    EXPECT_EQ(samples.front()["label"], "start");
    EXPECT_EQ(samples.back()["label"], "closed");
    EXPECT_LE(samples.back()["open_fds"].get<int>(),
              samples.front()["open_fds"].get<int>());
  }
}

TEST_F(LoadToolTest, SoakFlagsAreChecked) {
  EXPECT_EQ(Load({"--soak", "--cancel-fraction=0.6", "--reset-fraction=0.6"})
                .exit_code,
            2);
  EXPECT_EQ(Load({"--soak", "--deadline-fraction=-0.1"}).exit_code, 2);
  EXPECT_EQ(Load({"--soak", "--connect=127.0.0.1:9"}).exit_code, 2);
  EXPECT_EQ(Load({"--soak", "--transport=tcp,carrier-pigeon"}).exit_code, 2);
  EXPECT_EQ(Load({"--soak", "--rss-growth-limit=lots"}).exit_code, 2);
}

// --classes: every byte still reconciled, both classes moved bytes, and the
// report has them with their weights. No share is asserted: how close the
// bytes come to the weights depends on timing (backlog, the sink's pace).
TEST_F(LoadToolTest, ClassesAreReportedPerClass) {
  for (BackendKind kind : AvailableBackends()) {
    SCOPED_TRACE(BackendKindName(kind));
    const std::string json_path = TempPath("classes.json");
    ProcessResult r = Load(
        {absl::StrCat("--backends=", BackendKindName(kind)),
         "--classes=a:3,b:1", "--turn-bytes=256KiB", "--engine-rate=4GiB",
         "--connections=8", "--object-size=1MiB", "--objects=2",
         "--transfers=48", "--verify", absl::StrCat("--json=", json_path)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("--classes: bytes per class"));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("without --turn-bytes")));
    std::ifstream in(json_path);
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    ::unlink(json_path.c_str());
    ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
    EXPECT_EQ(report["params"]["turn_bytes"], 256 << 10);
    EXPECT_EQ(report["params"]["engine_rate"], uint64_t{4} << 30);
    ASSERT_EQ(report["params"]["classes"].size(), 2u);
    const nlohmann::json& result = report["results"][0];
    EXPECT_EQ(result["reconciliation"], "reconciled");
    EXPECT_TRUE(result["errors"].empty());
    const nlohmann::json& classes = result["classes"];
    ASSERT_EQ(classes.size(), 2u);
    EXPECT_EQ(classes[0]["name"], "a");
    EXPECT_EQ(classes[0]["weight"], 3);
    EXPECT_DOUBLE_EQ(classes[0]["weight_share"].get<double>(), 0.75);
    EXPECT_EQ(classes[1]["name"], "b");
    EXPECT_EQ(classes[1]["weight"], 1);
    uint64_t bytes = 0;
    uint64_t transfers = 0;
    double share = 0;
    for (const nlohmann::json& c : classes) {
      EXPECT_GT(c["bytes"].get<uint64_t>(), 0u) << c["name"];
      EXPECT_GT(c["mib_per_s"].get<double>(), 0) << c["name"];
      bytes += c["bytes"].get<uint64_t>();
      transfers += c["transfers"].get<uint64_t>();
      share += c["byte_share"].get<double>();
    }
    // Every byte and transfer belongs to a class.
    EXPECT_EQ(bytes, result["bytes"].get<uint64_t>());
    EXPECT_EQ(transfers, 48u);
    EXPECT_NEAR(share, 1.0, 1e-9);
    ASSERT_EQ(result["rounds"].size(), 1u);
    EXPECT_EQ(result["rounds"][0]["classes"].size(), 2u);
  }
}

TEST_F(LoadToolTest, ClassesWithoutATurnBoundGetANote) {
  ProcessResult r =
      Load({"--backends=readsend", "--classes=a:1,b:1", "--connections=2",
            "--object-size=64KiB", "--objects=1", "--transfers=4"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("without --turn-bytes"));
}

TEST_F(LoadToolTest, BadClassesAreUsageErrors) {
  ProcessResult r = Load({"--classes=a:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--classes: class \"a:0\": the weight must"));
  r = Load({"--classes=a:1,a:2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("class \"a\" is named twice"));
  r = Load({"--classes=a"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("needs a name and a weight"));
  r = Load({"--classes=a:1,b:1", "--connections=3", "--threads=2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("need at least 4 connections"));
}

TEST_F(LoadToolTest, BadRatesAreUsageErrors) {
  ProcessResult r = Load({"--rate=4MB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rate: bad size \"4MB\""));
  r = Load({"--rate-after=1MiB"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--rate-after"));
  EXPECT_EQ(Load({"--turn-bytes=lots"}).exit_code, 2);
  EXPECT_EQ(Load({"--engine-rate=lots"}).exit_code, 2);
  EXPECT_EQ(Load({"--soak", "--rate=1MiB"}).exit_code, 2);
  EXPECT_EQ(Load({"--soak", "--classes=a:1"}).exit_code, 2);
}

// --rate: every transfer ends OK with its bytes reconciled, and the report
// has the ceiling and what each transfer delivered. How close that comes to
// the rate is the max_rate benchmark's question, not this test's.
TEST_F(LoadToolTest, RateIsAppliedAndReported) {
  for (BackendKind kind : AvailableBackends()) {
    SCOPED_TRACE(BackendKindName(kind));
    const std::string json_path = TempPath("rate.json");
    ProcessResult r =
        Load({absl::StrCat("--backends=", BackendKindName(kind)),
              "--rate=16MiB", "--rate-after=64KiB", "--connections=4",
              "--object-size=1MiB", "--objects=2", "--transfers=8", "--verify",
              absl::StrCat("--json=", json_path)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("--rate 16.00 MiB/s after 0.06 MiB"));
    std::ifstream in(json_path);
    nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
    ::unlink(json_path.c_str());
    ASSERT_FALSE(report.is_discarded()) << "report is not JSON";
    EXPECT_EQ(report["params"]["rate"], 16 << 20);
    EXPECT_EQ(report["params"]["rate_after"], 64 << 10);
    const nlohmann::json& result = report["results"][0];
    EXPECT_EQ(result["reconciliation"], "reconciled");
    EXPECT_TRUE(result["errors"].empty());
    EXPECT_EQ(result["transfers"], 8);
    EXPECT_EQ(result["max_rate"]["bytes_per_second"], 16 << 20);
    EXPECT_EQ(result["max_rate"]["after_bytes"], 64 << 10);
    const nlohmann::json& delivered = result["delivered_rate"];
    EXPECT_EQ(delivered["transfers"], 8);
    for (const char* key :
         {"p10_mib_per_s", "p50_mib_per_s", "p90_mib_per_s", "p50_to_rate"}) {
      EXPECT_GT(delivered[key].get<double>(), 0) << key;
    }
    EXPECT_LE(delivered["p10_mib_per_s"].get<double>(),
              delivered["p90_mib_per_s"].get<double>());
    // 1 MiB at 16 MiB/s from a bucket that starts with about 20 ms' worth:
    // transfers run out of budget.
    EXPECT_GT(result["rate_waits"].get<uint64_t>(), 0u);
    EXPECT_TRUE(result["paced_transfers"].is_number());
    EXPECT_TRUE(result["classes"].empty());
  }
}

// The verifying sink itself: a stream with one wrong body byte is caught,
// and the Ack says so.
TEST(LoadSinkTest, VerifyingSinkCountsWrongBytes) {
  absl::StatusOr<tools::Address> any = tools::ParseAddress("127.0.0.1:0");
  ASSERT_TRUE(any.ok());
  absl::StatusOr<std::unique_ptr<load::LoadSink>> sink =
      load::LoadSink::Start(*any, 1, /*verify=*/true);
  ASSERT_TRUE(sink.ok()) << sink.status();
  absl::StatusOr<tools::UniqueFd> fd = tools::Connect((*sink)->address());
  ASSERT_TRUE(fd.ok()) << fd.status();

  const load::Frame frame{
      .object = 3, .offset = 1000, .count = 5000, .head_bytes = 90};
  std::string stream = load::MakeHead(frame);
  ASSERT_EQ(stream.size(), 90u);
  for (uint64_t i = 0; i < frame.count; ++i) {
    stream.push_back(tools::PatternByte(frame.offset + i, frame.object));
  }
  stream[90 + 1234] ^= 0x5a;  // one corrupted body byte
  ASSERT_EQ(::send(fd->get(), stream.data(), stream.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(stream.size()));
  ::shutdown(fd->get(), SHUT_WR);
  std::array<char, load::kAckBytes> wire;
  size_t got = 0;
  for (int i = 0; i < 100 && got < wire.size(); ++i) {
    const ssize_t n =
        ::recv(fd->get(), wire.data() + got, wire.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  fd->reset();
  ASSERT_EQ(got, wire.size());
  const load::Ack ack = load::DecodeAck(wire);
  EXPECT_EQ(ack.bytes, stream.size());
  EXPECT_EQ(ack.frames, 1u);
  EXPECT_EQ(ack.mismatched_bytes, 1u);
}

// The Ack's wire form is little-endian whatever the host's byte order.
TEST(LoadSinkTest, AckIsLittleEndianOnTheWire) {
  const load::Ack ack{.bytes = 0x0102030405060708,
                      .frames = 9,
                      .mismatched_bytes = uint64_t{1} << 63};
  const std::array<char, load::kAckBytes> wire = load::EncodeAck(ack);
  EXPECT_EQ(wire[0], 0x08);
  EXPECT_EQ(wire[7], 0x01);
  EXPECT_EQ(wire[8], 9);
  EXPECT_EQ(static_cast<unsigned char>(wire[23]), 0x80);
  const load::Ack back = load::DecodeAck(wire);
  EXPECT_EQ(back.bytes, ack.bytes);
  EXPECT_EQ(back.frames, ack.frames);
  EXPECT_EQ(back.mismatched_bytes, ack.mismatched_bytes);
}

TEST(LoadFrameTest, RoundTripsAndRejectsGarbage) {
  const load::Frame frame{
      .object = 7, .offset = 1ull << 40, .count = 12345, .head_bytes = 200};
  const std::string head = load::MakeHead(frame);
  ASSERT_EQ(head.size(), 200u);
  std::optional<load::Frame> parsed = load::ParseFrame(head);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->object, 7u);
  EXPECT_EQ(parsed->offset, 1ull << 40);
  EXPECT_EQ(parsed->count, 12345u);
  EXPECT_EQ(parsed->head_bytes, 200u);
  EXPECT_FALSE(load::ParseFrame(std::string(64, 'x')).has_value());
  EXPECT_FALSE(load::ParseFrame(head.substr(0, 40)).has_value());
}

TEST(LoadWorkloadTest, ParsesSizeMixes) {
  absl::StatusOr<load::SizeMix> mix =
      load::ParseSizeMix("16KiB:80,1MiB:15,64MiB:5");
  ASSERT_TRUE(mix.ok());
  EXPECT_EQ(mix->sizes, (std::vector<uint64_t>{16 << 10, 1 << 20, 64 << 20}));
  EXPECT_EQ(mix->weights, (std::vector<double>{80, 15, 5}));
  EXPECT_FALSE(load::ParseSizeMix("16KB").ok());
  EXPECT_FALSE(load::ParseSizeMix("0B").ok());
  EXPECT_FALSE(load::ParseSizeMix("1MiB:-3").ok());
}

// Found by the byte_size fuzzer: a weight that reads as infinite ("1e400",
// "inf") or NaN passed the "positive" check, and so did weights whose sum
// is infinite; std::discrete_distribution needs finite weights and sum.
TEST(LoadWorkloadTest, RefusesWeightsThatAreNotFinite) {
  for (const char* text :
       {"1MiB:inf", "1MiB:nan", "1MiB:1e400",
        "1MiB:333333333333333333333e333333333", "1B:1e308,1B:1e308"}) {
    EXPECT_FALSE(load::ParseSizeMix(text).ok()) << text;
  }
  EXPECT_TRUE(load::ParseSizeMix("1B:1e300,1B:1e300").ok());
}

TEST(ByteSizeTest, ReadsEachUnit) {
  uint64_t bytes = 0;
  ASSERT_TRUE(tools::ParseByteSize("512B", bytes));
  EXPECT_EQ(bytes, 512u);
  ASSERT_TRUE(tools::ParseByteSize("16KiB", bytes));
  EXPECT_EQ(bytes, 16u << 10);
  ASSERT_TRUE(tools::ParseByteSize("3GiB", bytes));
  EXPECT_EQ(bytes, 3ull << 30);
  ASSERT_TRUE(tools::ParseByteSize("1234", bytes));
  EXPECT_EQ(bytes, 1234u);
}

// Found by the byte_size fuzzer: a refused number without a unit reset the
// caller's value to 0, although a refusal promises to leave it alone.
TEST(ByteSizeTest, RefusalLeavesTheValueAlone) {
  uint64_t bytes = 7;
  EXPECT_FALSE(tools::ParseByteSize("", bytes));
  EXPECT_FALSE(tools::ParseByteSize("12x", bytes));
  EXPECT_FALSE(tools::ParseByteSize("KiB", bytes));
  EXPECT_EQ(bytes, 7u);
}

// A size past 2^64 - 1 bytes wrapped around: "17179869185GiB" read as 1 GiB.
// (The byte_size fuzzer's invariant; found by reading the code, the fuzzer
// had not reached an 11-digit GiB count in 60 s.)
TEST(ByteSizeTest, RefusesSizesPast64Bits) {
  uint64_t bytes = 7;
  EXPECT_FALSE(tools::ParseByteSize("17179869184GiB", bytes));
  EXPECT_FALSE(tools::ParseByteSize("17179869185GiB", bytes));
  EXPECT_FALSE(tools::ParseByteSize("18014398509481984KiB", bytes));
  EXPECT_FALSE(tools::ParseByteSize("18446744073709551616", bytes));
  EXPECT_EQ(bytes, 7u);
  ASSERT_TRUE(tools::ParseByteSize("17179869183GiB", bytes));
  EXPECT_EQ(bytes, 17179869183ull << 30);
}

}  // namespace
}  // namespace sluice
