// Copyright 2026 The sluice Authors.
//
// Scheduler: the bookkeeping of every transfer of one engine, whatever
// backend moves its bytes.
//
// It owns the transfer table (ids carry a generation, so a stale id never
// names a reused slot), admission (at most `max_active` transfers run; the
// rest wait in FIFO order), the run queue (every runnable transfer is pushed
// once per turn with at most `quantum_bytes` of file data, so a huge
// transfer cannot starve small ones; with a turn budget, by weighted
// classes: fair_queue.h), the maximum rate (a token bucket per transfer:
// rate_bucket.h; a transfer that spent it waits on its timer), the idle,
// deadline, minimum-rate and rate timers (one heap entry per transfer, at
// the earliest of them; the nearest bounds how long a turn waits),
// cancellation, and the header -> file -> trailer phases. Its timers run on
// the Clock's monotonic time (see clock.h). It reads time only through a
// Clock and talks to the OS only through a Backend, a SendQueue and a
// SocketPacer, so it is tested on fake time against a fake backend.

#ifndef SLUICE_ENGINE_SCHEDULER_H_
#define SLUICE_ENGINE_SCHEDULER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/backend.h"
#include "engine/clock.h"
#include "engine/fair_queue.h"
#include "engine/min_rate_window.h"
#include "engine/rate_bucket.h"
#include "engine/send_queue.h"
#include "engine/socket_pacer.h"
#include "engine/timer_heap.h"
#include "sluice/stats.h"
#include "sluice/transfer.h"

namespace sluice::internal {

// Transfer ids are (generation << 32 | slot): the scheduler's own layout,
// which nothing outside it decodes.
inline uint32_t SlotOf(TransferId id) {
  return static_cast<uint32_t>(id.value());
}

// A transfer as the scheduler runs it: the user's spec, checked and resolved
// against the file (see transfer_plan.h).
struct TransferPlan {
  TransferEndpoints endpoints;
  std::string header;
  std::string trailer;
  uint64_t offset = 0;
  // File bytes to send; absent: until the source reports EOF.
  std::optional<uint64_t> length;
  // The user promised `length` (gave a count): a source that ends first makes
  // the transfer OutOfRange rather than OK.
  bool length_promised = false;
  absl::Duration idle_timeout = absl::InfiniteDuration();
  // On the wall clock, as the user gave it; Submit() moves it onto the
  // clock's monotonic timeline, where every timer runs.
  absl::Time deadline = absl::InfiniteFuture();
  std::optional<MinRate> min_rate;
  std::optional<MaxRate> max_rate;
  // Its class's number in SchedulerOptions::class_weights.
  uint32_t traffic_class = 0;
  // Sample the socket's TCP send state at admission and at the end (see
  // TransferSpec::report_delivery).
  bool report_delivery = false;
};

struct SchedulerOptions {
  uint64_t quantum_bytes = 512 * 1024;
  size_t max_active = 65536;
  // One weight per traffic class, class 0 first (the default class); empty:
  // one class. See EngineOptions::traffic_classes.
  std::vector<uint32_t> class_weights = {};
  // File bytes one turn hands out; 0: no bound.
  uint64_t turn_bytes = 0;
  // File bytes per second over every transfer; 0: no ceiling.
  uint64_t max_rate = 0;
};

class Scheduler {
 public:
  // `backend`, `clock`, `send_queue`, `pacer` and `stats` must outlive the
  // scheduler.
  Scheduler(Backend& backend, Clock& clock, SendQueue& send_queue,
            SocketPacer& pacer, const SchedulerOptions& options,
            EngineStats& stats);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a transfer; `done` runs exactly once, from a later Turn().
  // InvalidArgument for an empty callback, a zero promised length, a
  // minimum or maximum rate CheckMinRate() or CheckMaxRate() refuses, or a
  // traffic class the options do not have.
  [[nodiscard]] absl::StatusOr<TransferId> Submit(TransferPlan plan,
                                                  DoneCallback done);

