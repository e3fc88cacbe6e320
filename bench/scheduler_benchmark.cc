// Copyright 2026 The sluice Authors.
//
// The engine's own overhead, apart from the kernel's: the scheduler driving
// a backend that moves every push at once without a system call.
//
//   bench/scheduler_benchmark --benchmark_min_time=0.5

#include <vector>

#include "benchmark/benchmark.h"
#include "engine/backend.h"
#include "engine/clock.h"
#include "engine/scheduler.h"
#include "engine/timer_heap.h"

namespace sluice::internal {
namespace {

// Moves everything each push offers, at the next Wait().
class InstantBackend final : public Backend {
 public:
  BackendKind kind() const override { return BackendKind::kSendfile; }
  BackendHandle Open(TransferId, const TransferEndpoints&) override {
    return BackendHandle();
  }
  void Push(BackendHandle, const PushRequest& request) override {
    PushOutcome outcome;
    outcome.id = request.id;
    outcome.header_bytes = request.header.size();
    outcome.file_bytes = request.file_budget;
    outcome.trailer_bytes = request.trailer.size();
    outcome.carrier = BackendKind::kSendfile;
    ready_.push_back(outcome);
  }
  void Cancel(BackendHandle) override {}
  void Close(BackendHandle) override {}
  absl::Status Wait(absl::Duration, std::vector<PushOutcome>& out) override {
    out.insert(out.end(), ready_.begin(), ready_.end());
    ready_.clear();
    return absl::OkStatus();
  }
  absl::StatusOr<int> WakeFd() override {
    return absl::UnimplementedError("no wake fd");
  }

 private:
  std::vector<PushOutcome> ready_;
};

TransferPlan SmallPlan(bool timers) {
  TransferPlan plan;
  plan.endpoints.socket_fd = 3;
  plan.endpoints.file_fd = 4;
  plan.length = 16 * 1024;
  plan.length_promised = true;
  plan.header = std::string(200, 'h');
  if (timers) {
    plan.idle_timeout = absl::Seconds(30);
    plan.deadline = absl::Now() + absl::Hours(1);
  }
  return plan;
}

// Submit, one push, completion and callback for a batch of transfers: the
// scheduler's cost per transfer, with and without armed timers.
void BM_Scheduler_SubmitComplete(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const bool timers = state.range(1) != 0;
  InstantBackend backend;
  RealClock clock;
  KernelSendQueue send_queue;
  KernelSocketPacer pacer;
  EngineStats stats;
  Scheduler scheduler(backend, clock, send_queue, pacer, SchedulerOptions{},
                      stats);
  int done = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      (void)scheduler.Submit(
          SmallPlan(timers),
          [&done](TransferId, const TransferResult&) { ++done; });
    }
    while (scheduler.live() > 0) (void)scheduler.Turn(absl::ZeroDuration());
  }
  benchmark::DoNotOptimize(done);
  state.SetItemsProcessed(state.iterations() * batch);
}
BENCHMARK(BM_Scheduler_SubmitComplete)
    ->ArgNames({"batch", "timers"})
    ->Args({1, 0})
    ->Args({1024, 0})
    ->Args({1024, 1});

// Arming and cancelling timers among `n` live ones.
void BM_TimerHeap_SetRemove(benchmark::State& state) {
  const uint32_t n = static_cast<uint32_t>(state.range(0));
  TimerHeap heap;
  const absl::Time base = absl::Now();
  for (uint32_t i = 0; i < n; ++i) heap.Set(i, base + absl::Milliseconds(i));
  uint32_t slot = 0;
  for (auto _ : state) {
    heap.Remove(slot);
    heap.Set(slot, base + absl::Milliseconds((slot * 7919) % n));
    slot = (slot + 1) % n;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TimerHeap_SetRemove)->Arg(1024)->Arg(65536);

}  // namespace
}  // namespace sluice::internal

BENCHMARK_MAIN();
