// Copyright 2026 The sluice Authors.
//
// Fuzzes the Scheduler (engine/scheduler.h) with its policies — maximum
// rates, traffic classes by deficit round robin, a turn budget and the
// engine's ceiling — against an in-process backend whose pushes move a
// fuzzed share of their budget, on fake time. The input picks the options
// (quanta, weights and budgets up to 2^64 - 1 among them) and a sequence of
// submits, turns, cancels and clock steps. Checked:
// - every accepted transfer's callback runs exactly once, never for a
//   refused one;
// - no push offers more file bytes than a quantum or than are left, and
//   the trailer rides only the push that may reach the file's end;
// - a result is exact: OK means every header, file and trailer byte was
//   moved; otherwise no more than the push outcomes moved;
// - no transfer moves faster than its maximum rate allows (two steps of
//   credit, plus what the allowance let through at full speed);
// - whatever the options, once the backend moves everything it is offered
//   every transfer ends within a bounded number of turns (no turn that
//   serves nothing forever, no transfer left waiting on a lost timer).
//
// Input (bytes past the end read as 0): [0] quantum choice, [1] classes
// and weights, [2] turn budget choice, [3] engine ceiling choice, then
// operations of 1 + 4 bytes each; see Run().

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/backend.h"
#include "engine/clock.h"
#include "engine/scheduler.h"
#include "engine/send_queue.h"
#include "engine/socket_pacer.h"
#include "sluice/stats.h"
#include "sluice/transfer.h"
#include "tests/fuzz/fuzz_check.h"

namespace sluice::internal {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

class Clock final : public internal::Clock {
 public:
  absl::Time Now() override { return now_; }
  absl::Time WallNow() override { return now_; }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1000);
};

class NoQueue final : public SendQueue {
 public:
  std::optional<uint64_t> Queued(int) override { return std::nullopt; }
  TcpSendState Tcp(int) override { return {}; }
};

class Pacer final : public SocketPacer {
 public:
  std::optional<uint64_t> Pace(int, uint64_t) override { return kMax; }
  void Restore(int, uint64_t) override {}
};

// What the test knows of a transfer it submitted.
struct Expected {
  uint64_t length = 0;
  size_t header = 0;
  size_t trailer = 0;
  std::optional<MaxRate> rate;
  uint64_t moved = 0;  // file bytes the backend reported
  int callbacks = 0;
  bool ended_ok = false;
};

// Pushes wait until Wait(); each then moves `share`/255 of its offer (at
// least one byte of a non-empty offer), or everything.
class Backend final : public internal::Backend {
 public:
  explicit Backend(Clock& clock, uint64_t quantum,
                   absl::flat_hash_map<uint64_t, Expected>& expected)
      : clock_(clock), quantum_(quantum), expected_(expected) {}