  // Ends a live transfer with Cancelled (once its pending push is back).
  // False if `id` names no live transfer.
  bool Cancel(TransferId id);
  void CancelAll();
  // For when the backend can no longer report its pushes (its waiter broke
  // for good): runs every live transfer's callback now. Those with no push
  // out end Cancelled, exact, as usual; those with one end Internal, with
  // `why` and the bytes confirmed before it, and are never handed back to
  // the backend, whose requests may still be in the kernel. Afterwards the
  // scheduler and the backend must only be leaked: the memory those
  // requests point into (headers here, buffers and pipes there) must stay.
  void Abandon(const absl::Status& why);

  // One turn: fires due timers, admits queued transfers, pushes every
  // runnable one, waits for outcomes up to `timeout` (never past the nearest
  // timer, not at all if callbacks are due), applies them and runs the done
  // callbacks of the transfers that ended. Returns how many ended.
  [[nodiscard]] absl::StatusOr<size_t> Turn(absl::Duration timeout);

  // True when the next Turn() has work without waiting for the OS: pushes
  // to make, callbacks to run, or cancels the backend was asked for after
  // the last wait (their outcomes are due without any fd becoming ready).
  bool HasReadyWork() const;
  // When the nearest idle timeout, deadline, minimum-rate check or end of a
  // rate wait (a transfer's, or the engine's) is due; InfiniteFuture: none.
  absl::Time NextTimer() const;
  // Transfers whose callback has not run yet.
  size_t live() const { return live_; }

 private:
  // kWaiting: admitted, but its maximum rate's bucket is spent until
  // resume_at.
  enum class State : uint8_t { kFree, kQueued, kRunnable, kPushed, kWaiting };
  // Why the scheduler itself ends a transfer before all is sent.
  enum class EndReason : uint8_t { kCancelled, kDeadline, kIdle, kMinRate };

  struct Slot {
    uint32_t generation = 1;
    State state = State::kFree;
    TransferPlan plan;
    DoneCallback done;
    uint64_t bytes_sent = 0;
    uint64_t header_sent = 0;
    uint64_t trailer_sent = 0;
    bool file_done = false;
    bool opened = false;
    // The backend's name for it, once opened.
    BackendHandle handle;
    // The socket accepted a byte, or its peer took one off the send queue.
    absl::Time last_progress;
    // The send queue as last sampled on the way to an idle timeout
    // (nullopt: the kernel could not tell), and when.
    std::optional<uint64_t> queue_sample;
    std::optional<absl::Time> sampled_at;
    // The minimum rate's windows (never due without one).
    MinRateWindow floor;
    // The maximum rate's bucket: unlimited() without one, and until the
    // first after_bytes have gone. While kWaiting, when it has a step again.
    RateBucket bucket;
    absl::Time resume_at = absl::InfiniteFuture();
    // With the maximum rate on a TCP socket: the socket's own pacing rate,
    // put back at the end.
    std::optional<uint64_t> own_pacing;
    // File bytes the pending push was charged against its class's share
    // (and the engine's ceiling).
    uint64_t charged = 0;
    // Since when the slot waits in the run queue: time the scheduler holds
    // it there (a turn's budget, the engine's ceiling) is not idleness.
    absl::Time runnable_since;
    // Set when a cancel or timeout hits while a push is pending: why the
    // transfer ends once the backend gives the push back. Its status is
    // made then, so its message names the offset the push reached.
    std::optional<EndReason> ending;
    BackendKind carrier = BackendKind::kAuto;
    // File bytes each data path carried (indexed by DataPath), and the last
    // path a push reported.
    std::array<uint64_t, 4> path_bytes{};
    DataPath last_path = DataPath::kAuto;
    uint64_t cold_bytes = 0;
    // A stream source's bytes the backend read and still holds (see
    // PushOutcome::held_bytes), as of the last outcome.
    uint64_t held_bytes = 0;
    // With report_delivery, taken at admission: tcpi_bytes_acked, and the
    // bytes earlier writes still had unacknowledged (SIOCOUTQ); nullopt
    // where the kernel could not tell.
    std::optional<uint64_t> acked_at_start;
    std::optional<uint64_t> queued_at_start;
  };

  struct Completion {
    TransferId id;
    DoneCallback done;
    TransferResult result;
  };

