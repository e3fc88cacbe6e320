// Copyright 2026 The sluice Authors.
//
// sluice-send-demo: sends a file over loopback TCP to a sink that discards
// what it receives (recv with MSG_TRUNC), once per backend, and prints bytes,
// rate and sender CPU per GiB side by side. A small stand-in for sluice-load;
// also the shortest complete example of driving an Engine.
//
//   sluice-send-demo --backends=sendfile,readsend --connections=16
//                    --file_size=64MiB --seconds=3

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "sluice/engine.h"

ABSL_FLAG(std::string, backends, "sendfile,readsend",
          "comma-separated backends to compare: iouring, sendfile, readsend");
ABSL_FLAG(int, connections, 16, "concurrent loopback TCP connections");
ABSL_FLAG(std::string, file_size, "64MiB",
          "size of the file each transfer sends (B, KiB, MiB, GiB)");
ABSL_FLAG(double, seconds, 3, "how long each backend sends");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path: auto, sendfile, splice, copy");
ABSL_FLAG(int, iowq_workers, 0, "io_uring io-wq worker bound (0: CPUs)");
ABSL_FLAG(int, pipe_size, 1 << 20, "splice pipe size in bytes");

namespace {

// A loopback TCP connection: the engine writes to `sender`, the sink reads
// `receiver`.
struct Connection {
  int sender = -1;
  int receiver = -1;
};

bool ParseSize(absl::string_view text, uint64_t& bytes) {
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  for (const auto& [suffix, scale] : kUnits) {
    if (absl::ConsumeSuffix(&text, suffix)) {
      uint64_t n;
      if (!absl::SimpleAtoi(text, &n)) return false;
      bytes = n * scale;
      return true;
    }
  }
  return absl::SimpleAtoi(text, &bytes);
}

std::vector<Connection> Connect(int count) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, count) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    std::perror("listener");
    std::exit(1);
  }
  std::vector<Connection> connections(count);
  for (Connection& c : connections) {
    c.sender = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(c.sender, reinterpret_cast<sockaddr*>(&address), length) !=
        0) {
      std::perror("connect");
      std::exit(1);
    }
    c.receiver = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  }
  ::close(listener);
  return connections;
}

// Discards everything on `fds` until each reaches EOF.
uint64_t Sink(std::vector<int> fds) {
  std::vector<pollfd> open;
  for (int fd : fds) open.push_back(pollfd{fd, POLLIN, 0});
  uint64_t total = 0;
  char scratch[1];
  while (!open.empty()) {
    if (::poll(open.data(), open.size(), 1000) <= 0) continue;
    for (size_t i = 0; i < open.size();) {
      if (open[i].revents == 0) {
        ++i;
        continue;
      }
      // MSG_TRUNC on TCP discards without copying: the sender is measured.
      const ssize_t n = ::recv(open[i].fd, scratch, 1 << 30,
                               MSG_TRUNC | MSG_DONTWAIT);
      if (n > 0 || (n < 0 && errno == EAGAIN)) {
        if (n > 0) total += static_cast<uint64_t>(n);
        open[i].revents = 0;
        ++i;
        continue;
      }
      open[i] = open.back();
      open.pop_back();
    }
  }
  return total;
}

double ThreadCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
             1e6;
}

struct Outcome {
  uint64_t bytes = 0;
  uint64_t transfers = 0;
  uint64_t received = 0;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t syscalls = 0;
};

