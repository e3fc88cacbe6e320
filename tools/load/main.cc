// Copyright 2026 The sluice Authors.
//
// sluice-load: drives sluice engines against a discarding (or verifying)
// sink and compares backends side by side, in one process or two.
//
//   sluice-load --backends=iouring,sendfile,readsend --connections=1024
//               --object-size=16KiB --duration=5s
//   sluice-load sink --listen=127.0.0.1:9000 &
//   sluice-load --connect=127.0.0.1:9000 --verify
//
// Flags may be spelled with '-' or '_' (--object-size, --object_size).
// Exit status: 0 when every round's bytes reconcile with the sink (or the
// sink sends no acknowledgement, --sink-ack=false: unreconciled), 1 when
// one does not (or the sink saw a wrong byte), 2 for bad flags.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "flags/backend_list.h"
#include "flags/byte_size.h"
#include "flags/flag_names.h"
#include "flags/help_flags.h"
#include "load/frame.h"
#include "load/report.h"
#include "load/runner.h"
#include "load/sink.h"
#include "load/soak.h"
#include "load/traffic_classes.h"
#include "load/workload.h"
#include "net/address.h"
#include "process/fd_limit.h"
#include "sluice/engine.h"

ABSL_FLAG(std::string, backends, "",
          "comma-separated backends to compare, run one after the other: "
          "iouring, sendfile, readsend (default: every one available here)");
ABSL_FLAG(int, connections, 256, "concurrent connections (split over threads)");
ABSL_FLAG(std::string, object_size, "16KiB:80,1MiB:15,16MiB:5",
          "object size, or a weighted mix SIZE:WEIGHT,...; units B, KiB, "
          "MiB, GiB");
