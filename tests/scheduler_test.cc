// Copyright 2026 The sluice Authors.
//
// The scheduler on fake time against a fake backend: no syscalls, no sleeps.

#include "engine/scheduler.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_backend.h"
#include "tests/testing/status_matchers.h"

namespace sluice::internal {
namespace {

using ::sluice::testing::FakeBackend;
using ::sluice::testing::FakeClock;
using ::sluice::testing::FakeSendQueue;
using ::sluice::testing::FakeSocketPacer;
using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;
using ::testing::HasSubstr;

constexpr int kSocketFd = 7;

TransferPlan Plan(std::optional<uint64_t> length, bool promised = true) {
  TransferPlan plan;
  plan.endpoints.socket_fd = kSocketFd;
  plan.endpoints.file_fd = 8;
  plan.length = length;
  plan.length_promised = promised && length.has_value();
  return plan;
}

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest() : backend_(clock_) {}

  Scheduler& Make(SchedulerOptions options = {}) {
    scheduler_.emplace(backend_, clock_, send_queue_, pacer_, options, stats_);
    return *scheduler_;
  }

  // Submits a transfer that records its result into results_[id].
  TransferId Submit(TransferPlan plan) {
    absl::StatusOr<TransferId> id = scheduler_->Submit(
        std::move(plan), [this](TransferId id, const TransferResult& result) {
          done_order_.push_back(id);
          results_.push_back(result);
          ++calls_[id.value()];
        });
    EXPECT_THAT(id, IsOk());
    return id.ok() ? *id : TransferId();
  }

  const TransferResult* ResultOf(TransferId id) const {
    for (size_t i = 0; i < done_order_.size(); ++i) {
      if (done_order_[i] == id) return &results_[i];
    }
    return nullptr;
  }

  // Turns with no bound of its own, so that the fake clock jumps to each
  // timer, until `id` has ended (at most `max_turns`); its result, or null.
  const TransferResult* TurnUntilEnded(TransferId id, int max_turns = 20) {
    for (int i = 0; i < max_turns && ResultOf(id) == nullptr; ++i) {
      EXPECT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
    }
    return ResultOf(id);
  }

  // Submits a transfer with a floor of 10 kB/s over 1 s, on a socket whose
  // send queue is empty; its first push fills the queue with kFill bytes,
  // which the peer has not taken yet.
  TransferId SubmitAndFillTheSendQueue();

  // Turns until nothing is live; bounded.
  void RunToEnd(int max_turns = 100000) {
    for (int i = 0; i < max_turns && scheduler_->live() > 0; ++i) {
      ASSERT_THAT(scheduler_->Turn(absl::Seconds(1)), IsOk());
    }
    ASSERT_EQ(scheduler_->live(), 0u);
  }

  FakeClock clock_;
  FakeSendQueue send_queue_;
  FakeSocketPacer pacer_;
  FakeBackend backend_;
  EngineStats stats_;
  std::optional<Scheduler> scheduler_;
  std::vector<TransferId> done_order_;
  std::vector<TransferResult> results_;
  absl::flat_hash_map<uint64_t, int> calls_;
};

TEST_F(SchedulerTest, SendsHeaderFileTrailerAndReportsExactCounts) {
  Make({.quantum_bytes = 1000});
  backend_.AutoAnswer(FakeBackend::MoveAll);
  TransferPlan plan = Plan(2500);
  plan.offset = 100;
  plan.header = "head";
  plan.trailer = "tail";
  const TransferId id = Submit(std::move(plan));
  RunToEnd();
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_sent, 2500u);
  EXPECT_EQ(result->next_offset, 2600u);
  EXPECT_EQ(result->header_bytes_sent, 4u);
  EXPECT_EQ(result->trailer_bytes_sent, 4u);
  // Three pushes of at most a quantum: the header rides the first, the
  // trailer only the last (where the file ends).
  ASSERT_EQ(backend_.pushes().size(), 3u);
  EXPECT_EQ(backend_.pushes()[0].header, "head");
  EXPECT_EQ(backend_.pushes()[0].file_offset, 100u);
  EXPECT_EQ(backend_.pushes()[0].file_budget, 1000u);
  EXPECT_EQ(backend_.pushes()[0].trailer, "");
  EXPECT_EQ(backend_.pushes()[1].header, "");
  EXPECT_EQ(backend_.pushes()[1].file_offset, 1100u);
  EXPECT_EQ(backend_.pushes()[2].file_budget, 500u);
  EXPECT_EQ(backend_.pushes()[2].trailer, "tail");
  EXPECT_EQ(stats_.file_bytes, 2500u);
  EXPECT_EQ(backend_.closed().size(), 1u);
}

TEST_F(SchedulerTest, ResumesAfterShortSend) {
  Make();
  const TransferId id = Submit(Plan(1000));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  backend_.Answer1({.id = id, .file_bytes = 300});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  EXPECT_EQ(backend_.PendingPush(id).file_offset, 300u);
  EXPECT_EQ(backend_.PendingPush(id).file_budget, 700u);
}

TEST_F(SchedulerTest, SmallTransfersAllFinishBeforeAHugeOne) {
  Make({.quantum_bytes = 64 * 1024});
  backend_.AutoAnswer(FakeBackend::MoveAll);
  const TransferId huge = Submit(Plan(uint64_t{1} << 30));
  std::vector<TransferId> small;
  for (int i = 0; i < 1000; ++i) small.push_back(Submit(Plan(1024 + i)));
  RunToEnd(20000);
  ASSERT_EQ(done_order_.size(), 1001u);
  EXPECT_EQ(done_order_.back(), huge);
  for (const auto& push : backend_.pushes()) {
    EXPECT_LE(push.file_budget, 64u * 1024);
  }
}

TEST_F(SchedulerTest, UntilEofEndsOkWhenSourceEnds) {
  Make({.quantum_bytes = 100});
  const TransferId id = Submit(Plan(std::nullopt));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = 100});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = 42, .file_ended = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_sent, 142u);
}

TEST_F(SchedulerTest, PromisedCountCutShortIsOutOfRange) {
  Make();
  const TransferId id = Submit(Plan(1000));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = 600, .file_ended = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, StatusIs(absl::StatusCode::kOutOfRange,
                                       HasSubstr("400 bytes short")));
  EXPECT_EQ(result->bytes_sent, 600u);
}

TEST_F(SchedulerTest, SizeFromFstatCutShortIsOk) {
  Make();
  const TransferId id = Submit(Plan(1000, /*promised=*/false));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = 600, .file_ended = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, IsOk());
}

TEST_F(SchedulerTest, BackendErrorEndsTransferWithProgress) {
  Make();
  const TransferId id = Submit(Plan(1000));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id,
                    .file_bytes = 10,
                    .error = absl::UnavailableError("peer reset")});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(ResultOf(id)->bytes_sent, 10u);
}

