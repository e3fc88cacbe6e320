// Copyright 2026 The sluice Authors.

#include "engine/scheduler.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_format.h"

namespace sluice::internal {
namespace {

bool IsDue(absl::Time when, absl::Time now) { return when <= now; }

}  // namespace

Scheduler::Scheduler(Backend& backend, Clock& clock, SendQueue& send_queue,
                     SocketPacer& pacer, const SchedulerOptions& options,
                     EngineStats& stats)
    : backend_(backend),
      clock_(clock),
      send_queue_(send_queue),
      pacer_(pacer),
      options_(options),
      stats_(stats),
      run_queue_(options.class_weights, options.quantum_bytes),
      bounded_turns_(options.turn_bytes > 0 || options.max_rate > 0) {
  if (options.max_rate > 0) {
    // Steps of at most a quantum, as a transfer's: a turn then serves
    // fewer transfers than are runnable, so the classes' weights decide
    // who goes (steps of 20 ms of a fast rate would serve every runnable
    // transfer each turn, and all alike).
    engine_bucket_ = RateBucket(options.max_rate, options.quantum_bytes,
                                clock_.Now(), absl::Milliseconds(20));
  }
}

TransferId Scheduler::IdOf(uint32_t index) const {
  return TransferId(uint64_t{slots_[index].generation} << 32 | index);
}

Scheduler::Slot* Scheduler::Find(TransferId id) {
  const uint32_t index = SlotOf(id);
  if (index >= slots_.size()) return nullptr;
  Slot& slot = slots_[index];
  if (slot.state == State::kFree || IdOf(index) != id) return nullptr;
  return &slot;
}

absl::StatusOr<TransferId> Scheduler::Submit(TransferPlan plan,
                                             DoneCallback done) {
  if (!done) {
    return absl::InvalidArgumentError(
        absl::StrFormat("transfer on socket fd %d has no done callback",
                        plan.endpoints.socket_fd));
  }
  if (plan.length_promised && plan.length.value_or(0) == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("count must be positive for socket fd %d at offset %u",
                        plan.endpoints.socket_fd, plan.offset));
  }
  if (plan.min_rate.has_value()) {
    if (absl::Status floor =
            CheckMinRate(*plan.min_rate, plan.endpoints.socket_fd);
        !floor.ok()) {
      return floor;
    }
  }
  if (plan.max_rate.has_value()) {
    if (absl::Status ceiling = CheckMaxRate(*plan.max_rate, plan.min_rate,
                                            plan.endpoints.socket_fd);
        !ceiling.ok()) {
      return ceiling;
    }
  }
  if (plan.traffic_class >= run_queue_.classes()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "transfer on socket fd %d names traffic class %u; the engine has %u",
        plan.endpoints.socket_fd, plan.traffic_class, run_queue_.classes()));
  }
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.state = State::kQueued;
  slot.file_done = plan.length == 0;
  plan.deadline = clock_.FromWall(plan.deadline);
  slot.plan = std::move(plan);
  slot.done = std::move(done);
  slot.carrier = backend_.kind();
  const TransferId id = IdOf(index);
  admission_.push_back(id);
  ++live_;
  ++stats_.transfers_submitted;
  const absl::Time now = clock_.Now();
  Admit(now);
  if (slot.state == State::kQueued) ArmTimer(index);
  return id;
}

bool Scheduler::Cancel(TransferId id) {
  Slot* slot = Find(id);
  if (slot == nullptr) return false;
  EndSoon(SlotOf(id), EndReason::kCancelled);
  return true;
}

void Scheduler::CancelAll() {
  for (uint32_t index = 0; index < slots_.size(); ++index) {
    if (slots_[index].state != State::kFree) Cancel(IdOf(index));
  }
}