ABSL_FLAG(int, objects, 64, "distinct objects (files) to create");
ABSL_FLAG(std::string, dir, "",
          "send the regular files in this directory instead of creating "
          "objects (kept as they are)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "how long each backend runs in each round");
ABSL_FLAG(int64_t, transfers, 0,
          "stop each backend's round after this many transfers instead of "
          "--duration (with --soak: transfers per backend and transport, "
          "default 1000000)");
ABSL_FLAG(int, header_bytes, 0,
          "bytes of HTTP-like head before each object (a 64-byte frame "
          "naming the slice when >= 64 or with --verify)");
ABSL_FLAG(std::string, offset_mode, "whole",
          "whole: send whole objects; random-range: random [offset,count) "
          "slices, like HTTP Range requests");
ABSL_FLAG(int, threads, 1, "sender threads, one engine each");
ABSL_FLAG(std::string, transport, "tcp",
          "tcp (127.0.0.1) or unix; with --soak, a list: tcp,unix runs each "
          "backend over both");
ABSL_FLAG(bool, verify, false,
          "the sink checks every body byte against its object (slower)");
ABSL_FLAG(int, rounds, 1,
          "rounds per backend, in alternating order, reported as median and "
          "min-max");
ABSL_FLAG(std::string, json, "", "also write the report as JSON here");
ABSL_FLAG(std::string, connect, "",
          "send to a stand-alone sink (sluice-load sink) at ADDR:PORT or "
          "unix:PATH instead of one in this process");
ABSL_FLAG(bool, sink_ack, true,
          "whether the sink at --connect answers each connection's end with "
          "an acknowledgement of the bytes it got (sluice-load's sink does; "
          "see the sink protocol above). false: any plain discard server; "
          "the run is reported unreconciled, not failed, and exits 0");
ABSL_FLAG(std::string, listen, "127.0.0.1:0",
          "sink mode: where to listen (ADDR:PORT or unix:PATH)");
ABSL_FLAG(int, sink_threads, 0,
          "threads reading on the sink side (0: a quarter of the cores)");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path: auto, sendfile, splice, copy");
ABSL_FLAG(int, iowq_workers, 0,
          "io_uring io-wq workers per engine (0: the engine's default, the "
          "cores divided among the engines)");
ABSL_FLAG(uint64_t, seed, 1, "seed for object sizes and slices");
ABSL_FLAG(double, cold, 0,
          "share of transfers (0..1) that evict their slice from the page "
          "cache right before they are sent; their latency is reported apart");
ABSL_FLAG(bool, avoid_cold_reads, true,
          "ask whether a range is in the page cache before reading it on the "
          "engine thread, and read cold ranges off it "
          "(EngineOptions::avoid_cold_reads)");
ABSL_FLAG(bool, register_fds, true,
          "register each connection's socket and every object file with the "
          "engine once (Engine::RegisterFd), so Submit() makes no fd checks "
          "of its own; false: every Submit() checks its fds (calls/xfer "
          "counts those checks either way)");
ABSL_FLAG(std::string, rate, "0",
          "every transfer's maximum rate in bytes per second "
          "(TransferSpec::max_rate), a size such as 4MiB; 0: no limit. The "
          "report adds the rate each transfer delivered");
ABSL_FLAG(std::string, rate_after, "0",
          "with --rate: bytes of each transfer sent at full speed before the "
          "rate applies (MaxRate::after_bytes)");
ABSL_FLAG(std::string, classes, "",
          "weighted fair-share classes NAME:WEIGHT,... (e.g. gold:3,bronze:1; "
          "EngineOptions::traffic_classes): each thread's connections are "
          "assigned to them in turn, and the report adds bytes per class. "
          "They share a bounded turn only: see --turn-bytes and "
          "--engine-rate");
ABSL_FLAG(std::string, turn_bytes, "0",
          "file bytes one scheduler turn hands out over all transfers "
          "(EngineOptions::turn_bytes), shared by --classes by weight; 0: "
          "unbounded");
ABSL_FLAG(std::string, engine_rate, "0",
          "each engine's ceiling in file bytes per second over all its "
          "transfers (EngineOptions::max_rate), a size such as 1GiB: an "
          "uplink's budget, shared by --classes by weight; 0: none");
ABSL_FLAG(bool, soak, false,
          "soak: run --transfers (default 1000000) transfers per backend and "
          "transport with random cancels, deadlines and peer resets, verify "
          "every byte, and report outcomes by fault and status, bytes "
          "verified, RSS and open fds; exit 1 on any anomaly (see README). "
          "--duration, --rounds, --cold and --verify do not apply (it always "
          "verifies)");
ABSL_FLAG(double, cancel_fraction, 0.05,
          "soak: share of transfers cancelled at a random time within "
          "--fault-window (an eighth right after Submit)");
ABSL_FLAG(double, deadline_fraction, 0.05,
          "soak: share of transfers given a deadline at a random time within "
          "--fault-window");
ABSL_FLAG(double, reset_fraction, 0.05,
          "soak: share of transfers whose receiver resets the connection "
          "(SO_LINGER 0) after reading a random number of its bytes");
ABSL_FLAG(absl::Duration, fault_window, absl::Milliseconds(1),
          "soak: cancels and deadlines fall uniformly within this long after "
          "Submit()");
ABSL_FLAG(std::string, rss_growth_limit, "4MiB",
          "soak: the most RSS may grow from the 10% (warm-up) sample to the "
          "end before it counts as an anomaly");

namespace sluice::load {
namespace {

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "sluice-load: %s\n(see --help)\n", message.c_str());
  std::exit(2);
}

int SinkThreads() {
  const int flag = absl::GetFlag(FLAGS_sink_threads);
  if (flag > 0) return flag;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 4);
}