// report_delivery: one TCP_INFO sample at admission (with the send queue
// earlier writes left), one at the end, and the difference in the result.
TEST_F(SchedulerTest, DeliveryIsSampledAtAdmissionAndAtTheEnd) {
  Make({.quantum_bytes = 1000});
  backend_.AutoAnswer(FakeBackend::MoveAll);
  // An earlier response on the connection still has 200 bytes unacked.
  send_queue_.SetTcp(kSocketFd, {.bytes_acked = 1000, .not_sent = 0});
  send_queue_.Set(kSocketFd, 200);
  TransferPlan plan = Plan(2500);
  plan.header = "head";
  plan.trailer = "tail";
  plan.report_delivery = true;
  const TransferId id = Submit(std::move(plan));
  EXPECT_EQ(send_queue_.tcp_asked(), 1);
  EXPECT_EQ(send_queue_.asked(), 1);

  // By the end the peer acked the earlier 200 and 2,000 of this transfer's
  // 2,508 bytes; 300 were never sent.
  send_queue_.SetTcp(kSocketFd,
                     {.bytes_acked = 1000 + 200 + 2000, .not_sent = 300});
  RunToEnd();
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_acked, std::optional<uint64_t>(2000));
  EXPECT_EQ(result->bytes_unsent, std::optional<uint64_t>(300));
  EXPECT_EQ(send_queue_.tcp_asked(), 2);
  EXPECT_EQ(send_queue_.asked(), 1);
  EXPECT_EQ(stats_.delivery_probes, 3u);
}

TEST_F(SchedulerTest, DeliveryNeverExceedsTheTransfersBytes) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  send_queue_.SetTcp(kSocketFd, {.bytes_acked = 1, .not_sent = 0});
  send_queue_.Set(kSocketFd, 0);
  TransferPlan plan = Plan(100);
  plan.report_delivery = true;
  const TransferId id = Submit(std::move(plan));
  // A FIN the host queued earlier is acked too; the buffer holds bytes of
  // an earlier write behind which all of this transfer's wait.
  send_queue_.SetTcp(kSocketFd, {.bytes_acked = 1 + 101, .not_sent = 5000});
  RunToEnd();
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->bytes_acked, std::optional<uint64_t>(100));
  EXPECT_EQ(result->bytes_unsent, std::optional<uint64_t>(100));
}

TEST_F(SchedulerTest, DeliveryNotAskedForIsNeitherSampledNorReported) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  send_queue_.SetTcp(kSocketFd, {.bytes_acked = 0, .not_sent = 0});
  send_queue_.Set(kSocketFd, 0);
  const TransferId id = Submit(Plan(100));
  RunToEnd();
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_EQ(result->bytes_acked, std::nullopt);
  EXPECT_EQ(result->bytes_unsent, std::nullopt);
  EXPECT_EQ(send_queue_.tcp_asked(), 0);
  EXPECT_EQ(send_queue_.asked(), 0);
  EXPECT_EQ(stats_.delivery_probes, 0u);
}

// A unix socket: TCP_INFO tells nothing at admission, so nothing more is
// asked, then or at the end.
TEST_F(SchedulerTest, DeliveryOnASocketTheKernelCannotTellIsUnknown) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  TransferPlan plan = Plan(100);
  plan.report_delivery = true;
  const TransferId id = Submit(std::move(plan));
  RunToEnd();
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_acked, std::nullopt);
  EXPECT_EQ(result->bytes_unsent, std::nullopt);
  EXPECT_EQ(send_queue_.tcp_asked(), 1);
  // The queue is read before TCP_INFO says the socket is not TCP.
  EXPECT_EQ(send_queue_.asked(), 1);
}

TEST_F(SchedulerTest, DeliveryOfATransferCancelledWhileQueuedIsNotAsked) {
  Make({.max_active = 1});
  send_queue_.SetTcp(kSocketFd, {.bytes_acked = 0, .not_sent = 0});
  send_queue_.Set(kSocketFd, 0);
  const TransferId running = Submit(Plan(10));
  TransferPlan plan = Plan(10);
  plan.report_delivery = true;
  const TransferId queued = Submit(std::move(plan));
  EXPECT_TRUE(scheduler_->Cancel(queued));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(queued), nullptr);
  EXPECT_EQ(ResultOf(queued)->bytes_acked, std::nullopt);
  EXPECT_EQ(send_queue_.tcp_asked(), 0);
  EXPECT_TRUE(scheduler_->Cancel(running));
}

TEST_F(SchedulerTest, AdmitsAtMostMaxActiveInFifoOrder) {
  Make({.max_active = 2});
  backend_.AutoAnswer(FakeBackend::MoveAll);
  std::vector<TransferId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Submit(Plan(10)));
  EXPECT_EQ(backend_.opened().size(), 2u);
  EXPECT_EQ(scheduler_->live(), 5u);
  size_t most_open = 0;
  for (int i = 0; i < 100 && scheduler_->live() > 0; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    most_open = std::max(most_open, backend_.open_count());
  }
  EXPECT_LE(most_open, 2u);
  EXPECT_EQ(backend_.opened(), ids);
  EXPECT_EQ(done_order_.size(), 5u);
}

TEST_F(SchedulerTest, CancelWhileQueued) {
  Make({.max_active = 1});
  const TransferId running = Submit(Plan(10));
  const TransferId queued = Submit(Plan(10));
  EXPECT_TRUE(scheduler_->Cancel(queued));
  EXPECT_TRUE(calls_.empty());  // callbacks run only from Turn
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(queued), nullptr);
  EXPECT_THAT(ResultOf(queued)->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(backend_.opened(), std::vector<TransferId>{running});
  EXPECT_FALSE(scheduler_->Cancel(queued));
}

TEST_F(SchedulerTest, CancelWhileRunnableNeverPushes) {
  Make();
  const TransferId id = Submit(Plan(10));
  EXPECT_TRUE(scheduler_->Cancel(id));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_TRUE(backend_.pushes().empty());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(backend_.closed(), std::vector<TransferId>{id});
}

// Cancels while a push is pending in each phase; the result counts exactly
// what the backend reported before.
class CancelPhaseTest : public SchedulerTest,
                        public ::testing::WithParamInterface<int> {};

