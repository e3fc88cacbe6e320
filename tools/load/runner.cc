// Copyright 2026 The sluice Authors.

#include "load/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "load/frame.h"
#include "load/latency_histogram.h"
#include "process/cpu_time.h"

namespace sluice::load {
namespace {

struct Connection {
  tools::UniqueFd fd;
  bool alive = true;
  // Its index in EngineOptions::traffic_classes, if there are any.
  size_t traffic_class = 0;
};

// What one sender thread did.
struct ThreadResult {
  uint64_t bytes = 0;
  uint64_t file_bytes = 0;
  uint64_t transfers = 0;
  // Nanoseconds from Submit() to the callback, of the transfers that ended
  // OK, hot and cold apart.
  LatencyHistogram latencies_ns;
  LatencyHistogram cold_latencies_ns;
  uint64_t cold_bytes = 0;
  // Per traffic class (bytes and transfers only), and with a max_rate the
  // bytes/s each transfer that ended OK delivered.
  std::vector<ClassResult> classes;
  LatencyHistogram rates;
  std::map<std::string, uint64_t> errors;
  EngineStats stats;
  absl::Status failure;
};

double PercentileMicros(const LatencyHistogram& histogram, double q) {
  return histogram.Percentile(q) / 1000;
}

// Drives `connections` with one engine until the round's end.
void SendLoop(const RoundConfig& config, std::vector<Connection*> connections,
              uint64_t seed, absl::Time end, std::atomic<uint64_t>& started,
              Progress& progress, ThreadResult& out) {
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(config.engine);
  if (!engine.ok()) {
    out.failure = engine.status();
    return;
  }
  std::mt19937_64 rng(seed);
  const std::vector<TrafficClass>& traffic_classes =
      config.engine.traffic_classes;
  out.classes.resize(traffic_classes.size());
  const auto more = [&] {
    if (config.transfers > 0) {
      return started.fetch_add(1, std::memory_order_relaxed) < config.transfers;
    }
    return absl::Now() < end;
  };
  std::function<void(Connection&)> send_next = [&](Connection& c) {
    if (!more()) {
      ::shutdown(c.fd.get(), SHUT_WR);
      return;
    }
    const Pick pick = config.objects->Choose(config.offset_mode, rng);
    const int file_fd = config.objects->objects()[pick.object].fd;
    const bool cold = config.cold_fraction > 0 &&
                      std::uniform_real_distribution<double>(0, 1)(rng) <
                          config.cold_fraction;
    if (cold) {
      // Only clean pages can be evicted: written objects are synced first
      // (a no-op once they are).
      ::fdatasync(file_fd);
      ::posix_fadvise(file_fd, static_cast<off_t>(pick.offset),
                      static_cast<off_t>(pick.count), POSIX_FADV_DONTNEED);
    }
    TransferSpec spec;
    spec.socket_fd = c.fd.get();
    spec.file_fd = file_fd;
    spec.offset = pick.offset;
    spec.count = pick.count;
    spec.idle_timeout = absl::Seconds(30);
    spec.max_rate = config.max_rate;
    if (!traffic_classes.empty()) {
      spec.traffic_class = traffic_classes[c.traffic_class].name;
    }
    spec.header = config.framed ? MakeHead({pick.object, pick.offset,
                                            pick.count, config.header_bytes})
                                : MakePlainHead(config.header_bytes);
    const absl::Time submitted = absl::Now();
    absl::StatusOr<TransferId> id = (*engine)->Submit(
        std::move(spec),
        [&, submitted, cold](TransferId, const TransferResult& r) {
          const uint64_t bytes =
              r.header_bytes_sent + r.bytes_sent + r.trailer_bytes_sent;
          out.bytes += bytes;
          out.file_bytes += r.bytes_sent;
          if (!out.classes.empty()) out.classes[c.traffic_class].bytes += bytes;
          progress.bytes.fetch_add(bytes, std::memory_order_relaxed);
          if (!r.status.ok()) {
            ++out.errors[absl::StatusCodeToString(r.status.code())];
            progress.errors.fetch_add(1, std::memory_order_relaxed);
            c.alive = false;
            ::shutdown(c.fd.get(), SHUT_WR);
            return;
          }
          ++out.transfers;
          progress.transfers.fetch_add(1, std::memory_order_relaxed);
          out.cold_bytes += r.cold_bytes;
          if (!out.classes.empty()) ++out.classes[c.traffic_class].transfers;
          const int64_t ns = std::max<int64_t>(
              0, absl::ToInt64Nanoseconds(absl::Now() - submitted));
          (cold ? out.cold_latencies_ns : out.latencies_ns)
              .Record(static_cast<uint64_t>(ns));
          if (config.max_rate.has_value() && ns > 0) {
            out.rates.Record(
                static_cast<uint64_t>(static_cast<double>(r.bytes_sent) * 1e9 /
                                      static_cast<double>(ns)));
          }
          send_next(c);
        });
    if (!id.ok()) {
      ++out.errors[absl::StatusCodeToString(id.status().code())];
      c.alive = false;
      ::shutdown(c.fd.get(), SHUT_WR);
    }
  };
  // Registered before the first Submit() and forgotten once no transfer
  // runs: each fd is checked once per round instead of once per transfer.
  std::vector<int> registered;
  if (config.register_fds) {
    for (const Connection* c : connections) registered.push_back(c->fd.get());
    for (const auto& object : config.objects->objects()) {
      registered.push_back(object.fd);
    }
    for (const int fd : registered) {
      if (absl::Status ok = (*engine)->RegisterFd(fd); !ok.ok()) {
        out.failure = ok;
        return;
      }
    }
  }
  for (Connection* c : connections) send_next(*c);
  if (absl::Status ran = (*engine)->Run(); !ran.ok()) out.failure = ran;
  for (const int fd : registered) (*engine)->ForgetFd(fd);
  out.stats = (*engine)->stats();
}

// Reads the sink's Ack for a connection whose sending side is shut down.
bool ReadAck(int fd, Ack& ack) {
  std::array<char, kAckBytes> wire;
  size_t got = 0;
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (got < wire.size() && absl::Now() < give_up) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, wire.data() + got, wire.size() - got, 0);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  if (got != wire.size()) return false;
  ack = DecodeAck(wire);
  return true;
}

// For a sink that sends no Ack: waits (until `give_up`) for it to close a
// connection whose sending side is shut down, so that it has read every
// byte before the fd is closed here, dropping whatever it sends.
void AwaitClose(int fd, absl::Time give_up) {
  char scrap[4096];
  while (absl::Now() < give_up) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, scrap, sizeof(scrap), 0);
    if (n == 0 || (n < 0 && errno != EINTR)) return;
  }
}

}  // namespace

