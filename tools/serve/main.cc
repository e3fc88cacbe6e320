// Copyright 2026 The sluice Authors.
//
// sluice-serve: a small, strict HTTP/1.1 static file server whose response
// bodies go out through sluice engines, one engine and one epoll loop per
// thread (see worker.h).
//
//   sluice-serve --root=/srv/www --listen=127.0.0.1:8080 --threads=2
//
// Prints "sluice-serve listening on ADDRESS ..." as its first stdout line
// (the port, when --listen asked for port 0), then serves until SIGINT or
// SIGTERM. Flags may be spelled with '-' or '_'.

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "flags/byte_size.h"
#include "flags/flag_names.h"
#include "flags/help_flags.h"
#include "net/address.h"
#include "posix/unique_fd.h"
#include "process/fd_limit.h"
#include "serve/open_file.h"
#include "serve/worker.h"
#include "sluice/backend_kind.h"
#include "sluice/engine.h"
#include "stats/stats_board.h"

ABSL_FLAG(std::string, root, "", "directory to serve (required)");
ABSL_FLAG(std::string, listen, "127.0.0.1:8080",
          "TCP address to listen on: HOST:PORT or [IPv6]:PORT (port 0: any)");
ABSL_FLAG(int, threads, 1,
          "worker threads, each with its own listener (SO_REUSEPORT), epoll "
          "loop and engine");
ABSL_FLAG(std::string, backend, "auto",
          "engine backend: auto, iouring, sendfile or readsend");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path: auto, sendfile, splice or copy");
ABSL_FLAG(bool, access_log, false,
          "write one line per response to stdout: time, method, target, "
          "status, bytes sent (head included), backend (or why the body "
          "stopped), duration");
ABSL_FLAG(bool, stats, false,
          "answer GET /-/stats with each thread's engine stats as JSON");
ABSL_FLAG(absl::Duration, header_timeout, absl::Seconds(10),
          "most time from a request's first byte to the end of its head");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(60),
          "most time an open connection may wait for its next request");
ABSL_FLAG(absl::Duration, send_timeout, absl::Seconds(60),
          "most time a response may go without the client taking a byte");
ABSL_FLAG(std::string, min_rate, "0",
          "least bytes per second a client must take of a response body, "
          "averaged over each --min-rate-window, or the connection is closed "
          "(e.g. 4KiB; 0: no floor)");
ABSL_FLAG(absl::Duration, min_rate_window, absl::Seconds(10),
          "the window --min-rate is averaged over");
ABSL_FLAG(std::string, limit_rate, "0",
          "most bytes per second of each response body, as nginx's "
          "limit_rate (e.g. 4MiB; 0: no limit); TCP connections are also "
          "paced by the kernel");
ABSL_FLAG(std::string, limit_rate_after, "0",
          "with --limit-rate: bytes of each response body sent at full "
          "speed before the limit applies, as nginx's limit_rate_after");
ABSL_FLAG(int64_t, open_file_cache, 0,
          "files each thread keeps open, with their stat results, so a "
          "request for one costs no open or stat (0: off, each request opens "
          "its file)");
ABSL_FLAG(absl::Duration, open_file_cache_valid, absl::Seconds(1),
          "how long a cached file is served before its path is checked "
          "again: a file replaced on disk is served fresh after at most this "
          "long");