TEST_P(CancelPhaseTest, CancelWhilePushedWaitsForTheBackend) {
  Make({.quantum_bytes = 100});
  TransferPlan plan = Plan(150);
  plan.header = "HEADER";
  plan.trailer = "TRAILER";
  const TransferId id = Submit(std::move(plan));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  const int phase = GetParam();  // 0 header, 1 file, 2 trailer
  if (phase >= 1) {
    backend_.Answer1({.id = id, .header_bytes = 6, .file_bytes = 100});
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  if (phase >= 2) {
    backend_.Answer1({.id = id, .file_bytes = 50, .trailer_bytes = 3});
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_TRUE(backend_.IsPending(id));
  EXPECT_TRUE(scheduler_->Cancel(id));
  EXPECT_EQ(backend_.cancels(), std::vector<TransferId>{id});
  EXPECT_TRUE(backend_.closed().empty());  // not while a push is pending
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(result->header_bytes_sent, phase >= 1 ? 6u : 0u);
  EXPECT_EQ(result->bytes_sent, phase == 0 ? 0u : phase == 1 ? 100u : 150u);
  EXPECT_EQ(result->trailer_bytes_sent, phase == 2 ? 3u : 0u);
  EXPECT_EQ(calls_[id.value()], 1);
  EXPECT_EQ(backend_.closed(), std::vector<TransferId>{id});
}

INSTANTIATE_TEST_SUITE_P(Phases, CancelPhaseTest, ::testing::Values(0, 1, 2));

TEST_F(SchedulerTest, CancelWinsEvenIfThePendingPushFinishesEverything) {
  Make();
  backend_.MakeCancelsLate();
  const TransferId id = Submit(Plan(100));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  EXPECT_TRUE(scheduler_->Cancel(id));
  // The backend could not stop the push in time: it moved every byte.
  backend_.Answer1({.id = id, .file_bytes = 100});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(ResultOf(id)->bytes_sent, 100u);
}

TEST_F(SchedulerTest, IdsAreNotConfusedAfterSlotReuse) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  const TransferId first = Submit(Plan(10));
  RunToEnd();
  const TransferId second = Submit(Plan(10));
  EXPECT_EQ(SlotOf(first), SlotOf(second));
  EXPECT_NE(first, second);
  EXPECT_FALSE(scheduler_->Cancel(first));
  EXPECT_EQ(scheduler_->live(), 1u);
  RunToEnd();
  ASSERT_NE(ResultOf(second), nullptr);
  EXPECT_THAT(ResultOf(second)->status, IsOk());
}

TEST_F(SchedulerTest, IdleTimeoutFiresWithoutProgress) {
  Make();
  TransferPlan plan = Plan(1000);
  plan.idle_timeout = absl::Seconds(5);
  const TransferId id = Submit(std::move(plan));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = 10});
  const absl::Time progress_at = clock_.Now();
  // The backend holds the next push forever. A fake wait advances the clock
  // by its timeout, and not at all when infinite, so the transfer can only
  // end if the idle timer bounded the wait.
  for (int i = 0; i < 10 && ResultOf(id) == nullptr; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
  }
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("no progress for 5s")));
  EXPECT_EQ(ResultOf(id)->bytes_sent, 10u);
  EXPECT_EQ(clock_.Now() - progress_at, absl::Seconds(5));
}

// A timeout that fires while a push is out ends the transfer when the push
// comes back: the message names the offset that push reached, as
// next_offset does (it used to name the offset before the push).
TEST_F(SchedulerTest, TimeoutMessageNamesTheOffsetThePendingPushReached) {
  Make();
  backend_.MakeCancelsLate();
  TransferPlan plan = Plan(100000);
  plan.offset = 7;
  plan.idle_timeout = absl::Seconds(5);
  const TransferId id = Submit(std::move(plan));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  clock_.Advance(absl::Seconds(6));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_EQ(ResultOf(id), nullptr);
  // The backend could not stop the push at once: it moved 65482 bytes.
  backend_.Answer1({.id = id, .file_bytes = 65482, .cancelled = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_EQ(ResultOf(id)->next_offset, 65489u);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("at offset 65489")));
}

TEST_F(SchedulerTest, ProgressKeepsIdleTimerAway) {
  Make({.quantum_bytes = 10});
  TransferPlan plan = Plan(1000);
  plan.idle_timeout = absl::Seconds(5);
  const TransferId id = Submit(std::move(plan));
  // Each push moves a little, 3 s after the last: never 5 s without progress.
  for (int i = 0; i < 300 && ResultOf(id) == nullptr; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    if (backend_.IsPending(id)) {
      clock_.Advance(absl::Seconds(3));
      backend_.Answer1(FakeBackend::MoveAll(backend_.PendingPush(id)));
    }
  }
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, IsOk());
}

// A slow reader behind a big send buffer: the socket accepts nothing for
// longer than the idle timeout (it reports writable only once much of the
// buffer has drained), but the peer takes bytes all along. That is progress.
TEST_F(SchedulerTest, PeerTakingBytesKeepsIdleTimerAway) {
  Make();
  TransferPlan plan = Plan(1 << 20);
  plan.idle_timeout = absl::Seconds(10);
  const int socket_fd = plan.endpoints.socket_fd;
  const TransferId id = Submit(std::move(plan));
  uint64_t queued = 8'000'000;
  send_queue_.Set(socket_fd, queued);
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  // 60 s in which the socket accepts nothing and the peer reads 100 kB/s.
  for (int second = 0; second < 60; ++second) {
    clock_.Advance(absl::Seconds(1));
    queued -= 100'000;
    send_queue_.Set(socket_fd, queued);
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_EQ(ResultOf(id), nullptr) << "ended after " << second + 1 << " s";
  }
  EXPECT_GT(stats_.peer_progress, 0u);
  // The peer stops: idle 10 s after the check that saw its last read, which
  // came at most one 1 s step and one quarter (2.5 s) check interval late.
  const absl::Time stopped = clock_.Now();
  for (int second = 0; second < 20 && ResultOf(id) == nullptr; ++second) {
    clock_.Advance(absl::Seconds(1));
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("no progress for 10s")));
  EXPECT_GE(clock_.Now() - stopped, absl::Seconds(10));
  EXPECT_LE(clock_.Now() - stopped, absl::Seconds(13));
}

// The socket accepting bytes soon after a check that saw the peer read must
// not shorten the next window: the checks start again from that progress.
TEST_F(SchedulerTest, SocketProgressAfterPeerProgressKeepsAFullWindow) {
  Make({.quantum_bytes = 1000});
  TransferPlan plan = Plan(1 << 20);
  plan.idle_timeout = absl::Seconds(10);
  const int socket_fd = plan.endpoints.socket_fd;
  const TransferId id = Submit(std::move(plan));
  uint64_t queued = 8'000'000;
  send_queue_.Set(socket_fd, queued);
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  // The peer reads once a second; the socket takes a few bytes once, just
  // after the 10 s mark. Never 10 s without progress of either kind.
  for (int step = 1; step <= 600; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    if (step % 10 == 0) {
      queued -= 1000;
      send_queue_.Set(socket_fd, queued);
    }
    if (step == 101) {
      ASSERT_TRUE(backend_.IsPending(id));
      backend_.Answer1({.id = id, .file_bytes = 10});
    }
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_EQ(ResultOf(id), nullptr) << "ended after step " << step;
  }
}