  Slot* Find(TransferId id);
  TransferId IdOf(uint32_t index) const;
  void Admit(absl::Time now);
  void PushRunnable(absl::Time now);
  // Whether the run queue has transfers the engine's ceiling lets go now.
  bool QueueDue(absl::Time now) const;
  // Pushes the slot with at most `turn_left` file bytes (at least 1 KiB,
  // where that much is left), or puts it to wait for its maximum rate;
  // returns the file bytes the push may move (what its class is charged).
  uint64_t Push(uint32_t index, absl::Time now, uint64_t turn_left);
  // The most file bytes the slot's maximum rate lets a push take now, of
  // `wanted`; 0 when it must wait first (resume_at then says how long).
  uint64_t RateAllows(Slot& slot, uint64_t wanted, absl::Time now);
  void MakeRunnable(uint32_t index, absl::Time now);
  void Apply(const PushOutcome& outcome, absl::Time now);
  void FireTimers(absl::Time now);
  // Send-queue samples per idle timeout without progress (see Expiry()).
  static constexpr int kIdleChecks = 4;
  // The slot's next idle check (a send-queue sample; the last one at the
  // idle timeout).
  absl::Time IdleCheck(const Slot& slot) const;
  // When the slot's deadline is due, its next idle check, or its next
  // minimum-rate check, whichever comes first.
  absl::Time Expiry(const Slot& slot) const;
  // Whether the slot's send queue was sampled since its last progress.
  static bool SampledSinceProgress(const Slot& slot);
  // At an idle check: samples the send queue; true unless the transfer is
  // idle (no progress for idle_timeout, the peer's included).
  bool PeerKeepsItAlive(Slot& slot, absl::Time now);
  // At a minimum-rate check: opens the first window or judges the one under
  // way; false if the peer took less than the floor in it.
  bool KeepsMinRate(Slot& slot, absl::Time now);
  void ArmTimer(uint32_t index);
  // Ends the transfer now if no push is pending, else once it is back.
  void EndSoon(uint32_t index, EndReason reason);
  // The status of an ending, naming the fd and the offset reached.
  absl::Status EndingStatus(const Slot& slot, EndReason reason) const;
  void End(uint32_t index, absl::Status status);
  bool AllSent(const Slot& slot) const;
  // What the slot's callback is told, ending with `status` (with
  // report_delivery, after a last sample of the socket).
  TransferResult ResultOf(const Slot& slot, absl::Status status);
  // With report_delivery: how far the slot's bytes got, into `result`.
  void ReportDelivery(const Slot& slot, TransferResult& result);
  // The path that carried most of the slot's file bytes.
  static DataPath MainPath(const Slot& slot);
  uint64_t FileLeft(const Slot& slot) const;
  size_t RunCompletions();

  Backend& backend_;
  Clock& clock_;
  SendQueue& send_queue_;
  SocketPacer& pacer_;
  const SchedulerOptions options_;
  EngineStats& stats_;

  // A deque, so a slot (and the header a pending push points into) never
  // moves when the table grows.
  std::deque<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::deque<TransferId> admission_;
  FairQueue run_queue_;
  // The engine's ceiling over every transfer (SchedulerOptions::max_rate),
  // and while it is spent, when the run queue may be served again.
  RateBucket engine_bucket_;
  absl::Time queue_resume_at_ = absl::InfinitePast();
  // Turns are bounded (turn_bytes, or the ceiling): the run queue's deficit
  // round robin decides who goes, and charges are refunded.
  bool bounded_turns_ = false;
  // At most one entry per live transfer, never later than its expiry.
  TimerHeap timers_;
  std::vector<Completion> completions_;
  std::vector<PushOutcome> outcomes_;
  size_t live_ = 0;
  size_t active_ = 0;
  // Endings (cancels, timeouts of pushed transfers) decided since the last
  // backend Wait(): ready work, since the backend may owe their outcomes
  // at once. After one Wait() the backend reports the rest when it can (a
  // completion, a finished cold read), waking the host through its own fd;
  // counting those too made a host sleeping on wake_fd() spin for as long
  // as a kernel took to give a request back.
  size_t endings_unwaited_ = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SCHEDULER_H_
