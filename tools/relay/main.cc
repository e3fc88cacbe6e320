// Copyright 2026 The sluice Authors.
//
// sluice-relay: a TCP (or unix socket) proxy on sluice engines. Each client
// connection gets its own upstream connection, and the engine relays the
// bytes both ways, one engine and one epoll loop per thread (see
// worker.h).
//
//   sluice-relay --listen=127.0.0.1:8081 --upstream=127.0.0.1:8080
//
// Prints "sluice-relay listening on ADDRESS ..." as its first stdout line
// (the port, when --listen asked for port 0), then relays until SIGINT or
// SIGTERM. Flags may be spelled with '-' or '_'.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "flags/flag_check.h"
#include "flags/flag_names.h"
#include "flags/help_flags.h"
#include "net/address.h"
#include "posix/unique_fd.h"
#include "process/fd_limit.h"
#include "relay/worker.h"
#include "sluice/backend_kind.h"
#include "sluice/engine.h"
#include "stats/stats_board.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:8081",
          "address to accept clients on: HOST:PORT, [IPv6]:PORT (port 0: "
          "any; the first stdout line says which) or unix:/path (the socket "
          "file must not exist; it is removed at exit)");
ABSL_FLAG(std::string, upstream, "127.0.0.1:8080",
          "address every client is relayed to, one upstream connection per "
          "client: HOST:PORT, [IPv6]:PORT or unix:/path (numeric hosts or "
          "localhost; no name lookup)");
ABSL_FLAG(int, threads, 1,
          "worker threads (1..1024), each with its own epoll loop and engine "
          "and, for TCP, its own listener (SO_REUSEPORT)");
ABSL_FLAG(std::string, backend, "auto",
          "engine backend: auto, iouring, sendfile or readsend");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path of the relayed bytes: auto (splice on the "
          "engine thread), splice (splice on io-wq workers) or copy "
          "(read + send); sendfile means auto (sendfile(2) cannot read a "
          "socket)");
ABSL_FLAG(absl::Duration, idle_timeout, absl::Seconds(60),
          "close a connection when no byte has moved either way for this "
          "long (over TCP, read from the kernel's byte counters every "
          "idle-timeout, so it closes one to two idle-timeouts after the "
          "last byte; with unix sockets on both sides, each direction times "
          "out on its own: a direction silent for this long closes the "
          "connection, even while the other is busy)");
ABSL_FLAG(absl::Duration, connect_timeout, absl::Seconds(5),
          "most time a connect to the upstream may take; the client is "
          "closed when it runs out or the connect fails");
ABSL_FLAG(bool, stats, false,
          "print each thread's engine stats and connection counts as JSON "
          "to stdout on SIGUSR1 and at exit");

namespace sluice::relay {
namespace {

using tools::UniqueFd;

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice-relay: %s\n(see --help)\n", message.c_str());
  std::exit(2);
}

[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "sluice-relay: %s\n", message.c_str());
  std::exit(1);
}

tools::Address ParseAddressFlag(const char* name, const std::string& value) {
  absl::StatusOr<tools::Address> address = tools::ParseAddress(value);
  if (!address.ok()) {
    UsageError(absl::StrCat("--", name, ": ", address.status().message()));
  }
  return *address;
}