// A peer that takes nothing is idle exactly at the timeout after the last
// byte the socket accepted, as before.
TEST_F(SchedulerTest, StuckPeerIsIdleAtTheTimeout) {
  Make();
  TransferPlan plan = Plan(1 << 20);
  plan.idle_timeout = absl::Seconds(10);
  const int socket_fd = plan.endpoints.socket_fd;
  const TransferId id = Submit(std::move(plan));
  send_queue_.Set(socket_fd, 123'456);
  const absl::Time start = clock_.Now();
  for (int i = 0; i < 200 && ResultOf(id) == nullptr; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    clock_.Advance(absl::Milliseconds(100));
  }
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_GE(clock_.Now() - start, absl::Seconds(10));
  EXPECT_LE(clock_.Now() - start, absl::Seconds(10) + absl::Milliseconds(100));
  EXPECT_EQ(stats_.send_queue_checks, 4u);
  EXPECT_EQ(stats_.peer_progress, 0u);
}

// --- Minimum rate -----------------------------------------------------------

TransferPlan FloorPlan(uint64_t bytes_per_second, absl::Duration window,
                       absl::Duration grace = absl::ZeroDuration()) {
  TransferPlan plan = Plan(uint64_t{1} << 30);
  plan.min_rate = MinRate{
      .bytes_per_second = bytes_per_second, .window = window, .grace = grace};
  return plan;
}

// Each step is 100 ms; the socket accepts 150 bytes every step (1500 B/s)
// against a floor of 1000 B/s over 1 s: never cut, every window judged.
TEST_F(SchedulerTest, TransferAboveTheFloorIsNeverCut) {
  Make();
  const TransferId id = Submit(FloorPlan(1000, absl::Seconds(1)));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  for (int step = 1; step <= 300; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    ASSERT_TRUE(backend_.IsPending(id)) << step;
    backend_.Answer1({.id = id, .file_bytes = 150});
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_EQ(ResultOf(id), nullptr) << "cut at step " << step;
    // Pushes again.
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  EXPECT_EQ(stats_.min_rate_checks, 30u);
  EXPECT_EQ(stats_.min_rate_cuts, 0u);
}

// Below the floor: cut exactly when the first window ends, with the exact
// counts and a message that names the fd, the offset, the rate achieved
// and the rate required.
TEST_F(SchedulerTest, TransferBelowTheFloorIsCutAtTheWindowEnd) {
  Make();
  TransferPlan plan = FloorPlan(1000, absl::Seconds(2));
  plan.offset = 10;
  plan.header = "head";
  const absl::Time admitted = clock_.Now();
  const TransferId id = Submit(std::move(plan));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .header_bytes = 4, .file_bytes = 500});
  // The backend then holds the next push forever: only the floor's timer,
  // bounding the wait, can end the transfer.
  ASSERT_NE(TurnUntilEnded(id), nullptr);
  EXPECT_EQ(clock_.Now() - admitted, absl::Seconds(2));
  EXPECT_THAT(
      ResultOf(id)->status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("below minimum rate on socket fd 7 at offset 510: "
                         "252 bytes/s over the last 2s (504 bytes), 1000 "
                         "bytes/s required")));
  EXPECT_EQ(ResultOf(id)->bytes_sent, 500u);
  EXPECT_EQ(ResultOf(id)->header_bytes_sent, 4u);
  EXPECT_EQ(ResultOf(id)->next_offset, 510u);
  EXPECT_EQ(stats_.min_rate_checks, 1u);
  EXPECT_EQ(stats_.min_rate_cuts, 1u);
  EXPECT_EQ(stats_.completed_with(absl::StatusCode::kDeadlineExceeded), 1u);
}

TEST_F(SchedulerTest, GraceDelaysTheFirstWindow) {
  Make();
  const absl::Time admitted = clock_.Now();
  const TransferId id =
      Submit(FloorPlan(1000, absl::Seconds(1), absl::Seconds(5)));
  ASSERT_NE(TurnUntilEnded(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("below minimum rate")));
  // The grace, then one whole window.
  EXPECT_EQ(clock_.Now() - admitted, absl::Seconds(6));
}

// Time spent queued for admission does not count: the first window starts
// when the transfer is admitted.
TEST_F(SchedulerTest, FloorStartsAtAdmission) {
  Make({.max_active = 1});
  const TransferId blocker = Submit(Plan(10));
  const TransferId id = Submit(FloorPlan(1000, absl::Seconds(1)));
  clock_.Advance(absl::Seconds(30));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = blocker, .file_bytes = 10});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(blocker), nullptr);
  const absl::Time admitted = clock_.Now();
  ASSERT_NE(TurnUntilEnded(id), nullptr);
  EXPECT_EQ(clock_.Now() - admitted, absl::Seconds(1));
}

// A window is judged by its total, however the bytes fall in it: 9000
// bytes early and 1000 late make the 10000 a 1000 B/s floor needs over
// 10 s, four windows running; 9000 and 999 do not.
TEST_F(SchedulerTest, BytesSpreadUnevenlyWithinAWindowCount) {
  Make();
  const TransferId id = Submit(FloorPlan(1000, absl::Seconds(10)));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  int ended_at = 0;
  for (int step = 1; step <= 600 && ended_at == 0; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    const int in_window = step % 100;
    if (in_window == 5 || in_window == 95) {
      ASSERT_TRUE(backend_.IsPending(id)) << step;
      const uint64_t late = step < 400 ? 1000 : 999;
      backend_.Answer1(
          {.id = id, .file_bytes = in_window == 5 ? uint64_t{9000} : late});
    }
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    if (ResultOf(id) != nullptr) ended_at = step;
  }
  EXPECT_EQ(ended_at, 500);
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(
      ResultOf(id)->status,
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr("999 bytes/s over the last 10s (9999 bytes)")));
  EXPECT_EQ(ResultOf(id)->bytes_sent, 4 * 10000u + 9999u);
  EXPECT_EQ(stats_.min_rate_checks, 5u);
  EXPECT_EQ(stats_.min_rate_cuts, 1u);
}

TEST_F(SchedulerTest, TransferDoneBeforeItsFirstWindowEndsIsOk) {
  Make();
  TransferPlan plan = FloorPlan(1 << 20, absl::Seconds(10));
  plan.length = 1000;
  const TransferId id = Submit(std::move(plan));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  clock_.Advance(absl::Seconds(9));
  backend_.Answer1({.id = id, .file_bytes = 1000});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, IsOk());
  EXPECT_EQ(stats_.min_rate_checks, 0u);
}