// sluice-load sink: serves until SIGINT or SIGTERM, then prints totals.
int RunSink() {
  absl::StatusOr<Address> address = ParseAddress(absl::GetFlag(FLAGS_listen));
  if (!address.ok()) UsageError(std::string(address.status().message()));
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);  // threads inherit the mask
  tools::RaiseFdLimit(1 << 16);
  absl::StatusOr<std::unique_ptr<LoadSink>> sink =
      LoadSink::Start(*address, SinkThreads(), absl::GetFlag(FLAGS_verify));
  if (!sink.ok()) {
    std::fprintf(stderr, "sluice-load sink: %s\n",
                 sink.status().ToString().c_str());
    return 1;
  }
  std::printf("sluice-load sink listening on %s%s\n",
              (*sink)->address().ToString().c_str(),
              absl::GetFlag(FLAGS_verify) ? " (verifying)" : "");
  std::fflush(stdout);
  int signal = 0;
  sigwait(&stop, &signal);
  const SinkTotals totals = (*sink)->totals();
  std::printf(
      "sink: %llu connections, %llu bytes, %llu frames, %llu "
      "mismatched bytes\n",
      (unsigned long long)totals.connections, (unsigned long long)totals.bytes,
      (unsigned long long)totals.frames,
      (unsigned long long)totals.mismatched_bytes);
  return totals.mismatched_bytes == 0 ? 0 : 1;
}

std::vector<BackendKind> BackendsFlag() {
  absl::StatusOr<tools::BackendList> list =
      tools::ParseBackendList(absl::GetFlag(FLAGS_backends));
  if (!list.ok()) {
    UsageError(absl::StrCat("--backends: ", list.status().message()));
  }
  for (const auto& [kind, why] : list->skipped) {
    std::fprintf(stderr, "sluice-load: skipping %s: %s\n",
                 std::string(BackendKindName(kind)).c_str(),
                 why.ToString().c_str());
  }
  return list->usable;
}

// A size flag, or 0 when it is empty.
uint64_t SizeFlag(const char* name, const std::string& text) {
  uint64_t bytes = 0;
  if (!text.empty() && !tools::ParseByteSize(text, bytes)) {
    UsageError(absl::StrCat("--", name, ": bad size \"", text,
                            "\"; expected a size such as 4MiB"));
  }
  return bytes;
}

// --rate, --rate-after, --classes, --turn-bytes and --engine-rate.
struct TrafficFlags {
  std::optional<MaxRate> max_rate;
  std::vector<TrafficClass> classes;
  uint64_t turn_bytes = 0;
  uint64_t engine_rate = 0;

  bool any() const {
    return max_rate.has_value() || !classes.empty() || turn_bytes > 0 ||
           engine_rate > 0;
  }
};

TrafficFlags ParseTrafficFlags() {
  TrafficFlags flags;
  const uint64_t rate = SizeFlag("rate", absl::GetFlag(FLAGS_rate));
  const uint64_t after =
      SizeFlag("rate-after", absl::GetFlag(FLAGS_rate_after));
  if (rate > 0) {
    flags.max_rate = MaxRate{.bytes_per_second = rate, .after_bytes = after};
  } else if (after > 0) {
    UsageError("--rate-after applies to a --rate; there is none");
  }
  absl::StatusOr<std::vector<TrafficClass>> classes =
      ParseTrafficClasses(absl::GetFlag(FLAGS_classes));
  if (!classes.ok()) {
    UsageError(absl::StrCat("--classes: ", classes.status().message()));
  }
  flags.classes = *std::move(classes);
  flags.turn_bytes = SizeFlag("turn-bytes", absl::GetFlag(FLAGS_turn_bytes));
  flags.engine_rate = SizeFlag("engine-rate", absl::GetFlag(FLAGS_engine_rate));
  return flags;
}

DataPath UringPathFlag() {
  absl::StatusOr<DataPath> path =
      ParseDataPath(absl::GetFlag(FLAGS_uring_path));
  if (!path.ok()) {
    UsageError(absl::StrCat("--uring-path: ", path.status().message()));
  }
  return *path;
}