const char* ReconciliationName(Reconciliation r) {
  switch (r) {
    case Reconciliation::kReconciled:
      return "reconciled";
    case Reconciliation::kFailed:
      return "failed";
    case Reconciliation::kUnreconciled:
      return "unreconciled";
  }
  return "?";
}

absl::StatusOr<RoundResult> RunRound(const RoundConfig& config,
                                     Progress& progress) {
  std::vector<Connection> connections(config.connections);
  for (Connection& c : connections) {
    absl::StatusOr<tools::UniqueFd> fd = Connect(config.target);
    if (!fd.ok()) return fd.status();
    c.fd = *std::move(fd);
  }
  const int threads = std::max(1, std::min(config.threads, config.connections));
  std::vector<std::vector<Connection*>> shares(threads);
  const size_t classes = config.engine.traffic_classes.size();
  for (size_t i = 0; i < connections.size(); ++i) {
    std::vector<Connection*>& share = shares[i % threads];
    // Round robin within each thread, not over all connections: with
    // i % K, two threads and two classes would give each engine one class,
    // and nothing to share.
    if (classes > 0) connections[i].traffic_class = share.size() % classes;
    share.push_back(&connections[i]);
  }

  std::vector<ThreadResult> results(threads);
  std::atomic<uint64_t> started{0};
  const double cpu_start = tools::ProcessCpuSeconds();
  const double sink_cpu_start =
      config.local_sink != nullptr ? config.local_sink->cpu_seconds() : 0;
  const absl::Time start = absl::Now();
  const absl::Time end = start + config.duration;
  {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        SendLoop(config, shares[t], config.seed * 7919 + t, end, started,
                 progress, results[t]);
      });
    }
    for (std::thread& worker : workers) worker.join();
  }
  RoundResult round;
  round.backend = config.engine.backend;
  round.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  round.cpu_seconds = tools::ProcessCpuSeconds() - cpu_start;
  if (config.local_sink != nullptr) {
    round.cpu_seconds -= config.local_sink->cpu_seconds() - sink_cpu_start;
  }

  LatencyHistogram latencies;
  LatencyHistogram cold_latencies;
  LatencyHistogram rates;
  for (const TrafficClass& c : config.engine.traffic_classes) {
    round.classes.push_back({.name = c.name, .weight = c.weight});
  }
  for (ThreadResult& r : results) {
    if (!r.failure.ok()) return r.failure;
    round.bytes += r.bytes;
    round.file_bytes += r.file_bytes;
    round.transfers += r.transfers;
    // Submit()'s fd checks too: registration saves exactly those.
    round.syscalls += r.stats.syscalls + r.stats.submit_syscalls;
    round.submits += r.stats.submits;
    round.sqes += r.stats.sqes;
    round.backend = config.engine.backend;
    for (const auto& [code, count] : r.errors) round.errors[code] += count;
    latencies.Merge(r.latencies_ns);
    cold_latencies.Merge(r.cold_latencies_ns);
    round.cold_bytes += r.cold_bytes;
    for (size_t k = 0; k < r.classes.size(); ++k) {
      round.classes[k].bytes += r.classes[k].bytes;
      round.classes[k].transfers += r.classes[k].transfers;
    }
    rates.Merge(r.rates);
    round.rate_waits += r.stats.rate_waits;
    round.paced_transfers += r.stats.paced_transfers;
    round.longest_call_ns =
        std::max(round.longest_call_ns, r.stats.longest_call_ns);
  }
  round.cold_transfers = cold_latencies.count();
  round.cold_latency_p50_us = PercentileMicros(cold_latencies, 0.5);
  round.cold_latency_p99_us = PercentileMicros(cold_latencies, 0.99);
  round.latency_p50_us = PercentileMicros(latencies, 0.5);
  round.latency_p99_us = PercentileMicros(latencies, 0.99);
  round.latency_p999_us = PercentileMicros(latencies, 0.999);
  round.max_rate = config.max_rate;
  round.rate_samples = rates.count();
  round.rate_p10_bytes_per_s = rates.Percentile(0.1);
  round.rate_p50_bytes_per_s = rates.Percentile(0.5);
  round.rate_p90_bytes_per_s = rates.Percentile(0.9);

  if (!config.sink_ack) {
    for (Connection& c : connections) ::shutdown(c.fd.get(), SHUT_WR);
    const absl::Time give_up = absl::Now() + absl::Seconds(5);
    for (Connection& c : connections) {
      AwaitClose(c.fd.get(), give_up);
      c.fd.reset();
    }
    round.reconciliation = Reconciliation::kUnreconciled;
    return round;
  }
  for (Connection& c : connections) {
    ::shutdown(c.fd.get(), SHUT_WR);
    Ack ack;
    if (ReadAck(c.fd.get(), ack)) {
      round.acked.bytes += ack.bytes;
      round.acked.frames += ack.frames;
      round.acked.mismatched_bytes += ack.mismatched_bytes;
    } else {
      ++round.missing_acks;
    }
    c.fd.reset();
  }
  round.reconciliation = round.missing_acks == 0 &&
                                 round.acked.bytes == round.bytes &&
                                 round.acked.mismatched_bytes == 0
                             ? Reconciliation::kReconciled
                             : Reconciliation::kFailed;
  return round;
}

}  // namespace sluice::load