constexpr uint64_t kFill = 1'000'000;

TransferId SchedulerTest::SubmitAndFillTheSendQueue() {
  send_queue_.Set(kSocketFd, 0);
  const TransferId id = Submit(FloorPlan(10'000, absl::Seconds(1)));
  EXPECT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1({.id = id, .file_bytes = kFill});
  send_queue_.Set(kSocketFd, kFill);
  return id;
}

// What the peer takes counts, not what the socket buffers: a megabyte that
// fills the send queue at once buys no window when the peer reads none of it.
TEST_F(SchedulerTest, FillingTheSendQueueIsNotThePeersProgress) {
  Make();
  const absl::Time admitted = clock_.Now();
  const TransferId id = SubmitAndFillTheSendQueue();
  ASSERT_NE(TurnUntilEnded(id), nullptr);
  EXPECT_EQ(clock_.Now() - admitted, absl::Seconds(1));
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("0 bytes/s over the last 1s (0 bytes)")));
  EXPECT_EQ(ResultOf(id)->bytes_sent, kFill);
}

// A peer reading 20 kB/s from a full send queue, while the socket accepts
// nothing, keeps a 10 kB/s floor; once it stops, the window under way is
// its last.
TEST_F(SchedulerTest, PeerTakingBytesOffTheSendQueueKeepsTheFloor) {
  Make();
  const TransferId id = SubmitAndFillTheSendQueue();
  uint64_t queued = kFill;
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  for (int step = 1; step <= 100; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    queued -= 2000;
    send_queue_.Set(kSocketFd, queued);
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    ASSERT_EQ(ResultOf(id), nullptr) << "cut at step " << step;
  }
  EXPECT_EQ(stats_.min_rate_checks, 10u);
  // The peer stops just after the check at 10 s: the next one cuts.
  int ended_at = 0;
  for (int step = 1; step <= 20 && ended_at == 0; ++step) {
    clock_.Advance(absl::Milliseconds(100));
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    if (ResultOf(id) != nullptr) ended_at = step;
  }
  EXPECT_EQ(ended_at, 10);
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("below minimum rate")));
  EXPECT_EQ(ResultOf(id)->bytes_sent, kFill);
}

TEST_F(SchedulerTest, RejectsNonsenseMinimumRates) {
  Make();
  const std::vector<MinRate> nonsense = {
      {.bytes_per_second = 0},
      {.bytes_per_second = 1, .window = absl::ZeroDuration()},
      {.bytes_per_second = 1, .window = absl::Seconds(-1)},
      {.bytes_per_second = 1, .window = absl::InfiniteDuration()},
      {.bytes_per_second = 1, .grace = absl::Seconds(-1)},
      {.bytes_per_second = 1, .grace = absl::InfiniteDuration()},
  };
  for (const MinRate& floor : nonsense) {
    TransferPlan plan = Plan(10);
    plan.min_rate = floor;
    EXPECT_THAT(scheduler_->Submit(std::move(plan),
                                   [](TransferId, const TransferResult&) {}),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("min_rate of the transfer on socket fd 7")))
        << floor.bytes_per_second << " " << floor.window << " " << floor.grace;
  }
  EXPECT_EQ(scheduler_->live(), 0u);
}

TEST_F(SchedulerTest, DeadlineFiresWhileQueued) {
  Make({.max_active = 1});
  const TransferId blocker = Submit(Plan(10));
  TransferPlan plan = Plan(10);
  plan.deadline = clock_.WallNow() + absl::Seconds(2);
  const TransferId queued = Submit(std::move(plan));
  for (int i = 0; i < 10 && ResultOf(queued) == nullptr; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
  }
  ASSERT_NE(ResultOf(queued), nullptr);
  EXPECT_THAT(ResultOf(queued)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("deadline passed")));
  EXPECT_EQ(ResultOf(blocker), nullptr);
  EXPECT_EQ(backend_.opened(), std::vector<TransferId>{blocker});
}

// Timers run on monotonic time: a wall clock that steps (NTP, a VM that
// resumes) neither fires them early nor holds them back, and a deadline,
// given on the wall clock, is converted once at Submit().
TEST_F(SchedulerTest, TimersIgnoreWallClockSteps) {
  Make();
  TransferPlan by_deadline = Plan(100);
  by_deadline.deadline = clock_.WallNow() + absl::Seconds(10);
  TransferPlan by_idle = Plan(100);
  by_idle.idle_timeout = absl::Seconds(10);
  const TransferId deadline_id = Submit(std::move(by_deadline));
  const TransferId idle_id = Submit(std::move(by_idle));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(deadline_id));

  clock_.StepWall(absl::Hours(1));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_EQ(ResultOf(deadline_id), nullptr);
  EXPECT_EQ(ResultOf(idle_id), nullptr);
  clock_.StepWall(-absl::Hours(2));
  clock_.Advance(absl::Seconds(9));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_EQ(ResultOf(deadline_id), nullptr);
  EXPECT_EQ(ResultOf(idle_id), nullptr);

  clock_.Advance(absl::Seconds(1));
  for (int i = 0; i < 10 && scheduler_->live() > 0; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_NE(ResultOf(deadline_id), nullptr);
  ASSERT_NE(ResultOf(idle_id), nullptr);
  EXPECT_THAT(ResultOf(deadline_id)->status,
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       HasSubstr("deadline passed")));
  EXPECT_THAT(
      ResultOf(idle_id)->status,
      StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("no progress")));
}

TEST_F(SchedulerTest, WaitIsBoundedByNearestTimer) {
  Make();
  TransferPlan far = Plan(10);
  far.idle_timeout = absl::Seconds(50);
  TransferPlan near = Plan(10);
  near.idle_timeout = absl::Seconds(3);
  Submit(std::move(far));
  Submit(std::move(near));
  ASSERT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
  ASSERT_FALSE(backend_.waits().empty());
  // A quarter of the way to the nearer idle timeout its send queue is
  // sampled.
  EXPECT_EQ(backend_.waits()[0], absl::Milliseconds(750));
}

TEST_F(SchedulerTest, NegativeTimeoutMeansDoNotWait) {
  Make();
  Submit(Plan(10));
  ASSERT_THAT(scheduler_->Turn(-absl::Seconds(1)), IsOk());
  ASSERT_FALSE(backend_.waits().empty());
  EXPECT_EQ(backend_.waits()[0], absl::ZeroDuration());
}