// sluice-load --soak: one soak per backend and transport, one after the
// other; exit 1 if any found an anomaly.
int RunSoakMode() {
  const std::vector<BackendKind> backends = BackendsFlag();
  absl::StatusOr<SizeMix> mix = ParseSizeMix(absl::GetFlag(FLAGS_object_size));
  if (!mix.ok()) UsageError(std::string(mix.status().message()));
  SoakConfig config;
  config.connections = absl::GetFlag(FLAGS_connections);
  config.threads = absl::GetFlag(FLAGS_threads);
  config.receiver_threads = SinkThreads();
  config.header_bytes = std::max<size_t>(
      static_cast<size_t>(std::max(0, absl::GetFlag(FLAGS_header_bytes))),
      kFrameBytes);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.cancel_fraction = absl::GetFlag(FLAGS_cancel_fraction);
  config.deadline_fraction = absl::GetFlag(FLAGS_deadline_fraction);
  config.reset_fraction = absl::GetFlag(FLAGS_reset_fraction);
  config.fault_window = absl::GetFlag(FLAGS_fault_window);
  const int64_t transfers = absl::GetFlag(FLAGS_transfers);
  config.transfers = transfers > 0 ? static_cast<uint64_t>(transfers) : 1000000;
  const int objects = absl::GetFlag(FLAGS_objects);
  if (config.connections <= 0) UsageError("--connections must be positive");
  if (config.threads <= 0) UsageError("--threads must be positive");
  if (objects <= 0) UsageError("--objects must be positive");
  if (transfers < 0) UsageError("--transfers must not be negative");
  for (const double f : {config.cancel_fraction, config.deadline_fraction,
                         config.reset_fraction}) {
    if (!(f >= 0 && f <= 1)) {
      UsageError(
          "--cancel-fraction, --deadline-fraction and --reset-fraction "
          "are shares from 0 to 1");
    }
  }
  if (config.cancel_fraction + config.deadline_fraction +
          config.reset_fraction >
      1 + 1e-9) {
    UsageError(
        "--cancel-fraction + --deadline-fraction + --reset-fraction "
        "must not exceed 1");
  }
  if (config.fault_window < absl::ZeroDuration()) {
    UsageError("--fault-window must not be negative");
  }
  if (!tools::ParseByteSize(absl::GetFlag(FLAGS_rss_growth_limit),
                            config.rss_growth_limit)) {
    UsageError("--rss-growth-limit: expected a size such as 16MiB");
  }
  if (!absl::GetFlag(FLAGS_connect).empty() ||
      !absl::GetFlag(FLAGS_dir).empty()) {
    UsageError(
        "--soak runs its own receiver and checks generated objects: "
        "no --connect or --dir");
  }
  std::vector<std::string> transports =
      absl::StrSplit(absl::GetFlag(FLAGS_transport), ',');
  for (const std::string& t : transports) {
    if (t != "tcp" && t != "unix") {
      UsageError(absl::StrCat("--transport: unknown \"", t,
                              "\"; expected tcp, unix or tcp,unix"));
    }
  }
  const std::string offset_flag = absl::GetFlag(FLAGS_offset_mode);
  if (offset_flag == "whole") {
    config.offset_mode = OffsetMode::kWhole;
  } else if (offset_flag == "random-range" || offset_flag == "random_range") {
    config.offset_mode = OffsetMode::kRandomRange;
  } else {
    UsageError(absl::StrCat("--offset-mode: unknown \"", offset_flag,
                            "\"; expected whole or random-range"));
  }
  if (backends.empty()) UsageError("no backend to run");
  if (ParseTrafficFlags().any()) {
    UsageError(
        "--soak measures no rate or share: no --rate, --classes, "
        "--turn-bytes or --engine-rate");
  }
  config.engine.uring_data_path = UringPathFlag();
  config.engine.avoid_cold_reads = absl::GetFlag(FLAGS_avoid_cold_reads);
  config.engine.iowq_max_workers =
      static_cast<uint32_t>(std::max(0, absl::GetFlag(FLAGS_iowq_workers)));

  absl::StatusOr<ObjectSet> set =
      ObjectSet::Generate(*mix, objects, "/tmp", config.seed);
  if (!set.ok()) UsageError(std::string(set.status().message()));
  config.objects = &*set;
  tools::RaiseFdLimit(static_cast<uint64_t>(config.connections) * 4 + 256);

  std::printf(
      "sluice-load --soak: %llu transfers per backend and transport, "
      "objects %s (%zu, %.1f MiB), %s, %d connections, %d thread(s), faults: "
      "cancel %.3g, deadline %.3g, reset %.3g within %s\n",
      static_cast<unsigned long long>(config.transfers),
      absl::GetFlag(FLAGS_object_size).c_str(), set->objects().size(),
      double(set->total_bytes()) / (1 << 20), offset_flag.c_str(),
      config.connections, config.threads, config.cancel_fraction,
      config.deadline_fraction, config.reset_fraction,
      absl::FormatDuration(config.fault_window).c_str());
  std::fflush(stdout);
  nlohmann::json runs = nlohmann::json::array();
  uint64_t anomalies = 0;
  for (const BackendKind kind : backends) {
    for (const std::string& transport : transports) {
      config.engine.backend = kind;
      config.transport = transport;
      absl::StatusOr<SoakResult> result = RunSoak(config, stdout);
      if (!result.ok()) {
        std::fprintf(stderr, "sluice-load --soak: %s over %s: %s\n",
                     std::string(BackendKindName(kind)).c_str(),
                     transport.c_str(), result.status().ToString().c_str());
        return 1;
      }
      PrintSoak(stdout, *result);
      std::fflush(stdout);
      anomalies += result->anomalies;
      runs.push_back(SoakJson(*result));
    }
  }
  std::printf("soak: %s\n",
              anomalies == 0 ? "no anomaly"
                             : absl::StrCat(anomalies, " anomalies").c_str());
  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    nlohmann::json report = {
        {"params",
         {{"transfers", config.transfers},
          {"object_size", absl::GetFlag(FLAGS_object_size)},
          {"objects", set->objects().size()},
          {"offset_mode", offset_flag},
          {"connections", config.connections},
          {"threads", config.threads},
          {"cancel_fraction", config.cancel_fraction},
          {"deadline_fraction", config.deadline_fraction},
          {"reset_fraction", config.reset_fraction},
          {"fault_window_s", absl::ToDoubleSeconds(config.fault_window)},
          {"rss_growth_limit", config.rss_growth_limit},
          {"seed", config.seed}}},
        {"soak", runs},
        {"anomalies", anomalies},
    };
    std::ofstream out(json_path);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "sluice-load: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return anomalies == 0 ? 0 : 1;
}

