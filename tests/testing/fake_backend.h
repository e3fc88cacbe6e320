// Copyright 2026 The sluice Authors.
//
// A Backend and a Clock for scheduler tests: no syscalls, no sleeping. The
// fake backend holds every push until the test (or its auto mode) answers
// it; its Wait() advances the fake clock by the timeout when nothing is due,
// as a real wait would.

#ifndef SLUICE_TESTS_TESTING_FAKE_BACKEND_H_
#define SLUICE_TESTS_TESTING_FAKE_BACKEND_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/backend.h"
#include "engine/clock.h"
#include "engine/send_queue.h"
#include "engine/slot_table.h"
#include "engine/socket_pacer.h"
#include "gtest/gtest.h"

namespace sluice::testing {

// Monotonic time starts near an arbitrary epoch; the wall clock reads years
// apart from it, as on a real machine, and can step without the monotonic
// time moving.
class FakeClock final : public internal::Clock {
 public:
  absl::Time Now() override { return now_; }
  absl::Time WallNow() override { return now_ + wall_offset_; }
  // Both clocks move on, as time does.
  void Advance(absl::Duration d) { now_ += d; }
  // The wall clock alone jumps (NTP, a VM resuming, `date -s`).
  void StepWall(absl::Duration d) { wall_offset_ += d; }

 private:
  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1000);
  absl::Duration wall_offset_ = absl::Hours(24 * 365 * 56);
};

// Send queues the test sets by socket fd; unknown (nullopt) by default, as
// where the kernel cannot tell.
class FakeSendQueue final : public internal::SendQueue {
 public:
  std::optional<uint64_t> Queued(int socket_fd) override {
    ++asked_;
    auto it = queued_.find(socket_fd);
    if (it == queued_.end()) return std::nullopt;
    return it->second;
  }
  // TCP state the test sets by socket fd; all unknown by default, as on a
  // unix socket.
  internal::TcpSendState Tcp(int socket_fd) override {
    ++tcp_asked_;
    auto it = tcp_.find(socket_fd);
    if (it == tcp_.end()) return {};
    return it->second;
  }
  void Set(int socket_fd, uint64_t bytes) { queued_[socket_fd] = bytes; }
  void SetTcp(int socket_fd, internal::TcpSendState state) {
    tcp_[socket_fd] = state;
  }
  int asked() const { return asked_; }
  int tcp_asked() const { return tcp_asked_; }

 private:
  absl::flat_hash_map<int, uint64_t> queued_;
  absl::flat_hash_map<int, internal::TcpSendState> tcp_;
  int asked_ = 0;
  int tcp_asked_ = 0;
};

// Paces the sockets the test marks as TCP, remembering every socket's
// current rate; the others (unix sockets) refuse, as the kernel's pacer
// does for them.
class FakeSocketPacer final : public internal::SocketPacer {
 public:
  static constexpr uint64_t kOwnRate = ~uint64_t{0};
  std::optional<uint64_t> Pace(int socket_fd,
                               uint64_t bytes_per_second) override {
    if (!tcp_.contains(socket_fd)) return std::nullopt;
    auto [it, added] = rates_.try_emplace(socket_fd, kOwnRate);
    const uint64_t own = it->second;
    it->second = bytes_per_second;
    return own;
  }
  void Restore(int socket_fd, uint64_t own_rate) override {
    rates_[socket_fd] = own_rate;
    ++restores_;
  }
  void MarkTcp(int socket_fd) { tcp_.insert(socket_fd); }
  // The socket's pacing rate now; kOwnRate when never paced.
  uint64_t RateOf(int socket_fd) const {
    auto it = rates_.find(socket_fd);
    return it == rates_.end() ? kOwnRate : it->second;
  }
  int restores() const { return restores_; }

 private:
  absl::flat_hash_set<int> tcp_;
  absl::flat_hash_map<int, uint64_t> rates_;
  int restores_ = 0;
};

class FakeBackend final : public internal::Backend {
 public:
  // How an auto-answered push ends; by default it moves everything offered.
  using Answer =
      std::function<internal::PushOutcome(const internal::PushRequest&)>;

  explicit FakeBackend(FakeClock& clock) : clock_(clock) {}