void Scheduler::Abandon(const absl::Status& why) {
  for (uint32_t index = 0; index < slots_.size(); ++index) {
    Slot& slot = slots_[index];
    if (slot.state == State::kFree) continue;
    if (slot.state != State::kPushed) {
      End(index, EndingStatus(slot, EndReason::kCancelled));
      continue;
    }
    absl::Status status = absl::InternalError(absl::StrFormat(
        "engine destroyed after its waiter failed (%s): transfer on socket "
        "fd %d confirmed up to offset %u; bytes of the push still out are "
        "not counted",
        why.message(), slot.plan.endpoints.socket_fd,
        slot.plan.offset + slot.bytes_sent));
    // The socket is the host's again: its own pacing back, as End() does.
    if (slot.own_pacing.has_value()) {
      pacer_.Restore(slot.plan.endpoints.socket_fd, *slot.own_pacing);
    }
    // The slot keeps its plan (a header the kernel may still read).
    slot.state = State::kFree;
    timers_.Remove(index);
    completions_.push_back(Completion{IdOf(index), std::move(slot.done),
                                      ResultOf(slot, std::move(status))});
  }
  run_queue_.Clear();
  admission_.clear();
  RunCompletions();
}

absl::StatusOr<size_t> Scheduler::Turn(absl::Duration timeout) {
  // A host may compute its timeout from a deadline already past.
  timeout = std::max(timeout, absl::ZeroDuration());
  absl::Time now = clock_.Now();
  FireTimers(now);
  Admit(now);
  PushRunnable(now);
  ++stats_.turns;

  absl::Duration wait = timeout;
  // Transfers the turn's budget left unserved are due at once too, unless
  // the engine's ceiling holds them back.
  if (!completions_.empty() || QueueDue(now)) {
    wait = absl::ZeroDuration();
  } else if (NextTimer() != absl::InfiniteFuture()) {
    wait = std::clamp(NextTimer() - now, absl::ZeroDuration(), wait);
  }
  outcomes_.clear();
  absl::Status waited = backend_.Wait(wait, outcomes_);
  endings_unwaited_ = 0;
  now = clock_.Now();
  for (const PushOutcome& outcome : outcomes_) Apply(outcome, now);
  FireTimers(now);
  Admit(now);
  const size_t ended = RunCompletions();
  if (!waited.ok()) return waited;
  return ended;
}

absl::Time Scheduler::NextTimer() const {
  absl::Time next =
      timers_.empty() ? absl::InfiniteFuture() : timers_.top_when();
  if (!run_queue_.empty() && !engine_bucket_.unlimited()) {
    next = std::min(next, queue_resume_at_);
  }
  return next;
}

bool Scheduler::QueueDue(absl::Time now) const {
  return !run_queue_.empty() &&
         (engine_bucket_.unlimited() || now >= queue_resume_at_);
}

bool Scheduler::HasReadyWork() const {
  return QueueDue(engine_bucket_.unlimited() ? absl::InfiniteFuture()
                                             : clock_.Now()) ||
         !completions_.empty() || endings_unwaited_ > 0 ||
         (!admission_.empty() && active_ < options_.max_active);
}

void Scheduler::Admit(absl::Time now) {
  while (active_ < options_.max_active && !admission_.empty()) {
    const TransferId id = admission_.front();
    admission_.pop_front();
    Slot* slot = Find(id);
    if (slot == nullptr || slot->state != State::kQueued) continue;
    slot->state = State::kRunnable;
    slot->last_progress = now;
    slot->runnable_since = now;
    slot->opened = true;
    ++active_;
    slot->handle = backend_.Open(id, slot->plan.endpoints);
    if (slot->plan.report_delivery) {
      const int fd = slot->plan.endpoints.socket_fd;
      // The queue first: an ACK landing between the two calls then makes
      // bytes_acked count short, never count earlier writes as this
      // transfer's.
      const std::optional<uint64_t> queued = send_queue_.Queued(fd);
      slot->acked_at_start = send_queue_.Tcp(fd).bytes_acked;
      stats_.delivery_probes += 2;
      // Not a TCP socket (or too old a kernel): nothing to report.
      if (slot->acked_at_start.has_value()) slot->queued_at_start = queued;
    }
    run_queue_.Push(slot->plan.traffic_class, id);
    if (slot->plan.min_rate.has_value()) {
      // Queued time never counts against the floor. Without a grace the
      // first window opens now, before any byte moves.
      slot->floor = MinRateWindow(*slot->plan.min_rate, now);
      if (IsDue(slot->floor.due(), now)) KeepsMinRate(*slot, now);
    }
    ArmTimer(SlotOf(id));
  }
}

uint64_t Scheduler::FileLeft(const Slot& slot) const {
  return slot.plan.length.has_value() ? *slot.plan.length - slot.bytes_sent
                                      : options_.quantum_bytes;
}