namespace sluice::serve {
namespace {

using tools::UniqueFd;

// Per thread; RaiseFdLimit() below asks for 2^20 fds in all.
constexpr int64_t kMaxOpenFileCache = 1 << 19;

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice-serve: %s\n(see --help)\n", message.c_str());
  std::exit(2);
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "sluice-serve: %s\n", message.c_str());
  std::exit(1);
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a static file server on sluice engines.\n"
      "  sluice-serve --root=DIR [--listen=127.0.0.1:8080] [--threads=N]\n"
      "               [--backend=auto|iouring|sendfile|readsend]");
  tools::ListFlagsOfFile("serve/main.cc");
  std::vector<char*> args = tools::NormalizeFlagNames(argc, argv);
  const std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (rest.size() > 1)
    UsageError(absl::StrCat("unexpected argument ", rest[1]));

  const std::string root = absl::GetFlag(FLAGS_root);
  if (root.empty()) UsageError("--root is required");
  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1 || threads > 1024) UsageError("--threads must be 1..1024");
  absl::StatusOr<BackendKind> backend =
      ParseBackendKind(absl::GetFlag(FLAGS_backend));
  if (!backend.ok()) UsageError(std::string(backend.status().message()));
  absl::StatusOr<DataPath> uring_path =
      ParseDataPath(absl::GetFlag(FLAGS_uring_path));
  if (!uring_path.ok()) UsageError(std::string(uring_path.status().message()));
  absl::StatusOr<tools::Address> address =
      tools::ParseAddress(absl::GetFlag(FLAGS_listen));
  if (!address.ok()) UsageError(std::string(address.status().message()));
  if (address->family() != AF_INET && address->family() != AF_INET6) {
    UsageError("--listen must be a TCP address");
  }
  for (absl::Duration d : {absl::GetFlag(FLAGS_header_timeout),
                           absl::GetFlag(FLAGS_keepalive_timeout),
                           absl::GetFlag(FLAGS_send_timeout)}) {
    if (d <= absl::ZeroDuration()) UsageError("timeouts must be positive");
  }
  uint64_t min_rate = 0;
  if (!tools::ParseByteSize(absl::GetFlag(FLAGS_min_rate), min_rate)) {
    UsageError("--min-rate: expected bytes per second such as 64KiB");
  }
  const absl::Duration min_rate_window = absl::GetFlag(FLAGS_min_rate_window);
  if (min_rate_window <= absl::ZeroDuration() ||
      min_rate_window == absl::InfiniteDuration()) {
    UsageError("--min-rate-window must be positive and finite");
  }
  uint64_t limit_rate = 0;
  uint64_t limit_rate_after = 0;
  if (!tools::ParseByteSize(absl::GetFlag(FLAGS_limit_rate), limit_rate)) {
    UsageError("--limit-rate: expected bytes per second such as 4MiB");
  }
  if (!tools::ParseByteSize(absl::GetFlag(FLAGS_limit_rate_after),
                            limit_rate_after)) {
    UsageError("--limit-rate-after: expected a size such as 8MiB");
  }
  if (limit_rate == 0 && limit_rate_after > 0) {
    UsageError("--limit-rate-after applies to a --limit-rate; there is none");
  }
  if (limit_rate > 0 && limit_rate < min_rate) {
    UsageError(
        "--limit-rate is below --min-rate: every limited response would be "
        "cut off by its own floor");
  }

  const int64_t open_file_cache = absl::GetFlag(FLAGS_open_file_cache);
  if (open_file_cache < 0 || open_file_cache > kMaxOpenFileCache) {
    UsageError(absl::StrCat("--open-file-cache must be 0..", kMaxOpenFileCache,
                            " files"));
  }
  const absl::Duration open_file_cache_valid =
      absl::GetFlag(FLAGS_open_file_cache_valid);
  if (open_file_cache_valid <= absl::ZeroDuration() ||
      open_file_cache_valid == absl::InfiniteDuration()) {
    UsageError("--open-file-cache-valid must be positive and finite");
  }

  UniqueFd root_fd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) {
    Fail(absl::StrCat("--root=", root, ": ", std::strerror(errno)));
  }
  if (absl::Status confined = CheckConfinedOpen(root_fd.get());
      !confined.ok()) {
    Fail(std::string(confined.message()));
  }

  tools::RaiseFdLimit(1 << 20);
  // Writes to a peer that left report EPIPE; nothing here wants the signal.
  ::signal(SIGPIPE, SIG_IGN);
  // SIGINT and SIGTERM are taken by sigwait() below; every thread started
  // from here on inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  ServeOptions options;
  options.root_fd = root_fd.get();
  options.engine.backend = *backend;
  options.engine.uring_data_path = *uring_path;
  options.header_timeout = absl::GetFlag(FLAGS_header_timeout);
  options.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  options.send_timeout = absl::GetFlag(FLAGS_send_timeout);
  if (min_rate > 0) {
    options.min_rate =
        MinRate{.bytes_per_second = min_rate, .window = min_rate_window};
  }
  if (limit_rate > 0) {
    options.max_rate = MaxRate{.bytes_per_second = limit_rate,
                               .after_bytes = limit_rate_after};
  }
  options.open_file_cache = static_cast<size_t>(open_file_cache);
  options.open_file_cache_valid = open_file_cache_valid;
  options.access_log_fd = absl::GetFlag(FLAGS_access_log) ? STDOUT_FILENO : -1;
  options.stats_page = absl::GetFlag(FLAGS_stats);

  tools::StatsBoard board(static_cast<size_t>(threads));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    // The first listener picks the port when asked for 0; the others share
    // it through SO_REUSEPORT.
    absl::StatusOr<UniqueFd> listener =
        tools::Listen(*address, tools::PortSharing::kReusePort);
    if (!listener.ok()) Fail(std::string(listener.status().message()));
    absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
        options, static_cast<size_t>(i), *std::move(listener), &board);
    if (!worker.ok()) {
      Fail(
          absl::StrCat("starting thread ", i, ": ", worker.status().message()));
    }
    workers.push_back(*std::move(worker));
  }
  std::printf(
      "sluice-serve listening on %s (root %s, %d thread%s, backend %s)\n",
      address->ToString().c_str(), root.c_str(), threads,
      threads == 1 ? "" : "s",
      std::string(BackendKindName(workers[0]->backend())).c_str());
  std::fflush(stdout);

  std::atomic<bool> failed{false};
  std::vector<std::thread> running;
  for (std::unique_ptr<Worker>& worker : workers) {
    running.emplace_back([&failed, w = worker.get()] {
      if (absl::Status status = w->Run(); !status.ok()) {
        std::fprintf(stderr, "sluice-serve: worker stopped: %s\n",
                     status.ToString().c_str());
        failed = true;
        ::kill(::getpid(), SIGTERM);
      }
    });
  }
  int signal_number = 0;
  ::sigwait(&stop_signals, &signal_number);
  for (std::unique_ptr<Worker>& worker : workers) worker->Stop();
  for (std::thread& t : running) t.join();
  workers.clear();
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace sluice::serve

int main(int argc, char** argv) { return sluice::serve::Main(argc, argv); }