  BackendKind kind() const override { return BackendKind::kSendfile; }
  // Handles come from a SlotTable, as in the real backends; the fake maps
  // them back to ids so tests speak of transfers by id.
  internal::BackendHandle Open(TransferId id,
                               const internal::TransferEndpoints&) override {
    opened_.push_back(id);
    open_.insert(id);
    const internal::BackendHandle handle = handles_.Add();
    handles_[handle] = id;
    return handle;
  }
  void Push(internal::BackendHandle handle,
            const internal::PushRequest& request) override {
    EXPECT_EQ(handles_[handle], request.id);
    pushes_.push_back(RecordedPush{std::string(request.header),
                                   request.file_offset, request.file_budget,
                                   std::string(request.trailer)});
    pending_[request.id] = request;
  }
  void Cancel(internal::BackendHandle handle) override {
    const TransferId id = handles_[handle];
    cancels_.push_back(id);
    if (cancels_are_late_) return;  // the test answers the push itself
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    internal::PushOutcome outcome;
    outcome.id = id;
    outcome.cancelled = true;
    ready_.push_back(outcome);
    pending_.erase(it);
  }
  void Close(internal::BackendHandle handle) override {
    closed_.push_back(handles_[handle]);
    open_.erase(handles_[handle]);
    handles_.Remove(handle);
  }
  absl::Status Wait(absl::Duration timeout,
                    std::vector<internal::PushOutcome>& outcomes) override {
    waits_.push_back(timeout);
    if (answer_) {
      for (const auto& [id, request] : pending_)
        ready_.push_back(answer_(request));
      pending_.clear();
    }
    if (ready_.empty() && timeout != absl::InfiniteDuration()) {
      clock_.Advance(timeout);
    }
    outcomes.insert(outcomes.end(), ready_.begin(), ready_.end());
    ready_.clear();
    return absl::OkStatus();
  }
  absl::StatusOr<int> WakeFd() override {
    return absl::UnimplementedError("the fake backend has no wake fd");
  }

  // Makes Cancel() leave pending pushes alone, as a kernel does with a
  // request that is already running.
  void MakeCancelsLate() { cancels_are_late_ = true; }

  // Answers every pending push at each Wait() with `answer`.
  void AutoAnswer(Answer answer) { answer_ = std::move(answer); }
  static internal::PushOutcome MoveAll(const internal::PushRequest& request) {
    internal::PushOutcome outcome;
    outcome.id = request.id;
    outcome.header_bytes = request.header.size();
    outcome.file_bytes = request.file_budget;
    outcome.trailer_bytes = request.trailer.size();
    outcome.carrier = BackendKind::kSendfile;
    return outcome;
  }
  // Answers the pending push of `outcome.id` at the next Wait().
  void Answer1(const internal::PushOutcome& outcome) {
    pending_.erase(outcome.id);
    ready_.push_back(outcome);
  }

  bool IsPending(TransferId id) const { return pending_.contains(id); }
  const internal::PushRequest& PendingPush(TransferId id) const {
    return pending_.at(id);
  }
  // Copies of every push: a request's views die with its outcome.
  struct RecordedPush {
    std::string header;
    uint64_t file_offset;
    uint64_t file_budget;
    std::string trailer;
  };
  const std::vector<RecordedPush>& pushes() const { return pushes_; }
  const std::vector<TransferId>& opened() const { return opened_; }
  const std::vector<TransferId>& closed() const { return closed_; }
  const std::vector<TransferId>& cancels() const { return cancels_; }
  const std::vector<absl::Duration>& waits() const { return waits_; }
  size_t open_count() const { return open_.size(); }

 private:
  FakeClock& clock_;
  Answer answer_;
  bool cancels_are_late_ = false;
  absl::flat_hash_map<TransferId, internal::PushRequest> pending_;
  std::vector<internal::PushOutcome> ready_;
  std::vector<RecordedPush> pushes_;
  std::vector<TransferId> opened_;
  std::vector<TransferId> closed_;
  std::vector<TransferId> cancels_;
  std::vector<absl::Duration> waits_;
  absl::flat_hash_set<TransferId> open_;
  internal::SlotTable<TransferId> handles_;
};

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_FAKE_BACKEND_H_