void Scheduler::PushRunnable(absl::Time now) {
  if (run_queue_.empty()) return;
  uint64_t turn_bytes = options_.turn_bytes;
  if (!engine_bucket_.unlimited()) {
    const uint64_t available = engine_bucket_.Available(now);
    if (available < engine_bucket_.step()) {
      queue_resume_at_ = engine_bucket_.ReadyAt(engine_bucket_.step());
      ++stats_.engine_rate_waits;
      return;
    }
    queue_resume_at_ = absl::InfinitePast();
    // Two steps a turn, whatever was kept: the rest goes in the next turns.
    const uint64_t allowed = std::min(available, 2 * engine_bucket_.step());
    turn_bytes = turn_bytes == 0 ? allowed : std::min(turn_bytes, allowed);
  }
  run_queue_.Serve(turn_bytes,
                   [&](TransferId id, uint64_t turn_left) -> uint64_t {
                     const Slot* slot = Find(id);
                     if (slot == nullptr || slot->state != State::kRunnable) {
                       return 0;
                     }
                     return Push(SlotOf(id), now, turn_left);
                   });
}

uint64_t Scheduler::Push(uint32_t index, absl::Time now, uint64_t turn_left) {
  // A turn's last push takes what the turn has left, not a whole quantum
  // (but not a handful of bytes either: a call costs the same for 1 KiB).
  constexpr uint64_t kSmallestPush = 1024;
  Slot& slot = slots_[index];
  const TransferPlan& plan = slot.plan;
  // Time held in the run queue is the scheduler's, not the peer's: the
  // idle clock resumes from where it stood.
  slot.last_progress += now - slot.runnable_since;
  const uint64_t file_left = slot.file_done ? 0 : FileLeft(slot);
  uint64_t budget = std::min(
      {file_left, options_.quantum_bytes, std::max(turn_left, kSmallestPush)});
  if (plan.max_rate.has_value() && budget > 0) {
    budget = RateAllows(slot, budget, now);
    if (budget == 0) {
      slot.state = State::kWaiting;
      ++stats_.rate_waits;
      ArmTimer(index);
      return 0;
    }
  }
  PushRequest request;
  request.id = IdOf(index);
  request.header = absl::string_view(plan.header).substr(slot.header_sent);
  request.file_offset = plan.offset + slot.bytes_sent;
  request.file_budget = budget;
  // The trailer rides the push that may reach the file's end.
  const bool file_ends_here =
      slot.file_done || (plan.length.has_value() && budget == file_left);
  if (file_ends_here) {
    request.trailer = absl::string_view(plan.trailer).substr(slot.trailer_sent);
  }
  slot.state = State::kPushed;
  // From now on the peer is judged: its idle check is due (a no-op while
  // the timer is armed no later, as it is between two pushes).
  ArmTimer(index);
  slot.charged = budget;
  // Reserved now, so that turns while this push is out see it spent; what
  // it does not move is given back when it is.
  if (!engine_bucket_.unlimited()) engine_bucket_.Spend(budget);
  ++stats_.pushes;
  backend_.Push(slot.handle, request);
  return budget;
}

uint64_t Scheduler::RateAllows(Slot& slot, uint64_t wanted, absl::Time now) {
  const MaxRate& ceiling = *slot.plan.max_rate;
  if (slot.bytes_sent < ceiling.after_bytes) {
    // Full speed up to the allowance's last byte, never past it.
    return std::min(wanted, ceiling.after_bytes - slot.bytes_sent);
  }
  if (slot.bucket.unlimited()) {
    slot.bucket =
        RateBucket(ceiling.bytes_per_second, options_.quantum_bytes, now);
    slot.own_pacing =
        pacer_.Pace(slot.plan.endpoints.socket_fd, ceiling.bytes_per_second);
    if (slot.own_pacing.has_value()) ++stats_.paced_transfers;
  }
  const uint64_t available = slot.bucket.Available(now);
  const uint64_t least = std::min(slot.bucket.step(), wanted);
  if (available < least) {
    slot.resume_at = slot.bucket.ReadyAt(least);
    return 0;
  }
  return std::min(wanted, available);
}