TEST_F(SchedulerTest, CancelOfAPushedTransferIsReadyWork) {
  Make();
  backend_.MakeCancelsLate();
  const TransferId id = Submit(Plan(100));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_FALSE(scheduler_->HasReadyWork());
  EXPECT_TRUE(scheduler_->Cancel(id));
  // The outcome is due from the backend without any fd becoming ready, so a
  // host must be told to poll.
  EXPECT_TRUE(scheduler_->HasReadyWork());
  backend_.Answer1({.id = id, .cancelled = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_FALSE(scheduler_->HasReadyWork());
  ASSERT_NE(ResultOf(id), nullptr);
}

// A cancel the backend has been asked for but not answered yet (a read
// still blocked in the kernel) is ready work only until the next wait: the
// backend reports it through its own fd. Counting it longer made a host
// that sleeps on wake_fd() spin until the kernel let go.
TEST_F(SchedulerTest, UnansweredCancelStopsBeingReadyWorkAfterAWait) {
  Make();
  backend_.MakeCancelsLate();
  const TransferId id = Submit(Plan(100));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_TRUE(scheduler_->Cancel(id));
  EXPECT_TRUE(scheduler_->HasReadyWork());
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_FALSE(scheduler_->HasReadyWork());
  EXPECT_EQ(ResultOf(id), nullptr);
  backend_.Answer1({.id = id, .cancelled = true});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_THAT(ResultOf(id)->status, StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(SchedulerTest, CallbackMaySubmitAndCancel) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  std::optional<TransferId> chained;
  absl::StatusOr<TransferId> first =
      scheduler_->Submit(Plan(10), [&](TransferId, const TransferResult&) {
        absl::StatusOr<TransferId> next = scheduler_->Submit(
            Plan(20), [&](TransferId, const TransferResult& r) {
              results_.push_back(r);
            });
        ASSERT_THAT(next, IsOk());
        chained = *next;
      });
  ASSERT_THAT(first, IsOk());
  for (int i = 0; i < 10 && results_.empty(); ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_TRUE(chained.has_value());
  ASSERT_EQ(results_.size(), 1u);
  EXPECT_EQ(results_[0].bytes_sent, 20u);
}

TEST_F(SchedulerTest, RejectsEmptyCallbackAndZeroCount) {
  Make();
  EXPECT_THAT(scheduler_->Submit(Plan(10), DoneCallback()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      scheduler_->Submit(Plan(0), [](TransferId, const TransferResult&) {}),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("count must be positive")));
  EXPECT_EQ(scheduler_->live(), 0u);
}

TEST_F(SchedulerTest, FallbackIsReportedAndCounted) {
  Make();
  const TransferId id = Submit(Plan(10));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  backend_.Answer1(
      {.id = id, .file_bytes = 10, .carrier = BackendKind::kReadSend});
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_NE(ResultOf(id), nullptr);
  EXPECT_EQ(ResultOf(id)->backend, BackendKind::kReadSend);
  EXPECT_EQ(stats_.fallbacks, 1u);
}

// Maximum rate, on fake time: the bucket, not the socket, sets the pace.

constexpr uint64_t kRate = 100 * 1024;  // a step of 2048 bytes (20 ms)

TransferPlan RatedPlan(uint64_t length, uint64_t after_bytes = 0) {
  TransferPlan plan = Plan(length);
  plan.max_rate =
      MaxRate{.bytes_per_second = kRate, .after_bytes = after_bytes};
  return plan;
}

TEST_F(SchedulerTest, MaxRateSpreadsTheBytesOverTime) {
  Make({.quantum_bytes = 64 * 1024});
  backend_.AutoAnswer(FakeBackend::MoveAll);
  TransferPlan plan = RatedPlan(1 << 20);
  plan.header = "head";
  plan.trailer = "tail";
  const absl::Time start = clock_.Now();
  const TransferId id = Submit(std::move(plan));
  const TransferResult* result = TurnUntilEnded(id, 5000);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_sent, 1u << 20);
  // The bucket starts with one step: the rest takes (length - step) / rate,
  // to within one timer's rounding per wait.
  const absl::Duration took = clock_.Now() - start;
  const absl::Duration expected =
      absl::Seconds(static_cast<double>((1 << 20) - 2048) / kRate);
  EXPECT_GE(took, expected);
  EXPECT_LE(took, expected + absl::Milliseconds(1));
  // Never more than two steps in one push; the trailer only with the last.
  ASSERT_GT(backend_.pushes().size(), 2u);
  for (size_t i = 0; i < backend_.pushes().size(); ++i) {
    EXPECT_LE(backend_.pushes()[i].file_budget, 2 * 2048u);
    EXPECT_EQ(backend_.pushes()[i].trailer,
              i + 1 == backend_.pushes().size() ? "tail" : "");
  }
  EXPECT_GT(stats_.rate_waits, 100u);
}

TEST_F(SchedulerTest, MaxRateLetsTheFirstAfterBytesGoAtFullSpeed) {
  Make({.quantum_bytes = 64 * 1024});
  pacer_.MarkTcp(kSocketFd);
  backend_.AutoAnswer(FakeBackend::MoveAll);
  const absl::Time start = clock_.Now();
  const TransferId id = Submit(RatedPlan(300 * 1024, 200 * 1024 + 1));
  // Full quanta, then the allowance's odd last piece, in no time at all.
  for (int i = 0; i < 10 && backend_.pushes().size() < 4; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_GE(backend_.pushes().size(), 4u);
  EXPECT_EQ(backend_.pushes()[0].file_budget, 64 * 1024u);
  EXPECT_EQ(backend_.pushes()[3].file_budget, 8 * 1024u + 1);
  EXPECT_EQ(clock_.Now(), start);
  EXPECT_EQ(pacer_.RateOf(kSocketFd), FakeSocketPacer::kOwnRate);
  const TransferResult* result = TurnUntilEnded(id, 5000);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  // Only the bytes past the allowance are paced.
  const absl::Duration expected =
      absl::Seconds(static_cast<double>(100 * 1024 - 1 - 2048) / kRate);
  EXPECT_GE(clock_.Now() - start, expected);
  EXPECT_LE(clock_.Now() - start, expected + absl::Milliseconds(1));
  EXPECT_EQ(stats_.paced_transfers, 1u);
}

TEST_F(SchedulerTest, MaxRatePacesATcpSocketAndRestoresItBeforeTheCallback) {
  Make();
  pacer_.MarkTcp(kSocketFd);
  backend_.AutoAnswer(FakeBackend::MoveAll);
  uint64_t rate_in_callback = 0;
  uint64_t rate_while_running = 0;
  ASSERT_THAT(scheduler_->Submit(RatedPlan(64 * 1024),
                                 [&](TransferId, const TransferResult& r) {
                                   EXPECT_THAT(r.status, IsOk());
                                   rate_in_callback = pacer_.RateOf(kSocketFd);
                                 }),
              IsOk());
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  rate_while_running = pacer_.RateOf(kSocketFd);
  RunToEnd();
  EXPECT_EQ(rate_while_running, kRate);
  EXPECT_EQ(rate_in_callback, FakeSocketPacer::kOwnRate);
  EXPECT_EQ(pacer_.restores(), 1);
  EXPECT_EQ(stats_.paced_transfers, 1u);
}

TEST_F(SchedulerTest, MaxRateOnAUnixSocketIsTheBucketAlone) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  const absl::Time start = clock_.Now();
  const TransferId id = Submit(RatedPlan(64 * 1024));
  const TransferResult* result = TurnUntilEnded(id, 500);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_GE(clock_.Now() - start,
            absl::Seconds(static_cast<double>(64 * 1024 - 2048) / kRate));
  EXPECT_EQ(stats_.paced_transfers, 0u);
  EXPECT_EQ(pacer_.restores(), 0);
}

TEST_F(SchedulerTest, RateWaitIsNotIdleness) {
  Make();
  backend_.AutoAnswer(FakeBackend::MoveAll);
  // 1 KiB/s: a step of 1 KiB, a wait of a second between pushes, ten
  // times the idle timeout.
  TransferPlan plan = Plan(4096);
  plan.max_rate = MaxRate{.bytes_per_second = 1024};
  plan.idle_timeout = absl::Milliseconds(100);
  const TransferId id = Submit(std::move(plan));
  const TransferResult* result = TurnUntilEnded(id, 50);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, IsOk());
  EXPECT_EQ(result->bytes_sent, 4096u);
}

TEST_F(SchedulerTest, CancelDuringARateWaitIsExactAndRestoresPacing) {
  Make();
  pacer_.MarkTcp(kSocketFd);
  backend_.AutoAnswer(FakeBackend::MoveAll);
  const TransferId id = Submit(RatedPlan(1 << 20));
  for (int i = 0; i < 10 && stats_.rate_waits == 0; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  }
  ASSERT_EQ(stats_.rate_waits, 1u);
  ASSERT_TRUE(scheduler_->Cancel(id));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  const TransferResult* result = ResultOf(id);
  ASSERT_NE(result, nullptr);
  EXPECT_THAT(result->status, StatusIs(absl::StatusCode::kCancelled));
  // The bucket's first step, and not a byte more.
  EXPECT_EQ(result->bytes_sent, 2048u);
  EXPECT_EQ(pacer_.RateOf(kSocketFd), FakeSocketPacer::kOwnRate);
}

TEST_F(SchedulerTest, AbandonGivesASocketItsPacingBack) {
  Make();
  pacer_.MarkTcp(kSocketFd);
  const TransferId id = Submit(RatedPlan(1 << 20));
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_TRUE(backend_.IsPending(id));
  ASSERT_EQ(pacer_.RateOf(kSocketFd), kRate);
  scheduler_->Abandon(absl::InternalError("waiter broke"));
  EXPECT_EQ(pacer_.RateOf(kSocketFd), FakeSocketPacer::kOwnRate);
}

TEST_F(SchedulerTest, RejectsAZeroMaxRateAndOneBelowTheFloor) {
  Make();
  const auto ignore = [](TransferId, const TransferResult&) {};
  TransferPlan zero = Plan(10);
  zero.max_rate = MaxRate{};
  EXPECT_THAT(scheduler_->Submit(std::move(zero), ignore),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("socket fd 7 needs a positive rate")));
  TransferPlan inverted = RatedPlan(10);
  inverted.min_rate = MinRate{.bytes_per_second = kRate + 1};
  EXPECT_THAT(scheduler_->Submit(std::move(inverted), ignore),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("below its min_rate")));
  TransferPlan unknown = Plan(10);
  unknown.traffic_class = 1;
  EXPECT_THAT(scheduler_->Submit(std::move(unknown), ignore),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("traffic class 1")));
  EXPECT_EQ(scheduler_->live(), 0u);
}