  BackendKind kind() const override { return BackendKind::kSendfile; }
  BackendHandle Open(TransferId id, const TransferEndpoints&) override {
    handles_.push_back(id);
    return BackendHandle(static_cast<uint32_t>(handles_.size() - 1));
  }
  void Push(BackendHandle handle, const PushRequest& request) override {
    SLUICE_FUZZ_CHECK(handles_[handle.index()] == request.id);
    const Expected& e = expected_[request.id.value()];
    SLUICE_FUZZ_CHECK(request.file_budget <= quantum_);
    SLUICE_FUZZ_CHECK(request.file_budget <= e.length - e.moved);
    SLUICE_FUZZ_CHECK(request.trailer.empty() ||
                      request.file_budget == e.length - e.moved);
    pending_.push_back(request);
  }
  void Cancel(BackendHandle handle) override {
    cancelled_.push_back(handles_[handle.index()]);
  }
  void Close(BackendHandle) override {}
  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override {
    for (const TransferId id : cancelled_) {
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (it->id == id) {
          outcomes.push_back({.id = id, .cancelled = true});
          pending_.erase(it);
          break;
        }
      }
    }
    cancelled_.clear();
    for (const PushRequest& request : pending_) {
      PushOutcome outcome;
      outcome.id = request.id;
      outcome.header_bytes = request.header.size();
      outcome.file_bytes =
          share_ == 255 || request.file_budget == 0
              ? request.file_budget
              : std::max<uint64_t>(1, request.file_budget * share_ / 255);
      if (outcome.file_bytes == request.file_budget) {
        outcome.trailer_bytes = request.trailer.size();
      }
      expected_[request.id.value()].moved += outcome.file_bytes;
      outcomes.push_back(outcome);
    }
    pending_.clear();
    // Nothing to report: time passes as long as the scheduler asked to
    // wait, as on a host whose sockets stay quiet.
    if (outcomes.empty() && timeout != absl::InfiniteDuration()) {
      clock_.Advance(timeout);
    }
    return absl::OkStatus();
  }
  absl::StatusOr<int> WakeFd() override {
    return absl::UnimplementedError("none");
  }
  void set_share(uint8_t share) { share_ = share; }

 private:
  Clock& clock_;
  const uint64_t quantum_;
  absl::flat_hash_map<uint64_t, Expected>& expected_;
  std::vector<TransferId> handles_;
  std::vector<PushRequest> pending_;
  std::vector<TransferId> cancelled_;
  uint8_t share_ = 255;
};

struct Input {
  absl::string_view data;
  size_t at = 0;
  uint8_t Byte() { return at < data.size() ? data[at++] : (at++, 0); }
  bool done() const { return at >= data.size(); }
};

uint64_t Quantum(uint8_t choice) {
  switch (choice % 5) {
    case 0:
      return 1000;
    case 1:
      return 512 * 1024;
    case 2:
      return 1;
    case 3:
      return uint64_t{1} << 63;
    default:
      return kMax;
  }
}

uint64_t Budget(uint8_t choice) {
  switch (choice % 5) {
    case 0:
      return 0;
    case 1:
      return 4096;
    case 2:
      return 1;
    case 3:
      return uint64_t{1} << 63;
    default:
      return kMax;
  }
}

// Rates from 1 KiB/s (steps of 1 KiB: slower ones would need more turns
// than a run can afford to finish) to no limit at all.
uint64_t Rate(uint8_t choice) {
  switch (choice % 5) {
    case 0:
      return 0;
    case 1:
      return 1024;
    case 2:
      return 64 * 1024;
    case 3:
      return 100 * 1024 * 1024;
    default:
      return kMax;
  }
}

