// Copyright 2026 The sluice Authors.
//
// cold_read_bench: what one cold transfer does to the hot ones on the same
// engine. `--hot` loopback TCP connections each send a page-cached file in
// a loop; after `--baseline`, one more connection sends `--cold-file`, just
// evicted from the page cache (POSIX_FADV_DONTNEED), for at most `--during`
// (or until it ends). Prints one line: hot transfers/s before and during
// the cold transfer, the longest gap between hot completions in each
// window, the cold bytes sent, and the engine's stall meter. Run it in a
// cgroup whose reads are throttled to stand in for slow storage:
// bench/cold_reads.sh does, for every backend and data path.
//
//   build/bench/cold_read_bench --backend=iouring --cold-file=/var/tmp/cold

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "flags/byte_size.h"
#include "flags/flag_names.h"
#include "net/address.h"
#include "net/discard_sink.h"
#include "net/socket_pairs.h"
#include "pattern/pattern_file.h"
#include "posix/unique_fd.h"
#include "sluice/engine.h"

ABSL_FLAG(std::string, backend, "iouring", "iouring, sendfile or readsend");
ABSL_FLAG(std::string, uring_path, "auto",
          "io_uring data path: auto, sendfile, splice, copy");
ABSL_FLAG(bool, avoid_cold_reads, true, "EngineOptions::avoid_cold_reads");
ABSL_FLAG(int, hot, 64, "hot connections");
ABSL_FLAG(std::string, hot_size, "64KiB", "size of the hot file");
ABSL_FLAG(std::string, cold_file, "/var/tmp/sluice-cold.bin",
          "the cold file; made (pattern bytes, synced) if missing or of "
          "another size");
ABSL_FLAG(std::string, cold_size, "1GiB", "size of the cold file");
ABSL_FLAG(absl::Duration, baseline, absl::Seconds(4),
          "hot-only window (its first half is not measured)");
ABSL_FLAG(absl::Duration, during, absl::Seconds(5),
          "longest window with the cold transfer");
ABSL_FLAG(std::string, label, "", "first column of the output line");
ABSL_FLAG(bool, evict, true,
          "evict the cold file first (false: a control run, the same large "
          "transfer from the page cache)");

namespace sluice {
namespace {

// Hot completions of one window.
struct Window {
  absl::Time start;
  absl::Time last;
  uint64_t completions = 0;
  absl::Duration longest_gap = absl::ZeroDuration();

  void Complete(absl::Time now) {
    longest_gap = std::max(longest_gap, now - last);
    last = now;
    ++completions;
  }
  double Rate(absl::Time end) const {
    return double(completions) / absl::ToDoubleSeconds(end - start);
  }
};

absl::StatusOr<tools::UniqueFd> ColdFile(const std::string& path,
                                         uint64_t size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || uint64_t(st.st_size) != size) {
    tools::UniqueFd out(
        ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644));
    if (!out.valid()) return absl::ErrnoToStatus(errno, "create " + path);
    if (absl::Status written = tools::WritePattern(out.get(), size);
        !written.ok()) {
      return written;
    }
    // Clean pages can be evicted; dirty ones cannot.
    if (::fsync(out.get()) != 0) return absl::ErrnoToStatus(errno, "fsync");
  }
  tools::UniqueFd in(::open(path.c_str(), O_RDONLY));
  if (!in.valid()) return absl::ErrnoToStatus(errno, "open " + path);
  return in;
}