// Weighted fair share: with a turn budget, classes share it by weight.

class FairShareTest : public SchedulerTest {
 protected:
  // Submits `count` long transfers in `klass`, each on its own socket.
  void SubmitBacklog(uint32_t klass, int count) {
    for (int i = 0; i < count; ++i) {
      TransferPlan plan = Plan(uint64_t{1} << 40);
      plan.endpoints.socket_fd = next_fd_++;
      plan.traffic_class = klass;
      class_of_[Submit(std::move(plan)).value()] = klass;
    }
  }
  // Answers each push moving `share` of its budget, tallied by class.
  void AnswerMoving(double share) {
    AnswerMovingByClass({share, share, share});
  }
  // The same with a share per class.
  void AnswerMovingByClass(std::array<double, 3> shares) {
    backend_.AutoAnswer([this, shares](const PushRequest& request) {
      PushOutcome outcome = FakeBackend::MoveAll(request);
      const uint32_t klass = class_of_[request.id.value()];
      outcome.file_bytes = static_cast<uint64_t>(
          static_cast<double>(request.file_budget) * shares[klass]);
      moved_[klass] += outcome.file_bytes;
      return outcome;
    });
  }
  void Turns(int count) {
    for (int i = 0; i < count; ++i) {
      ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
    }
  }

  int next_fd_ = 100;
  absl::flat_hash_map<uint64_t, uint32_t> class_of_;
  std::array<uint64_t, 3> moved_{};
};