void Scheduler::MakeRunnable(uint32_t index, absl::Time now) {
  Slot& slot = slots_[index];
  slot.state = State::kRunnable;
  slot.runnable_since = now;
  run_queue_.Push(slot.plan.traffic_class, IdOf(index));
}

bool Scheduler::AllSent(const Slot& slot) const {
  return slot.file_done && slot.header_sent == slot.plan.header.size() &&
         slot.trailer_sent == slot.plan.trailer.size();
}

void Scheduler::Apply(const PushOutcome& outcome, absl::Time now) {
  Slot* slot = Find(outcome.id);
  if (slot == nullptr || slot->state != State::kPushed) return;
  const uint32_t index = SlotOf(outcome.id);
  slot->state = State::kRunnable;

  slot->header_sent += outcome.header_bytes;
  slot->trailer_sent += outcome.trailer_bytes;
  slot->bytes_sent += outcome.file_bytes;
  slot->held_bytes = outcome.held_bytes;
  if (!slot->bucket.unlimited()) slot->bucket.Spend(outcome.file_bytes);
  if (slot->charged > outcome.file_bytes) {
    const uint64_t unmoved = slot->charged - outcome.file_bytes;
    if (bounded_turns_) run_queue_.Refund(slot->plan.traffic_class, unmoved);
    if (!engine_bucket_.unlimited()) engine_bucket_.Return(unmoved);
  }
  slot->charged = 0;
  stats_.file_bytes += outcome.file_bytes;
  stats_.header_trailer_bytes += outcome.header_bytes + outcome.trailer_bytes;
  if (outcome.header_bytes + outcome.file_bytes + outcome.trailer_bytes > 0) {
    slot->last_progress = now;
  }
  if (outcome.carrier != slot->carrier &&
      outcome.carrier != BackendKind::kAuto) {
    if (outcome.carrier == BackendKind::kReadSend) ++stats_.fallbacks;
    slot->carrier = outcome.carrier;
  }
  if (outcome.cold) {
    ++stats_.cold_pushes;
    stats_.cold_bytes += outcome.file_bytes;
    slot->cold_bytes += outcome.file_bytes;
  }
  if (outcome.data_path != DataPath::kAuto) {
    slot->path_bytes[static_cast<size_t>(outcome.data_path)] +=
        outcome.file_bytes;
    slot->last_path = outcome.data_path;
  }
  const TransferPlan& plan = slot->plan;
  if (plan.length.has_value() && slot->bytes_sent == *plan.length) {
    slot->file_done = true;
  }

  // A cancel or timeout decided while the push was out wins over whatever
  // the push did meanwhile (even finishing): the caller was told it would.
  if (slot->ending.has_value()) {
    End(index, EndingStatus(*slot, *slot->ending));
    return;
  }
  if (!outcome.error.ok()) {
    End(index, outcome.error);
    return;
  }
  if (outcome.file_ended && !slot->file_done) {
    if (plan.length_promised) {
      End(index,
          absl::OutOfRangeError(absl::StrFormat(
              "file fd %d ended at offset %u, %u bytes short of the "
              "%u promised from offset %u",
              plan.endpoints.file_fd, plan.offset + slot->bytes_sent,
              *plan.length - slot->bytes_sent, *plan.length, plan.offset)));
      return;
    }
    slot->file_done = true;
  }
  if (AllSent(*slot)) {
    End(index, absl::OkStatus());
    return;
  }
  MakeRunnable(index, now);
}

absl::Time Scheduler::IdleCheck(const Slot& slot) const {
  // On the way to an idle timeout the send queue is sampled every quarter
  // of it, so that the scheduler can tell a peer still taking bytes (the
  // queue shrank between two samples) from one that stopped; the last
  // check falls exactly on the timeout.
  const absl::Duration idle = slot.plan.idle_timeout;
  const absl::Time base =
      SampledSinceProgress(slot) ? *slot.sampled_at : slot.last_progress;
  return std::min(base + idle / kIdleChecks, slot.last_progress + idle);
}

absl::Time Scheduler::Expiry(const Slot& slot) const {
  if (slot.state == State::kQueued) return slot.plan.deadline;
  // Only a pushed transfer waits on its peer. A wait for the maximum rate,
  // or in the run queue, is the scheduler's doing: no idle check runs
  // during it.
  if (slot.state == State::kWaiting) {
    return std::min({slot.plan.deadline, slot.resume_at, slot.floor.due()});
  }
  if (slot.state != State::kPushed) {
    return std::min(slot.plan.deadline, slot.floor.due());
  }
  return std::min({slot.plan.deadline, IdleCheck(slot), slot.floor.due()});
}