int Run() {
  absl::StatusOr<BackendKind> backend =
      ParseBackendKind(absl::GetFlag(FLAGS_backend));
  absl::StatusOr<DataPath> path =
      ParseDataPath(absl::GetFlag(FLAGS_uring_path));
  uint64_t hot_size = 0, cold_size = 0;
  if (!backend.ok() || !path.ok() ||
      !tools::ParseByteSize(absl::GetFlag(FLAGS_hot_size), hot_size) ||
      !tools::ParseByteSize(absl::GetFlag(FLAGS_cold_size), cold_size) ||
      absl::GetFlag(FLAGS_hot) <= 0) {
    std::fprintf(stderr, "cold_read_bench: bad flags (see --help)\n");
    return 2;
  }
  absl::StatusOr<tools::UniqueFd> hot = tools::MakeCachedPatternFile(hot_size);
  absl::StatusOr<tools::UniqueFd> cold =
      ColdFile(absl::GetFlag(FLAGS_cold_file), cold_size);
  if (!hot.ok() || !cold.ok()) {
    std::fprintf(stderr, "cold_read_bench: %s\n",
                 (!hot.ok() ? hot.status() : cold.status()).ToString().c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_evict)) {
    ::posix_fadvise(cold->get(), 0, 0, POSIX_FADV_DONTNEED);
  }

  const int hot_count = absl::GetFlag(FLAGS_hot);
  absl::StatusOr<std::vector<tools::SocketPair>> pairs =
      tools::ConnectedPairs(*tools::ParseAddress("127.0.0.1:0"), hot_count + 1);
  if (!pairs.ok()) {
    std::fprintf(stderr, "cold_read_bench: %s\n",
                 pairs.status().ToString().c_str());
    return 1;
  }
  EngineOptions options{
      .backend = *backend,
      .avoid_cold_reads = absl::GetFlag(FLAGS_avoid_cold_reads),
      .uring_data_path = *path};
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  if (!engine.ok()) {
    std::fprintf(stderr, "cold_read_bench: %s\n",
                 engine.status().ToString().c_str());
    return 1;
  }
  tools::DiscardSink sink(tools::Receivers(*pairs), 1);

  Window baseline{.start = absl::Now(), .last = absl::Now()};
  Window during;
  Window* window = &baseline;
  bool stopping = false;
  // Each hot connection sends the hot file again as soon as it is done.
  std::function<void(int)> send_hot = [&](int i) {
    absl::StatusOr<TransferId> id = (*engine)->Submit(
        {.socket_fd = (*pairs)[i].sender.get(), .file_fd = hot->get()},
        [&, i](TransferId, const TransferResult& r) {
          if (!r.status.ok()) {
            std::fprintf(stderr, "hot transfer failed: %s\n",
                         r.status.ToString().c_str());
            return;
          }
          window->Complete(absl::Now());
          if (!stopping) send_hot(i);
        });
    if (!id.ok()) std::fprintf(stderr, "%s\n", id.status().ToString().c_str());
  };
  for (int i = 0; i < hot_count; ++i) send_hot(i);

  // The first half of the baseline warms up (connections, TCP windows);
  // the second half is measured.
  Window warm_up = baseline;
  window = &warm_up;
  const absl::Time measure_at =
      baseline.start + absl::GetFlag(FLAGS_baseline) / 2;
  while (absl::Now() < measure_at) {
    (void)(*engine)->Poll(measure_at - absl::Now());
  }
  baseline.start = baseline.last = absl::Now();
  window = &baseline;
  const absl::Time cold_at = warm_up.start + absl::GetFlag(FLAGS_baseline);
  while (absl::Now() < cold_at) (void)(*engine)->Poll(cold_at - absl::Now());

  const EngineStats before = (*engine)->stats();
  std::optional<TransferResult> cold_result;
  const absl::Time cold_start = absl::Now();
  during.start = during.last = cold_start;
  window = &during;
  absl::StatusOr<TransferId> cold_id = (*engine)->Submit(
      {.socket_fd = (*pairs)[hot_count].sender.get(), .file_fd = cold->get()},
      [&](TransferId, const TransferResult& r) { cold_result = r; });
  if (!cold_id.ok()) {
    std::fprintf(stderr, "%s\n", cold_id.status().ToString().c_str());
    return 1;
  }
  const absl::Time give_up = cold_start + absl::GetFlag(FLAGS_during);
  while (!cold_result.has_value() && absl::Now() < give_up) {
    (void)(*engine)->Poll(give_up - absl::Now());
  }
  const absl::Time cold_end = absl::Now();
  const EngineStats after = (*engine)->stats();
  (*engine)->Cancel(*cold_id);
  stopping = true;
  while ((*engine)->live_transfers() > 0) {
    (void)(*engine)->Poll(absl::Milliseconds(100));
  }
  for (tools::SocketPair& pair : *pairs) pair.sender.reset();
  sink.Join();

  const double before_rate = baseline.Rate(cold_start);
  const double during_rate = during.Rate(cold_end);
  std::printf(
      "%-28s %10.0f %10.0f %6.2fx %8.1f %8.1f %10.1f %9llu %8.1f\n",
      absl::GetFlag(FLAGS_label).c_str(), before_rate, during_rate,
      during_rate / before_rate,
      absl::ToDoubleMilliseconds(baseline.longest_gap),
      absl::ToDoubleMilliseconds(during.longest_gap),
      double(cold_result.has_value() ? cold_result->bytes_sent : 0) / 1e6,
      static_cast<unsigned long long>(after.cold_pushes - before.cold_pushes),
      double(after.longest_call_ns) / 1e6);
  return 0;
}

}  // namespace
}  // namespace sluice

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "what one cold transfer does to the hot ones on one engine");
  std::vector<char*> args = sluice::tools::NormalizeFlagNames(argc, argv);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  return sluice::Run();
}
