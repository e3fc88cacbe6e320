// Copyright 2026 The sluice Authors.
//
// sluice-send-demo: sends a file over loopback TCP to a sink that discards
// what it receives, once per backend, and prints bytes, rate and sender CPU
// per GiB side by side. A small stand-in for sluice-load, and the shortest
// complete example of driving an Engine:
//
//   sluice-send-demo --backends=sendfile,iouring,readsend --connections=16
//                    --file_size=64MiB --seconds=3

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "flags/backend_list.h"
#include "flags/byte_size.h"
#include "net/address.h"
#include "net/discard_sink.h"
#include "net/socket_pairs.h"
#include "pattern/pattern_file.h"
#include "process/cpu_time.h"
#include "sluice/engine.h"

ABSL_FLAG(std::string, backends, "sendfile,iouring,readsend",
          "comma-separated backends to compare: iouring, sendfile, readsend");
ABSL_FLAG(int, connections, 16, "concurrent loopback TCP connections");
ABSL_FLAG(std::string, file_size, "64MiB",
          "size of the file each transfer sends (B, KiB, MiB, GiB)");
ABSL_FLAG(double, seconds, 3, "how long each backend sends");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path: auto, sendfile, splice, copy");
ABSL_FLAG(int, iowq_workers, 0, "io_uring io-wq worker bound (0: CPUs)");
ABSL_FLAG(int, pipe_size, 1 << 20, "splice pipe size in bytes");
ABSL_FLAG(int, sink_threads, 1, "threads discarding on the receiving side");

namespace {

using sluice::tools::SocketPair;

struct Outcome {
  uint64_t bytes = 0;
  uint64_t transfers = 0;
  uint64_t received = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t syscalls = 0;
};

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::exit(1);
}

sluice::DataPath UringPathFlag() {
  absl::StatusOr<sluice::DataPath> path =
      sluice::ParseDataPath(absl::GetFlag(FLAGS_uring_path));
  if (!path.ok()) {
    std::fprintf(stderr, "--uring_path: %s\n",
                 std::string(path.status().message()).c_str());
    std::exit(2);
  }
  return *path;
}

Outcome RunBackend(sluice::BackendKind backend, int file_fd, int connections,
                   absl::Duration duration) {
  sluice::EngineOptions options{.backend = backend};
  options.uring_data_path = UringPathFlag();
  options.iowq_max_workers =
      static_cast<uint32_t>(absl::GetFlag(FLAGS_iowq_workers));
  options.pipe_size = static_cast<uint32_t>(absl::GetFlag(FLAGS_pipe_size));
  absl::StatusOr<std::unique_ptr<sluice::Engine>> engine =
      sluice::Engine::Create(options);
  if (!engine.ok()) Die(engine.status());
  absl::StatusOr<std::vector<SocketPair>> pairs = sluice::tools::ConnectedPairs(
      *sluice::tools::ParseAddress("127.0.0.1:0"), connections);
  if (!pairs.ok()) Die(pairs.status());
  sluice::tools::DiscardSink sink(sluice::tools::Receivers(*pairs),
                                  absl::GetFlag(FLAGS_sink_threads));

  Outcome outcome;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  const double cpu_start = sluice::tools::ProcessCpuSeconds();
  // Each connection sends the file again and again until time is up.
  std::function<void(const SocketPair&)> send_on = [&](const SocketPair& c) {
    absl::StatusOr<sluice::TransferId> id = (*engine)->Submit(
        {.socket_fd = c.sender.get(), .file_fd = file_fd},
        [&](sluice::TransferId, const sluice::TransferResult& result) {
          if (!result.status.ok()) Die(result.status);
          outcome.bytes += result.bytes_sent;
          ++outcome.transfers;
          if (absl::Now() < end) {
            send_on(c);
          } else {
            ::shutdown(c.sender.get(), SHUT_WR);
          }
        });
    if (!id.ok()) Die(id.status());
  };
  for (const SocketPair& c : *pairs) send_on(c);
  if (absl::Status ran = (*engine)->Run(); !ran.ok()) Die(ran);
  outcome.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  outcome.syscalls = (*engine)->stats().syscalls;
  outcome.received = sink.Join();
  // The sender's CPU: every thread of the process (io-wq workers included)
  // but the sink's.
  outcome.cpu_seconds =
      sluice::tools::ProcessCpuSeconds() - cpu_start - sink.cpu_seconds();
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Sends a file to a discarding loopback sink with each backend and "
      "compares them.");
  absl::ParseCommandLine(argc, argv);
  uint64_t file_size;
  if (!sluice::tools::ParseByteSize(absl::GetFlag(FLAGS_file_size),
                                    file_size) ||
      file_size == 0) {
    std::fprintf(stderr, "bad --file_size \"%s\" (e.g. 64MiB)\n",
                 absl::GetFlag(FLAGS_file_size).c_str());
    return 2;
  }
  absl::StatusOr<sluice::tools::BackendList> backends =
      sluice::tools::ParseBackendList(absl::GetFlag(FLAGS_backends));
  if (!backends.ok()) {
    std::fprintf(stderr, "--backends: %s\n",
                 std::string(backends.status().message()).c_str());
    return 2;
  }
  for (const auto& [kind, why] : backends->skipped) {
    std::fprintf(stderr, "skipping %s: %s\n",
                 std::string(sluice::BackendKindName(kind)).c_str(),
                 why.ToString().c_str());
  }
  (void)UringPathFlag();  // exits 2 on a bad name, before any work
  const int connections = absl::GetFlag(FLAGS_connections);
  if (connections <= 0) {
    std::fprintf(stderr, "--connections must be positive\n");
    return 2;
  }
  absl::StatusOr<sluice::tools::UniqueFd> file =
      sluice::tools::MakeCachedPatternFile(file_size);
  if (!file.ok()) Die(file.status());

  const absl::Duration duration = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::printf("%d connections over loopback TCP, %s file, %.1f s per backend\n",
              connections, absl::GetFlag(FLAGS_file_size).c_str(),
              absl::ToDoubleSeconds(duration));
  std::printf("%-10s %12s %10s %10s %12s %14s %10s\n", "backend", "GiB sent",
              "GiB/s", "transfers", "cpu s/GiB", "syscalls/xfer", "vs first");
  double first_rate = 0;
  bool ok = true;
  for (const sluice::BackendKind backend : backends->usable) {
    const Outcome o = RunBackend(backend, file->get(), connections, duration);
    const double gib = static_cast<double>(o.bytes) / (1 << 30);
    const double rate = gib / o.seconds;
    if (first_rate == 0) first_rate = rate;
    std::printf(
        "%-10s %12.2f %10.2f %10llu %12.3f %14.1f %9.2fx\n",
        std::string(sluice::BackendKindName(backend)).c_str(), gib, rate,
        static_cast<unsigned long long>(o.transfers), o.cpu_seconds / gib,
        static_cast<double>(o.syscalls) / static_cast<double>(o.transfers),
        rate / first_rate);
    if (o.received != o.bytes) {
      std::fprintf(stderr, "%s: sent %llu bytes but the sink got %llu\n",
                   std::string(sluice::BackendKindName(backend)).c_str(),
                   static_cast<unsigned long long>(o.bytes),
                   static_cast<unsigned long long>(o.received));
      ok = false;
    }
  }
  return ok ? 0 : 1;
}