bool Scheduler::SampledSinceProgress(const Slot& slot) {
  return slot.sampled_at.has_value() && *slot.sampled_at >= slot.last_progress;
}

bool Scheduler::PeerKeepsItAlive(Slot& slot, absl::Time now) {
  // (Plain values, not an optional copy: GCC 12 warns falsely about one.)
  const bool comparable =
      SampledSinceProgress(slot) && slot.queue_sample.has_value();
  const uint64_t before = comparable ? *slot.queue_sample : 0;
  const std::optional<uint64_t> queued =
      send_queue_.Queued(slot.plan.endpoints.socket_fd);
  ++stats_.send_queue_checks;
  slot.queue_sample = queued;
  slot.sampled_at = now;
  if (comparable && queued.has_value() && *queued < before) {
    // The peer took bytes since the last sample: that is progress.
    ++stats_.peer_progress;
    slot.last_progress = now;
    return true;
  }
  return now - slot.last_progress < slot.plan.idle_timeout;
}

bool Scheduler::KeepsMinRate(Slot& slot, absl::Time now) {
  const bool judging = slot.floor.open();
  const uint64_t accepted =
      slot.header_sent + slot.bytes_sent + slot.trailer_sent;
  const bool kept = slot.floor.Check(
      now, accepted, send_queue_.Queued(slot.plan.endpoints.socket_fd));
  if (judging) ++stats_.min_rate_checks;
  if (!kept) ++stats_.min_rate_cuts;
  return kept;
}

void Scheduler::ArmTimer(uint32_t index) {
  const absl::Time when = Expiry(slots_[index]);
  if (when == absl::InfiniteFuture()) {
    timers_.Remove(index);
    return;
  }
  // Progress only moves the expiry later, so an earlier entry stays: when it
  // fires, FireTimers() re-arms it at the real expiry. This keeps progress
  // (the hot path) free of heap work.
  if (timers_.When(index) <= when) return;
  timers_.Set(index, when);
}

void Scheduler::FireTimers(absl::Time now) {
  while (!timers_.empty() && IsDue(timers_.top_when(), now)) {
    const uint32_t index = timers_.top_slot();
    timers_.Remove(index);
    Slot& slot = slots_[index];
    if (!IsDue(Expiry(slot), now)) {
      ArmTimer(index);
      continue;
    }
    if (IsDue(slot.plan.deadline, now)) {
      EndSoon(index, EndReason::kDeadline);
      continue;
    }
    if (IsDue(slot.floor.due(), now) && !KeepsMinRate(slot, now)) {
      EndSoon(index, EndReason::kMinRate);
      continue;
    }
    if (slot.state == State::kWaiting) {
      if (IsDue(slot.resume_at, now)) {
        slot.resume_at = absl::InfiniteFuture();
        // Idle time counts from here: the wait was the rate's.
        slot.last_progress = now;
        MakeRunnable(index, now);
      }
      ArmTimer(index);
      continue;
    }
    if (slot.state == State::kPushed && IsDue(IdleCheck(slot), now) &&
        !PeerKeepsItAlive(slot, now)) {
      EndSoon(index, EndReason::kIdle);
      continue;
    }
    ArmTimer(index);
  }
}

void Scheduler::EndSoon(uint32_t index, EndReason reason) {
  Slot& slot = slots_[index];
  if (slot.ending.has_value()) return;
  if (slot.state == State::kPushed) {
    timers_.Remove(index);
    slot.ending = reason;
    ++endings_unwaited_;
    backend_.Cancel(slot.handle);
    return;
  }
  End(index, EndingStatus(slot, reason));
}

