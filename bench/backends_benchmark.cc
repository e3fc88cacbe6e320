// Copyright 2026 The sluice Authors.
//
// The backends side by side: one engine sends objects of one size to N
// loopback TCP connections whose receiver discards (recv MSG_TRUNC on its
// own thread). Each iteration sends one object, with a 200-byte HTTP-like
// header, on every connection. Reports bytes/s, transfers/s, the engine
// sender's CPU seconds per GiB (the process, io-wq workers included, less the
// sink's threads) and system calls per transfer, then a table of ratios
// against the sendfile backend.
//
//   bench/backends_benchmark --benchmark_min_time=1
//   bench/backends_benchmark --benchmark_filter='16KiB/c1024'

#include <sys/socket.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "benchmark/benchmark.h"
#include "net/address.h"
#include "net/discard_sink.h"
#include "net/socket_pairs.h"
#include "pattern/pattern_file.h"
#include "process/cpu_time.h"
#include "sluice/engine.h"

namespace sluice {
namespace {

struct Config {
  const char* name;
  EngineOptions options;
};

std::vector<Config> Configs() {
  auto uring = [](DataPath path) {
    EngineOptions options{.backend = BackendKind::kIoUring};
    options.uring_data_path = path;
    return options;
  };
  return {
      {"sendfile", {.backend = BackendKind::kSendfile}},
      {"iouring", uring(DataPath::kAuto)},
      {"iouring_sendfile", uring(DataPath::kSendfile)},
      {"iouring_splice", uring(DataPath::kSplice)},
      {"iouring_copy", uring(DataPath::kCopy)},
      {"readsend", {.backend = BackendKind::kReadSend}},
  };
}

constexpr size_t kHeaderBytes = 200;
// Receivers get threads of their own in proportion to the cores there are,
// so on a big machine the sink does not cap the sender.
const int kSinkThreads =
    std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 4);

void BM_Engine_Loopback(benchmark::State& state, const Config& config,
                        uint64_t object_size, int connections) {
  if (absl::Status probe = ProbeBackend(config.options.backend); !probe.ok()) {
    state.SkipWithError(probe.ToString().c_str());
    return;
  }
  absl::StatusOr<tools::UniqueFd> file =
      tools::MakeCachedPatternFile(object_size);
  absl::StatusOr<std::vector<tools::SocketPair>> pairs =
      tools::ConnectedPairs(*tools::ParseAddress("127.0.0.1:0"), connections);
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(config.options);
  if (!file.ok() || !pairs.ok() || !engine.ok()) {
    state.SkipWithError("setup failed (fd limit? run with ulimit -n 4096)");
    return;
  }
  tools::DiscardSink sink(tools::Receivers(*pairs), kSinkThreads);
  const std::string header(kHeaderBytes, 'h');
  uint64_t bytes = 0;
  uint64_t transfers = 0;
  bool failed = false;
  const EngineStats before = (*engine)->stats();
  const double cpu_before = tools::ProcessCpuSeconds();
  for (auto _ : state) {
    for (const tools::SocketPair& c : *pairs) {
      TransferSpec spec{.socket_fd = c.sender.get(), .file_fd = file->get()};
      spec.header = header;
      absl::StatusOr<TransferId> id = (*engine)->Submit(
          std::move(spec), [&](TransferId, const TransferResult& r) {
            failed |= !r.status.ok();
            bytes += r.header_bytes_sent + r.bytes_sent;
            ++transfers;
          });
      failed |= !id.ok();
    }
    failed |= !(*engine)->Run().ok();
  }
  const EngineStats after = (*engine)->stats();
  for (const tools::SocketPair& c : *pairs) {
    ::shutdown(c.sender.get(), SHUT_WR);
  }
  const uint64_t received = sink.Join();
  // The sender's CPU: the process (io-wq workers included) less the sink.
  const double cpu =
      tools::ProcessCpuSeconds() - cpu_before - sink.cpu_seconds();
  if (failed || received != bytes) {
    state.SkipWithError("a transfer failed or the sink lost bytes");
    return;
  }
  const double gib = static_cast<double>(bytes) / (1 << 30);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["xfers_per_s"] = benchmark::Counter(
      static_cast<double>(transfers), benchmark::Counter::kIsRate);
  state.counters["cpu_s_per_GiB"] = cpu / gib;
  state.counters["syscalls_per_xfer"] =
      static_cast<double>(after.syscalls - before.syscalls) /
      static_cast<double>(transfers);
}

// Prints, after the usual table, each backend's transfers/s as a ratio of
// the sendfile backend's in the same cell.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      // Names are BM_Engine_Loopback/<backend>/<size>/c<connections>/...
      std::vector<std::string> parts =
          absl::StrSplit(run.benchmark_name(), '/');
      if (parts.size() < 4) continue;
      const auto rate = run.counters.find("xfers_per_s");
      if (rate == run.counters.end()) continue;
      rates_[absl::StrCat(parts[2], " x ", parts[3])][parts[1]] =
          rate->second.value;
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\ntransfers/s relative to the sendfile backend\n");
    std::printf("%-16s", "cell");
    for (const Config& config : Configs()) std::printf(" %17s", config.name);
    std::printf("\n");
    for (const auto& [cell, by_backend] : rates_) {
      const auto base = by_backend.find("sendfile");
      std::printf("%-16s", cell.c_str());
      for (const Config& config : Configs()) {
        const auto it = by_backend.find(config.name);
        if (it == by_backend.end() || base == by_backend.end() ||
            base->second == 0) {
          std::printf(" %17s", "-");
        } else {
          std::printf(" %16.2fx", it->second / base->second);
        }
      }
      std::printf("\n");
    }
  }

 private:
  std::map<std::string, std::map<std::string, double>> rates_;
};

void RegisterAll() {
  for (const uint64_t size : {uint64_t{16} << 10, uint64_t{4} << 20}) {
    for (const int connections : {1, 64, 1024}) {
      for (const Config& config : Configs()) {
        const std::string name =
            absl::StrCat("BM_Engine_Loopback/", config.name, "/",
                         size >= (1 << 20) ? absl::StrCat(size >> 20, "MiB")
                                           : absl::StrCat(size >> 10, "KiB"),
                         "/c", connections);
        benchmark::RegisterBenchmark(name.c_str(), BM_Engine_Loopback, config,
                                     size, connections)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sluice::RegisterAll();
  sluice::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