// Asks every worker for its stats and prints them once all have published
// (or after a second: a worker stuck that long is shown as last published).
void PrintStats(const std::vector<std::unique_ptr<Worker>>& workers,
                const tools::StatsBoard& board) {
  std::vector<uint64_t> tickets;
  for (const std::unique_ptr<Worker>& w : workers) {
    tickets.push_back(w->RequestStats());
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(1);
  for (size_t i = 0; i < workers.size(); ++i) {
    while (!workers[i]->StatsPublished(tickets[i]) && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  }
  const std::string json = board.Json();
  std::fwrite(json.data(), 1, json.size(), stdout);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "a TCP proxy on sluice engines: every client connection gets its own\n"
      "upstream connection and the engine relays the bytes both ways. When\n"
      "one side shuts its write side down (EOF), the relay shuts down the\n"
      "other side's write side (half-close passes through) and keeps\n"
      "relaying the other way; both connections close when both directions\n"
      "have reached EOF, or when either fails, is reset or goes idle. A\n"
      "failed upstream connect closes the client. SIGUSR1 prints the stats\n"
      "(with --stats); SIGINT or SIGTERM end it. Usage errors exit 2.\n"
      "  sluice-relay [--listen=127.0.0.1:8081] [--upstream=127.0.0.1:8080]\n"
      "               [--threads=N] "
      "[--backend=auto|iouring|sendfile|readsend]\n"
      "               [--idle-timeout=60s] [--connect-timeout=5s] [--stats]");
  tools::ListFlagsOfFile("relay/main.cc");
  std::vector<char*> args = tools::NormalizeFlagNames(argc, argv);
  if (absl::Status bad = tools::CheckFlags(args); !bad.ok()) {
    UsageError(std::string(bad.message()));
  }
  const std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (rest.size() > 1)
    UsageError(absl::StrCat("unexpected argument ", rest[1]));

  const int threads = absl::GetFlag(FLAGS_threads);
  if (threads < 1 || threads > 1024) UsageError("--threads must be 1..1024");
  absl::StatusOr<BackendKind> backend =
      ParseBackendKind(absl::GetFlag(FLAGS_backend));
  if (!backend.ok()) UsageError(std::string(backend.status().message()));
  absl::StatusOr<DataPath> uring_path =
      ParseDataPath(absl::GetFlag(FLAGS_uring_path));
  if (!uring_path.ok()) UsageError(std::string(uring_path.status().message()));
  tools::Address listen =
      ParseAddressFlag("listen", absl::GetFlag(FLAGS_listen));
  RelayOptions options;
  options.upstream =
      ParseAddressFlag("upstream", absl::GetFlag(FLAGS_upstream));
  options.engine.backend = *backend;
  options.engine.uring_data_path = *uring_path;
  options.idle_timeout = absl::GetFlag(FLAGS_idle_timeout);
  options.connect_timeout = absl::GetFlag(FLAGS_connect_timeout);
  for (absl::Duration d : {options.idle_timeout, options.connect_timeout}) {
    if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      UsageError("timeouts must be positive and finite");
    }
  }
  const bool stats = absl::GetFlag(FLAGS_stats);

  tools::RaiseFdLimit(1 << 20);
  // Writes to a peer that left report EPIPE; nothing here wants the signal.
  ::signal(SIGPIPE, SIG_IGN);
  // Taken by sigwait() below; every thread started from here on inherits
  // the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // TCP: one listener per thread through SO_REUSEPORT, the first picking
  // the port when asked for 0. A unix socket path binds once; every thread
  // accepts on its own dup of it.
  const bool unix_listener = listen.family() == AF_UNIX;
  UniqueFd shared;
  if (unix_listener) {
    absl::StatusOr<UniqueFd> listener = tools::Listen(listen);
    if (!listener.ok()) Fail(std::string(listener.status().message()));
    shared = *std::move(listener);
  }
  tools::StatsBoard board(static_cast<size_t>(threads));
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<UniqueFd> listener =
        unix_listener ? absl::StatusOr<UniqueFd>(UniqueFd(::dup(shared.get())))
                      : tools::Listen(listen, tools::PortSharing::kReusePort);
    if (!listener.ok()) Fail(std::string(listener.status().message()));
    if (!listener->valid()) Fail("dup of the unix listener failed");
    absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
        options, static_cast<size_t>(i), *std::move(listener), &board);
    if (!worker.ok()) {
      Fail(
          absl::StrCat("starting thread ", i, ": ", worker.status().message()));
    }
    workers.push_back(*std::move(worker));
  }
  shared.reset();
  std::printf(
      "sluice-relay listening on %s (upstream %s, %d thread%s, backend %s)\n",
      listen.ToString().c_str(), options.upstream.ToString().c_str(), threads,
      threads == 1 ? "" : "s",
      std::string(BackendKindName(workers[0]->backend())).c_str());
  std::fflush(stdout);

  std::atomic<bool> failed{false};
  std::vector<std::thread> running;
  for (std::unique_ptr<Worker>& worker : workers) {
    running.emplace_back([&failed, w = worker.get()] {
      if (absl::Status status = w->Run(); !status.ok()) {
        std::fprintf(stderr, "sluice-relay: worker stopped: %s\n",
                     status.ToString().c_str());
        failed = true;
        ::kill(::getpid(), SIGTERM);
      }
    });
  }
  while (true) {
    int signal_number = 0;
    ::sigwait(&signals, &signal_number);
    if (signal_number != SIGUSR1) break;
    if (stats) PrintStats(workers, board);
  }
  for (std::unique_ptr<Worker>& worker : workers) worker->Stop();
  for (std::thread& t : running) t.join();
  // Each worker published its last stats as it stopped.
  if (stats) {
    const std::string json = board.Json();
    std::fwrite(json.data(), 1, json.size(), stdout);
  }
  workers.clear();
  if (unix_listener) {
    ::unlink(reinterpret_cast<const sockaddr_un*>(&listen.storage)->sun_path);
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace sluice::relay

int main(int argc, char** argv) { return sluice::relay::Main(argc, argv); }