absl::Status Scheduler::EndingStatus(const Slot& slot, EndReason reason) const {
  const int fd = slot.plan.endpoints.socket_fd;
  const uint64_t offset = slot.plan.offset + slot.bytes_sent;
  switch (reason) {
    case EndReason::kCancelled:
      return absl::CancelledError(absl::StrFormat(
          "transfer on socket fd %d cancelled at offset %u", fd, offset));
    case EndReason::kDeadline:
      return absl::DeadlineExceededError(absl::StrFormat(
          "deadline passed on socket fd %d at offset %u", fd, offset));
    case EndReason::kMinRate:
      return absl::DeadlineExceededError(
          absl::StrFormat("below minimum rate on socket fd %d at offset %u: %s",
                          fd, offset, slot.floor.Describe()));
    case EndReason::kIdle:
      break;
  }
  return absl::DeadlineExceededError(absl::StrFormat(
      "no progress for %s on socket fd %d at offset %u",
      absl::FormatDuration(slot.plan.idle_timeout), fd, offset));
}

void Scheduler::End(uint32_t index, absl::Status status) {
  Slot& slot = slots_[index];
  const TransferId id = IdOf(index);
  timers_.Remove(index);
  if (slot.opened) {
    backend_.Close(slot.handle);
    --active_;
  }
  if (slot.own_pacing.has_value()) {
    pacer_.Restore(slot.plan.endpoints.socket_fd, *slot.own_pacing);
  }
  completions_.push_back(
      Completion{id, std::move(slot.done), ResultOf(slot, std::move(status))});

  const uint32_t generation = slot.generation + 1;
  slot = Slot();
  // Generation 0 is skipped so that no id is ever 0 (the invalid id).
  slot.generation = generation == 0 ? 1 : generation;
  free_slots_.push_back(index);
}

TransferResult Scheduler::ResultOf(const Slot& slot, absl::Status status) {
  TransferResult result;
  result.status = std::move(status);
  result.bytes_sent = slot.bytes_sent;
  result.header_bytes_sent = slot.header_sent;
  result.trailer_bytes_sent = slot.trailer_sent;
  result.next_offset = slot.plan.offset + slot.bytes_sent;
  result.bytes_received = slot.bytes_sent + slot.held_bytes;
  result.backend = slot.carrier;
  result.data_path = MainPath(slot);
  result.cold_bytes = slot.cold_bytes;
  if (slot.plan.report_delivery) ReportDelivery(slot, result);
  return result;
}

void Scheduler::ReportDelivery(const Slot& slot, TransferResult& result) {
  // A transfer cancelled while queued was never admitted: nothing sampled,
  // nothing sent, nothing to ask.
  if (!slot.acked_at_start.has_value()) return;
  const TcpSendState end = send_queue_.Tcp(slot.plan.endpoints.socket_fd);
  ++stats_.delivery_probes;
  const uint64_t accepted =
      slot.header_sent + slot.bytes_sent + slot.trailer_sent;
  if (slot.queued_at_start.has_value() && end.bytes_acked.has_value() &&
      *end.bytes_acked >= *slot.acked_at_start) {
    // The first acknowledgements after admission are for what earlier
    // writes had queued; only the growth past those is this transfer's.
    // The cap keeps the contract where the host queued a FIN before
    // (shutdown(SHUT_WR)), whose acknowledgement counts one.
    const uint64_t grown = *end.bytes_acked - *slot.acked_at_start;
    const uint64_t earlier = *slot.queued_at_start;
    result.bytes_acked =
        std::min(grown > earlier ? grown - earlier : 0, accepted);
  }
  // The send buffer is a FIFO: what waits unsent is the tail of what was
  // written, this transfer's last bytes (an earlier write's too only when
  // all of this transfer's wait).
  if (end.not_sent.has_value()) {
    result.bytes_unsent = std::min<uint64_t>(*end.not_sent, accepted);
  }
}

DataPath Scheduler::MainPath(const Slot& slot) {
  DataPath main = slot.last_path;
  uint64_t most = 0;
  for (size_t i = 0; i < slot.path_bytes.size(); ++i) {
    if (slot.path_bytes[i] > most) {
      most = slot.path_bytes[i];
      main = static_cast<DataPath>(i);
    }
  }
  return main;
}

size_t Scheduler::RunCompletions() {
  std::vector<Completion> due;
  due.swap(completions_);
  for (Completion& completion : due) {
    --live_;
    ++stats_.transfers_completed;
    const auto code = static_cast<size_t>(completion.result.status.code());
    if (code < stats_.completed_by_code.size()) {
      ++stats_.completed_by_code[code];
    }
    completion.done(completion.id, completion.result);
  }
  return due.size();
}

}  // namespace sluice::internal