void Run(Input& in) {
  const uint64_t quantum = Quantum(in.Byte());
  const uint8_t class_byte = in.Byte();
  std::vector<uint32_t> weights = {1};
  for (int i = 0; i < class_byte % 3; ++i) {
    weights.push_back((class_byte >> (2 + i)) & 1 ? ~uint32_t{0} : 3u);
  }
  const uint64_t turn_bytes = Budget(in.Byte());
  const uint64_t max_rate = Rate(in.Byte());

  absl::flat_hash_map<uint64_t, Expected> expected;
  Clock clock;
  NoQueue queue;
  Pacer pacer;
  EngineStats stats;
  Backend backend(clock, quantum, expected);
  Scheduler scheduler(backend, clock, queue, pacer,
                      {.quantum_bytes = quantum,
                       .class_weights = weights,
                       .turn_bytes = turn_bytes,
                       .max_rate = max_rate},
                      stats);
  const absl::Time start = clock.Now();
  std::vector<TransferId> ids;
  int next_fd = 100;
  int operations = 0;
  while (!in.done() && operations++ < 200) {
    const uint8_t op = in.Byte();
    const uint8_t a = in.Byte();
    const uint8_t b = in.Byte();
    const uint8_t c = in.Byte();
    const uint8_t d = in.Byte();
    switch (op % 6) {
      case 0: {
        if (ids.size() >= 32) break;
        TransferPlan plan;
        plan.endpoints.socket_fd = next_fd++;
        plan.length = 1 + (uint64_t{a} << 8 | b) * (1 + c % 4);
        plan.length_promised = true;
        plan.header = std::string(d % 5, 'h');
        plan.trailer = std::string(d / 64, 't');
        plan.traffic_class = c / 4 % (weights.size() + (d == 255 ? 1 : 0));
        if (c & 0x80) {
          plan.max_rate = MaxRate{.bytes_per_second = Rate(1 + a % 4),
                                  .after_bytes = uint64_t{b} * 97};
        }
        Expected e{.length = *plan.length,
                   .header = plan.header.size(),
                   .trailer = plan.trailer.size(),
                   .rate = plan.max_rate};
        absl::StatusOr<TransferId> id = scheduler.Submit(
            std::move(plan),
            [&expected](TransferId id, const TransferResult& result) {
              Expected& e = expected[id.value()];
              ++e.callbacks;
              SLUICE_FUZZ_CHECK(result.bytes_sent <= e.moved);
              if (result.status.ok()) {
                SLUICE_FUZZ_CHECK(result.bytes_sent == e.length);
                SLUICE_FUZZ_CHECK(result.header_bytes_sent == e.header);
                SLUICE_FUZZ_CHECK(result.trailer_bytes_sent == e.trailer);
                e.ended_ok = true;
              }
            });
        if (id.ok()) {
          expected[id->value()] = e;
          ids.push_back(*id);
        }
        break;
      }
      case 1:
        backend.set_share(a);
        (void)scheduler.Turn(absl::ZeroDuration());
        break;
      case 2:
        backend.set_share(a);
        (void)scheduler.Turn(absl::InfiniteDuration());
        break;
      case 3:
        if (!ids.empty()) scheduler.Cancel(ids[a % ids.size()]);
        break;
      case 4:
        clock.Advance(absl::Milliseconds(a));
        break;
      default:
        backend.set_share(a);
        (void)scheduler.Turn(absl::Milliseconds(b));
        break;
    }
  }
  // Everything moves now: every transfer must end, and soon. The bound is
  // generous for the largest input (32 transfers of 1 MiB in 1-byte quanta
  // would need more, so those are left alone: a quantum of 1 is only run
  // to its first ending).
  backend.set_share(255);
  const int turns = quantum == 1 ? 0 : 200000;
  for (int i = 0; i < turns && scheduler.live() > 0; ++i) {
    (void)scheduler.Turn(absl::InfiniteDuration());
  }
  SLUICE_FUZZ_CHECK(quantum == 1 || scheduler.live() == 0);
  scheduler.CancelAll();
  for (int i = 0; i < 100 && scheduler.live() > 0; ++i) {
    (void)scheduler.Turn(absl::ZeroDuration());
  }
  SLUICE_FUZZ_CHECK(scheduler.live() == 0);
  const double seconds = absl::ToDoubleSeconds(clock.Now() - start);
  for (const auto& [id, e] : expected) {
    SLUICE_FUZZ_CHECK(e.callbacks == 1);
    if (!e.rate.has_value() || e.rate->bytes_per_second == kMax) continue;
    // The bucket: two steps of credit (a step is 20 ms of the rate, or
    // 1 KiB), the rate over the time that passed, and the allowance at full
    // speed.
    const double rate = static_cast<double>(e.rate->bytes_per_second);
    const double most = 2.0 * std::max(1024.0, rate * 0.02) + rate * seconds +
                        static_cast<double>(e.rate->after_bytes);
    SLUICE_FUZZ_CHECK(static_cast<double>(e.moved) <= most);
  }
}

}  // namespace
}  // namespace sluice::internal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::internal::Input in{
      absl::string_view(reinterpret_cast<const char*>(data), size)};
  sluice::internal::Run(in);
  return 0;
}