TEST_F(FairShareTest, BackloggedClassesShareTheTurnByWeight) {
  Make({.quantum_bytes = 1000, .class_weights = {1, 3}, .turn_bytes = 8000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 20);
  SubmitBacklog(1, 20);
  Turns(100);
  // Two rounds a turn: 1000 bytes to class 0, 3000 to class 1, each round.
  EXPECT_EQ(moved_[0], 100 * 2000u);
  EXPECT_EQ(moved_[1], 100 * 6000u);
}

TEST_F(FairShareTest, AnIdleClassLeavesItsShareToTheOthers) {
  Make({.quantum_bytes = 1000, .class_weights = {1, 3}, .turn_bytes = 8000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 20);
  Turns(10);
  EXPECT_EQ(moved_[0], 10 * 8000u);
  // Class 1 wakes up: from then on it takes its three quarters.
  SubmitBacklog(1, 20);
  moved_ = {};
  Turns(100);
  EXPECT_EQ(moved_[0] + moved_[1], 100 * 8000u);
  EXPECT_NEAR(static_cast<double>(moved_[1]) / static_cast<double>(moved_[0]),
              3.0, 0.05);
}

TEST_F(FairShareTest, AClassIsChargedForWhatItsSocketsTook) {
  Make({.quantum_bytes = 1000, .class_weights = {1, 1}, .turn_bytes = 8000});
  // Equal weights; class 1's sockets take a quarter of each push. Charged
  // by budget alone it would get a quarter of class 0's bytes (0.25); given
  // back what its pushes did not move, it gets the same bytes.
  AnswerMovingByClass({1.0, 0.25, 1.0});
  SubmitBacklog(0, 20);
  SubmitBacklog(1, 20);
  Turns(200);
  EXPECT_NEAR(static_cast<double>(moved_[1]) / static_cast<double>(moved_[0]),
              1.0, 0.05);
}

TEST_F(FairShareTest, WithoutATurnBudgetEveryRunnableTransferIsPushed) {
  Make({.quantum_bytes = 1000, .class_weights = {1, 3}});
  AnswerMoving(1.0);
  SubmitBacklog(0, 20);
  SubmitBacklog(1, 20);
  Turns(10);
  EXPECT_EQ(moved_[0], 10 * 20 * 1000u);
  EXPECT_EQ(moved_[1], 10 * 20 * 1000u);
}

TEST_F(FairShareTest, TheEnginesCeilingIsSharedByWeight) {
  // 100 kB/s over every transfer: steps of 2000 bytes every 20 ms.
  Make({.quantum_bytes = 1000, .class_weights = {1, 3}, .max_rate = 100000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 20);
  SubmitBacklog(1, 20);
  const absl::Time start = clock_.Now();
  for (int i = 0; i < 10000 && clock_.Now() - start < absl::Seconds(10); ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
  }
  ASSERT_GE(clock_.Now() - start, absl::Seconds(10));
  // The rate, plus the first step and at most one push of overdraw.
  EXPECT_GE(moved_[0] + moved_[1], 1000000u);
  EXPECT_LE(moved_[0] + moved_[1], 1000000u + 2000 + 1000);
  EXPECT_NEAR(static_cast<double>(moved_[1]) / static_cast<double>(moved_[0]),
              3.0, 0.05);
  EXPECT_GT(stats_.engine_rate_waits, 400u);
}

TEST_F(FairShareTest, TheEnginesCeilingIsNotReadyWorkUntilItRefills) {
  Make({.quantum_bytes = 1000, .max_rate = 100000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 4);
  // The first step goes; the transfers come back runnable, and the bucket
  // is spent: no ready work, and the next timer is its refill.
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  EXPECT_FALSE(scheduler_->HasReadyWork());
  ASSERT_NE(scheduler_->NextTimer(), absl::InfiniteFuture());
  EXPECT_GT(scheduler_->NextTimer(), clock_.Now());
  EXPECT_LE(scheduler_->NextTimer(), clock_.Now() + absl::Milliseconds(40));
  clock_.Advance(scheduler_->NextTimer() - clock_.Now());
  EXPECT_TRUE(scheduler_->HasReadyWork());
}

// "No bound" spelled as the largest number must not wrap into "serve
// nothing" (a turn of 2^64 - 1 bytes) or hang the turn (a quantum of
// 2^64 - 1 times a weight).
TEST_F(FairShareTest, HugeTurnsAndQuantaStillServe) {
  Make({.quantum_bytes = 1000, .turn_bytes = ~uint64_t{0}});
  AnswerMoving(1.0);
  SubmitBacklog(0, 2);
  Turns(10);
  EXPECT_EQ(moved_[0], 10 * 2 * 1000u);
}

TEST_F(FairShareTest, HugeQuantumWithATurnBudgetStillServes) {
  Make({.quantum_bytes = ~uint64_t{0},
        .class_weights = {1, ~uint32_t{0}},
        .turn_bytes = 1 << 20});
  AnswerMoving(1.0);
  SubmitBacklog(0, 2);
  SubmitBacklog(1, 2);
  Turns(10);
  EXPECT_GT(moved_[0] + moved_[1], 0u);
}

// Under the engine's ceiling too, a class is charged for what its sockets
// took (given back what a push did not move), and a turn hands out no
// more than the ceiling allows: its last push is cut to what is left.
TEST_F(FairShareTest, TheEnginesCeilingChargesWhatSocketsTook) {
  Make({.quantum_bytes = 1000, .class_weights = {1, 1}, .max_rate = 100000});
  AnswerMovingByClass({1.0, 0.25, 1.0});
  SubmitBacklog(0, 20);
  SubmitBacklog(1, 20);
  for (int i = 0; i < 5000; ++i) {
    ASSERT_THAT(scheduler_->Turn(absl::InfiniteDuration()), IsOk());
  }
  EXPECT_NEAR(static_cast<double>(moved_[1]) / static_cast<double>(moved_[0]),
              1.0, 0.05);
}

TEST_F(FairShareTest, APushIsCutToWhatTheCeilingAllowsThisTurn) {
  // 1 MB/s: steps of 20,000 bytes, a turn of two; quanta of 512 KiB.
  Make({.max_rate = 1000000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 4);
  ASSERT_THAT(scheduler_->Turn(absl::ZeroDuration()), IsOk());
  uint64_t handed_out = 0;
  for (const auto& push : backend_.pushes()) handed_out += push.file_budget;
  EXPECT_LE(handed_out, 20000u);
  EXPECT_GT(handed_out, 0u);
}

// Transfers the ceiling holds in the run queue are not idle: their peers
// are never asked to take what the engine did not send.
TEST_F(FairShareTest, AWaitForTheEnginesCeilingIsNotIdleness) {
  Make({.quantum_bytes = 64 * 1024, .max_rate = 64 * 1024});
  AnswerMoving(1.0);
  for (int i = 0; i < 10; ++i) {
    TransferPlan plan = Plan(256 * 1024);
    plan.endpoints.socket_fd = next_fd_++;
    plan.idle_timeout = absl::Seconds(3);
    class_of_[Submit(std::move(plan)).value()] = 0;
  }
  RunToEnd();
  ASSERT_EQ(results_.size(), 10u);
  for (const TransferResult& result : results_) {
    EXPECT_THAT(result.status, IsOk());
    EXPECT_EQ(result.bytes_sent, 256 * 1024u);
  }
}

TEST_F(FairShareTest, ATurnLeftUnservedDoesNotWait) {
  Make({.quantum_bytes = 1000, .class_weights = {1}, .turn_bytes = 2000});
  AnswerMoving(1.0);
  SubmitBacklog(0, 10);
  ASSERT_THAT(scheduler_->Turn(absl::Seconds(5)), IsOk());
  EXPECT_TRUE(scheduler_->HasReadyWork());
  ASSERT_FALSE(backend_.waits().empty());
  EXPECT_EQ(backend_.waits().back(), absl::ZeroDuration());
}

}  // namespace
}  // namespace sluice::internal
