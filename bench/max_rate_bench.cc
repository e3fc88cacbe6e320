// Copyright 2026 The sluice Authors.
//
// max_rate_bench: how close a rate-limited transfer (TransferSpec::max_rate)
// comes to its target, measured where it matters, at the receiver. For each
// backend, transport and rate, `--streams` loopback connections each carry
// one transfer of `--seconds` worth of the rate; a reader thread per
// connection notes when its last byte arrived. The delivered rate is the
// bytes received over the time from Submit() to the last byte; one line
// per case: target, delivered (median over the streams, and the worst),
// their ratio, and whether the kernel paced the socket.
//
//   build/bench/max_rate_bench --rates=64KiB,1MiB,100MiB --seconds=3

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "flags/backend_list.h"
#include "flags/byte_size.h"
#include "flags/flag_names.h"
#include "net/address.h"
#include "net/socket_pairs.h"
#include "pattern/pattern_file.h"
#include "posix/unique_fd.h"
#include "sluice/engine.h"

ABSL_FLAG(std::string, backends, "",
          "backends to measure (default: every one available)");
ABSL_FLAG(std::string, transports, "tcp,unix", "tcp (127.0.0.1), unix");
ABSL_FLAG(std::string, rates, "64KiB,256KiB,1MiB,4MiB,16MiB,100MiB",
          "target rates, bytes per second");
ABSL_FLAG(double, seconds, 3, "how long each transfer should take");
ABSL_FLAG(int, streams, 4, "concurrent rate-limited transfers per case");

namespace sluice {
namespace {

struct Arrival {
  uint64_t bytes = 0;
  absl::Time last;
};

// Reads `fd` to EOF, noting when the last byte came.
void Receive(int fd, Arrival& arrival) {
  std::vector<char> buffer(256 * 1024);
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) return;
    arrival.bytes += static_cast<uint64_t>(n);
    arrival.last = absl::Now();
  }
}

struct CaseResult {
  double median = 0;
  double worst = 0;
  bool paced = false;
  bool ok = true;
};

absl::StatusOr<CaseResult> RunCase(BackendKind backend,
                                   const std::string& transport, uint64_t rate,
                                   double seconds, int streams) {
  const uint64_t size =
      static_cast<uint64_t>(static_cast<double>(rate) * seconds);
  absl::StatusOr<tools::UniqueFd> file = tools::MakeCachedPatternFile(size);
  if (!file.ok()) return file.status();
  const std::string unix_path =
      absl::StrFormat("/tmp/sluice-max-rate-%d.sock", ::getpid());
  absl::StatusOr<tools::Address> address = tools::ParseAddress(
      transport == "unix" ? "unix:" + unix_path : std::string("127.0.0.1:0"));
  if (!address.ok()) return address.status();
  ::unlink(unix_path.c_str());
  absl::StatusOr<std::vector<tools::SocketPair>> pairs =
      tools::ConnectedPairs(*address, streams);
  ::unlink(unix_path.c_str());
  if (!pairs.ok()) return pairs.status();
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create({.backend = backend});
  if (!engine.ok()) return engine.status();

  std::vector<Arrival> arrivals(streams);
  std::vector<std::thread> readers;
  for (int i = 0; i < streams; ++i) {
    readers.emplace_back(Receive, (*pairs)[i].receiver.get(),
                         std::ref(arrivals[i]));
  }
  CaseResult result;
  const absl::Time start = absl::Now();
  for (int i = 0; i < streams; ++i) {
    absl::StatusOr<TransferId> id = (*engine)->Submit(
        {.socket_fd = (*pairs)[i].sender.get(),
         .file_fd = file->get(),
         .count = size,
         .max_rate = MaxRate{.bytes_per_second = rate}},
        [&result, &pairs, i](TransferId, const TransferResult& r) {
          if (!r.status.ok()) result.ok = false;
          ::shutdown((*pairs)[i].sender.get(), SHUT_WR);
        });
    if (!id.ok()) return id.status();
  }
  absl::Status ran = (*engine)->Run();
  for (std::thread& reader : readers) reader.join();
  if (!ran.ok()) return ran;
  result.paced = (*engine)->stats().paced_transfers > 0;
  std::vector<double> delivered;
  for (const Arrival& arrival : arrivals) {
    if (arrival.bytes != size) result.ok = false;
    delivered.push_back(static_cast<double>(arrival.bytes) /
                        absl::ToDoubleSeconds(arrival.last - start));
  }
  std::sort(delivered.begin(), delivered.end());
  result.median = delivered[delivered.size() / 2];
  // The worst is the one furthest from the target either way.
  result.worst = std::abs(delivered.front() - static_cast<double>(rate)) >
                         std::abs(delivered.back() - static_cast<double>(rate))
                     ? delivered.front()
                     : delivered.back();
  return result;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures TransferSpec::max_rate at the receiver: max_rate_bench "
      "[--rates=...] [--seconds=3]");
  std::vector<char*> args = tools::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  absl::StatusOr<tools::BackendList> backends =
      tools::ParseBackendList(absl::GetFlag(FLAGS_backends));
  if (!backends.ok()) {
    std::fprintf(stderr, "--backends: %s\n",
                 std::string(backends.status().message()).c_str());
    return 2;
  }
  std::vector<uint64_t> rates;
  for (absl::string_view text :
       absl::StrSplit(absl::GetFlag(FLAGS_rates), ',')) {
    uint64_t rate = 0;
    if (!tools::ParseByteSize(text, rate) || rate == 0) {
      std::fprintf(stderr, "--rates: bad rate \"%s\"\n",
                   std::string(text).c_str());
      return 2;
    }
    rates.push_back(rate);
  }
  const double seconds = absl::GetFlag(FLAGS_seconds);
  const int streams = absl::GetFlag(FLAGS_streams);
  if (!(seconds > 0) || streams <= 0) {
    std::fprintf(stderr, "--seconds and --streams must be positive\n");
    return 2;
  }
  std::printf("%-9s %-5s %12s %14s %14s %7s %7s %s\n", "backend", "xport",
              "target B/s", "median B/s", "worst B/s", "median", "worst",
              "paced");
  bool all_ok = true;
  for (const BackendKind backend : backends->usable) {
    for (absl::string_view transport :
         absl::StrSplit(absl::GetFlag(FLAGS_transports), ',')) {
      for (const uint64_t rate : rates) {
        absl::StatusOr<CaseResult> r =
            RunCase(backend, std::string(transport), rate, seconds, streams);
        if (!r.ok()) {
          std::fprintf(stderr, "%s over %s at %llu B/s: %s\n",
                       std::string(BackendKindName(backend)).c_str(),
                       std::string(transport).c_str(),
                       static_cast<unsigned long long>(rate),
                       r.status().ToString().c_str());
          return 1;
        }
        all_ok = all_ok && r->ok;
        const double target = static_cast<double>(rate);
        std::printf("%-9s %-5s %12llu %14.0f %14.0f %6.3fx %6.3fx %s%s\n",
                    std::string(BackendKindName(backend)).c_str(),
                    std::string(transport).c_str(),
                    static_cast<unsigned long long>(rate), r->median, r->worst,
                    r->median / target, r->worst / target,
                    r->paced ? "kernel" : "bucket",
                    r->ok ? "" : "  (A TRANSFER FAILED)");
        std::fflush(stdout);
      }
    }
  }
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) { return sluice::Main(argc, argv); }