int RunSender() {
  if (absl::GetFlag(FLAGS_soak)) return RunSoakMode();
  const std::vector<BackendKind> backends = BackendsFlag();
  absl::StatusOr<SizeMix> mix = ParseSizeMix(absl::GetFlag(FLAGS_object_size));
  if (!mix.ok()) UsageError(std::string(mix.status().message()));
  const int connections = absl::GetFlag(FLAGS_connections);
  const int threads = absl::GetFlag(FLAGS_threads);
  const int objects = absl::GetFlag(FLAGS_objects);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int header_flag = absl::GetFlag(FLAGS_header_bytes);
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const int64_t transfers = absl::GetFlag(FLAGS_transfers);
  const bool verify = absl::GetFlag(FLAGS_verify);
  const std::string transport = absl::GetFlag(FLAGS_transport);
  const std::string offset_flag = absl::GetFlag(FLAGS_offset_mode);
  if (connections <= 0) UsageError("--connections must be positive");
  if (threads <= 0) UsageError("--threads must be positive");
  if (objects <= 0) UsageError("--objects must be positive");
  if (rounds <= 0) UsageError("--rounds must be positive");
  if (header_flag < 0) UsageError("--header-bytes must not be negative");
  if (transfers < 0) UsageError("--transfers must not be negative");
  if (transfers == 0 && duration <= absl::ZeroDuration()) {
    UsageError("--duration must be positive");
  }
  if (transport != "tcp" && transport != "unix") {
    UsageError(absl::StrCat("--transport: unknown \"", transport,
                            "\"; expected tcp or unix"));
  }
  OffsetMode offset_mode;
  if (offset_flag == "whole") {
    offset_mode = OffsetMode::kWhole;
  } else if (offset_flag == "random-range" || offset_flag == "random_range") {
    offset_mode = OffsetMode::kRandomRange;
  } else {
    UsageError(absl::StrCat("--offset-mode: unknown \"", offset_flag,
                            "\"; expected whole or random-range"));
  }
  if (backends.empty()) UsageError("no backend to run");
  const DataPath uring_path = UringPathFlag();
  const double cold_fraction = absl::GetFlag(FLAGS_cold);
  if (!(cold_fraction >= 0 && cold_fraction <= 1)) {
    UsageError("--cold: a share of transfers, from 0 to 1");
  }
  const TrafficFlags traffic = ParseTrafficFlags();
  const size_t classes = traffic.classes.size();
  // RoundConfig::engine: each thread's connections go to the classes in
  // turn, so a thread needs one per class.
  const int threads_used = std::min(threads, connections);
  if (classes > 0 &&
      static_cast<uint64_t>(connections) < classes * threads_used) {
    UsageError(
        absl::StrCat("--classes: ", classes, " classes over ", threads_used,
                     " thread(s) need at least ", classes * threads_used,
                     " connections, so that every engine serves every class"));
  }
  if (classes > 0 && traffic.turn_bytes == 0 && traffic.engine_rate == 0) {
    std::fprintf(stderr,
                 "sluice-load: note: without --turn-bytes or --engine-rate "
                 "every runnable transfer moves a full quantum each turn, so "
                 "--classes share nothing by weight\n");
  }
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (verify && !dir.empty()) {
    UsageError(
        "--verify checks generated objects; it cannot check --dir files");
  }

  std::unique_ptr<LoadSink> local_sink;
  Address target;
  const std::string connect = absl::GetFlag(FLAGS_connect);
  const bool sink_ack = absl::GetFlag(FLAGS_sink_ack);
  if (!sink_ack && connect.empty()) {
    UsageError(
        "--sink-ack=false is for a sink at --connect that is not "
        "sluice-load's; the sink in this process always answers");
  }
  if (!sink_ack && verify) {
    UsageError(
        "--verify needs the sink's acknowledgement to report wrong "
        "bytes; it cannot be used with --sink-ack=false");
  }
  if (!connect.empty()) {
    absl::StatusOr<Address> parsed = ParseAddress(connect);
    if (!parsed.ok()) UsageError(std::string(parsed.status().message()));
    target = *parsed;
  }

  absl::StatusOr<ObjectSet> set =
      dir.empty() ? ObjectSet::Generate(*mix, objects, "/tmp",
                                        absl::GetFlag(FLAGS_seed))
                  : ObjectSet::Open(dir);
  if (!set.ok()) UsageError(std::string(set.status().message()));

  tools::RaiseFdLimit(static_cast<uint64_t>(connections) * 3 + 256);
  if (connect.empty()) {
    absl::StatusOr<Address> listen = ParseAddress(
        transport == "unix"
            ? absl::StrCat("unix:/tmp/sluice-load-", ::getpid(), ".sock")
            : "127.0.0.1:0");
    absl::StatusOr<std::unique_ptr<LoadSink>> sink =
        LoadSink::Start(*listen, SinkThreads(), verify);
    if (!sink.ok()) {
      std::fprintf(stderr, "sluice-load: %s\n",
                   sink.status().ToString().c_str());
      return 1;
    }
    local_sink = *std::move(sink);
    target = local_sink->address();
  }

  RoundConfig config;
  // Every flag is checked before objects exist: a usage error exits without
  // unwinding, and would leave them behind.
  config.engine.uring_data_path = uring_path;
  config.engine.avoid_cold_reads = absl::GetFlag(FLAGS_avoid_cold_reads);
  config.cold_fraction = cold_fraction;
  config.register_fds = absl::GetFlag(FLAGS_register_fds);
  config.engine.traffic_classes = traffic.classes;
  config.engine.turn_bytes = traffic.turn_bytes;
  config.engine.max_rate = traffic.engine_rate;
  config.max_rate = traffic.max_rate;
  config.engine.iowq_max_workers =
      static_cast<uint32_t>(std::max(0, absl::GetFlag(FLAGS_iowq_workers)));
  config.target = target;
  config.connections = connections;
  config.threads = threads;
  config.objects = &*set;
  config.offset_mode = offset_mode;
  config.framed = verify || header_flag >= static_cast<int>(kFrameBytes);
  config.header_bytes = verify ? std::max<size_t>(header_flag, kFrameBytes)
                               : static_cast<size_t>(header_flag);
  config.duration = duration;
  config.transfers = static_cast<uint64_t>(transfers);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.local_sink = local_sink.get();
  config.sink_ack = sink_ack;

  std::fprintf(stderr,
               "sluice-load: %d connections, %d thread(s), %zu objects "
               "(%.1f MiB), %s, %s per backend%s, sink %s\n",
               connections, threads, set->objects().size(),
               double(set->total_bytes()) / (1 << 20), offset_flag.c_str(),
               transfers > 0 ? absl::StrCat(transfers, " transfers").c_str()
                             : absl::FormatDuration(duration).c_str(),
               rounds > 1 ? absl::StrCat(" x ", rounds, " rounds").c_str() : "",
               target.ToString().c_str());

  std::vector<BackendRounds> results;
  for (BackendKind kind : backends) results.push_back({kind, {}});
  const bool live = ::isatty(STDERR_FILENO) == 1;
  bool all_reconciled = true;
  for (int round = 0; round < rounds; ++round) {
    // Alternate the order so drift on a noisy machine shows as spread.
    std::vector<size_t> order(results.size());
    for (size_t i = 0; i < order.size(); ++i) {
      order[i] = round % 2 == 0 ? i : order.size() - 1 - i;
    }
    for (const size_t i : order) {
      config.engine.backend = results[i].backend;
      config.seed = absl::GetFlag(FLAGS_seed) + static_cast<uint64_t>(round);
      Progress progress;
      std::atomic<bool> done{false};
      std::thread ticker([&] {
        const absl::Time start = absl::Now();
        while (live && !done.load()) {
          absl::SleepFor(absl::Seconds(1));
          if (done.load()) break;
          const double s = absl::ToDoubleSeconds(absl::Now() - start);
          std::fprintf(
              stderr,
              "\r%-9s round %d: %6.2f GiB/s %10.0f transfers/s %llu errors   ",
              std::string(BackendKindName(results[i].backend)).c_str(),
              round + 1, double(progress.bytes.load()) / (1 << 30) / s,
              double(progress.transfers.load()) / s,
              (unsigned long long)progress.errors.load());
        }
      });
      absl::StatusOr<RoundResult> result = RunRound(config, progress);
      done.store(true);
      ticker.join();
      if (live) std::fprintf(stderr, "\r%100s\r", "");
      if (!result.ok()) {
        std::fprintf(stderr, "sluice-load: %s round %d: %s\n",
                     std::string(BackendKindName(results[i].backend)).c_str(),
                     round + 1, result.status().ToString().c_str());
        return 1;
      }
      if (result->reconciliation == Reconciliation::kFailed) {
        all_reconciled = false;
        std::fprintf(stderr,
                     "sluice-load: %s round %d: sent %llu bytes, the sink "
                     "acknowledged %llu with %llu mismatched\n",
                     std::string(BackendKindName(results[i].backend)).c_str(),
                     round + 1, (unsigned long long)result->bytes,
                     (unsigned long long)result->acked.bytes,
                     (unsigned long long)result->acked.mismatched_bytes);
        if (result->missing_acks > 0) {
          std::fprintf(
              stderr,
              "sluice-load: no acknowledgement on %llu of %d connections; a "
              "sink that is not sluice-load's sends none: use "
              "--sink-ack=false\n",
              (unsigned long long)result->missing_acks, connections);
        }
      }
      results[i].rounds.push_back(*std::move(result));
    }
  }
  PrintReport(stdout, results);

  const std::string json_path = absl::GetFlag(FLAGS_json);
  if (!json_path.empty()) {
    nlohmann::json params = {
        {"backends", nlohmann::json::array()},
        {"connections", connections},
        {"object_size", absl::GetFlag(FLAGS_object_size)},
        {"objects", set->objects().size()},
        {"duration_s", absl::ToDoubleSeconds(duration)},
        {"transfers", transfers},
        {"header_bytes", config.header_bytes},
        {"offset_mode", offset_flag},
        {"threads", threads},
        {"transport", connect.empty() ? transport : "remote"},
        {"verify", verify},
        {"rounds", rounds},
        {"uring_path", std::string(DataPathName(uring_path))},
        {"avoid_cold_reads", config.engine.avoid_cold_reads},
        {"register_fds", config.register_fds},
        {"cold", cold_fraction},
        {"sink", target.ToString()},
        {"sink_ack", sink_ack},
        {"rate", traffic.max_rate ? traffic.max_rate->bytes_per_second : 0},
        {"rate_after", traffic.max_rate ? traffic.max_rate->after_bytes : 0},
        {"classes", nlohmann::json::array()},
        {"turn_bytes", traffic.turn_bytes},
        {"engine_rate", traffic.engine_rate},
    };
    for (const TrafficClass& c : traffic.classes) {
      params["classes"].push_back({{"name", c.name}, {"weight", c.weight}});
    }
    for (const BackendRounds& b : results) {
      params["backends"].push_back(std::string(BackendKindName(b.backend)));
    }
    std::ofstream out(json_path);
    out << ReportJson(params, results).dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "sluice-load: cannot write %s\n", json_path.c_str());
      return 1;
    }
  }
  return all_reconciled ? 0 : 1;
}

}  // namespace
}  // namespace sluice::load

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "drives sluice engines against a discarding or verifying sink and "
      "compares backends.\n"
      "  sluice-load [flags]            send, with a sink in this process or "
      "at --connect\n"
      "  sluice-load sink --listen=ADDR stand-alone sink for --connect\n"
      "\n"
      "The sink protocol (sluice-load sink; --sink-ack): per connection the "
      "sender writes transfers back to back, each a head (a 64-byte frame "
      "\"SLD1 object offset count head-bytes\" in hex when it verifies or "
      "heads are >= 64 bytes) and its body, then shuts down its sending "
      "side. On that EOF, and only then, the sink sends back one 24-byte "
      "acknowledgement, three little-endian uint64 (bytes received on the "
      "connection, frames parsed, body bytes unlike the pattern), and "
      "closes. The sender waits up to 30 s for it and exits 1 if one is "
      "missing or its bytes differ from those sent. A sink that sends "
      "nothing back (any plain discard server): --sink-ack=false, and the "
      "run is reported unreconciled.\n"
      "\n"
      "Latency percentiles come from a log-linear histogram of fixed size "
      "(58 KiB per thread): each is within 0.4 % (1/256) of the exact value.");
  sluice::tools::ListFlagsOfFile("load/main.cc");
  // A host that never ignores SIGPIPE is what sluice must survive; the
  // sink's sends are MSG_NOSIGNAL.
  std::vector<char*> args = sluice::tools::NormalizeFlagNames(argc, argv);
  bool sink_mode = false;
  if (args.size() > 1 && std::string(args[1]) == "sink") {
    sink_mode = true;
    args.erase(args.begin() + 1);
  }
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (positional.size() > 1) {
    sluice::load::UsageError(
        absl::StrCat("unexpected argument \"", positional[1], "\""));
  }
  return sink_mode ? sluice::load::RunSink() : sluice::load::RunSender();
}