sluice::UringDataPath UringPathFlag() {
  const std::string path = absl::GetFlag(FLAGS_uring_path);
  if (path == "sendfile") return sluice::UringDataPath::kSendfile;
  if (path == "splice") return sluice::UringDataPath::kSplice;
  if (path == "copy") return sluice::UringDataPath::kCopy;
  if (path != "auto") {
    std::fprintf(stderr, "bad --uring_path \"%s\"\n", path.c_str());
    std::exit(2);
  }
  return sluice::UringDataPath::kAuto;
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
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().ToString().c_str());
    std::exit(1);
  }
  std::vector<Connection> conns = Connect(connections);
  std::vector<int> receivers;
  for (const Connection& c : conns) receivers.push_back(c.receiver);
  uint64_t received = 0;
  std::thread sink([&] { received = Sink(receivers); });

  Outcome outcome;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;
  const double cpu_start = ThreadCpuSeconds();
  // Each connection sends the file again and again until time is up.
  std::function<void(int)> send_on = [&](int i) {
    absl::StatusOr<sluice::TransferId> id = (*engine)->Submit(
        {.socket_fd = conns[i].sender, .file_fd = file_fd},
        [&, i](sluice::TransferId, const sluice::TransferResult& result) {
          if (!result.status.ok()) {
            std::fprintf(stderr, "transfer failed: %s\n",
                         result.status.ToString().c_str());
            std::exit(1);
          }
          outcome.bytes += result.bytes_sent;
          ++outcome.transfers;
          if (absl::Now() < end) {
            send_on(i);
          } else {
            ::shutdown(conns[i].sender, SHUT_WR);
          }
        });
    if (!id.ok()) {
      std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
      std::exit(1);
    }
  };
  for (int i = 0; i < connections; ++i) send_on(i);
  if (absl::Status ran = (*engine)->Run(); !ran.ok()) {
    std::fprintf(stderr, "%s\n", ran.ToString().c_str());
    std::exit(1);
  }
  outcome.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  outcome.cpu_seconds = ThreadCpuSeconds() - cpu_start;
  outcome.syscalls = (*engine)->stats().syscalls;
  sink.join();
  outcome.received = received;
  for (const Connection& c : conns) {
    ::close(c.sender);
    ::close(c.receiver);
  }
  return outcome;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Sends a file to a discarding loopback sink with each backend and "
      "compares them.");
  absl::ParseCommandLine(argc, argv);
  uint64_t file_size;
  if (!ParseSize(absl::GetFlag(FLAGS_file_size), file_size) || file_size == 0) {
    std::fprintf(stderr, "bad --file_size \"%s\" (e.g. 64MiB)\n",
                 absl::GetFlag(FLAGS_file_size).c_str());
    return 2;
  }
  std::vector<sluice::BackendKind> backends;
  for (absl::string_view name :
       absl::StrSplit(absl::GetFlag(FLAGS_backends), ',', absl::SkipEmpty())) {
    absl::StatusOr<sluice::BackendKind> kind = sluice::ParseBackendKind(name);
    if (!kind.ok()) {
      std::fprintf(stderr, "%s\n", kind.status().ToString().c_str());
      return 2;
    }
    if (absl::Status probe = sluice::ProbeBackend(*kind); !probe.ok()) {
      std::fprintf(stderr, "skipping %s: %s\n",
                   std::string(name).c_str(), probe.ToString().c_str());
      continue;
    }
    backends.push_back(*kind);
  }
  const int connections = absl::GetFlag(FLAGS_connections);
  if (connections <= 0) {
    std::fprintf(stderr, "--connections must be positive\n");
    return 2;
  }

  // A file in /tmp, written once and read from the page cache afterwards.
  char path[] = "/tmp/sluice-demo-XXXXXX";
  const int file_fd = ::mkstemp(path);
  ::unlink(path);
  std::string chunk(1 << 20, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 7);
  for (uint64_t at = 0; at < file_size; at += chunk.size()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), file_size - at));
    if (::pwrite(file_fd, chunk.data(), n, static_cast<off_t>(at)) !=
        static_cast<ssize_t>(n)) {
      std::perror("pwrite");
      return 1;
    }
  }

  const absl::Duration duration =
      absl::Seconds(absl::GetFlag(FLAGS_seconds));
  std::printf("%d connections over loopback TCP, %s file, %.1f s per backend\n",
              connections, absl::GetFlag(FLAGS_file_size).c_str(),
              absl::ToDoubleSeconds(duration));
  std::printf("%-10s %12s %10s %10s %12s %14s %10s\n", "backend", "GiB sent",
              "GiB/s", "transfers", "cpu s/GiB", "syscalls/xfer", "vs first");
  double first_rate = 0;
  bool ok = true;
  for (const sluice::BackendKind backend : backends) {
    const Outcome o = RunBackend(backend, file_fd, connections, duration);
    const double gib = static_cast<double>(o.bytes) / (1 << 30);
    const double rate = gib / o.seconds;
    if (first_rate == 0) first_rate = rate;
    std::printf("%-10s %12.2f %10.2f %10llu %12.3f %14.1f %9.2fx\n",
                std::string(sluice::BackendKindName(backend)).c_str(), gib,
                rate, static_cast<unsigned long long>(o.transfers),
                o.cpu_seconds / gib,
                static_cast<double>(o.syscalls) /
                    static_cast<double>(o.transfers),
                rate / first_rate);
    if (o.received != o.bytes) {
      std::fprintf(stderr, "%s: sent %llu bytes but the sink got %llu\n",
                   std::string(sluice::BackendKindName(backend)).c_str(),
                   static_cast<unsigned long long>(o.bytes),
                   static_cast<unsigned long long>(o.received));
      ok = false;
    }
  }
  ::close(file_fd);
  return ok ? 0 : 1;
}
