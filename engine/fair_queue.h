// Copyright 2026 The sluice Authors.
//
// FairQueue: the scheduler's run queue, one FIFO per traffic class, served
// by deficit round robin when a turn has a byte budget
// (EngineOptions::turn_bytes, or what the engine's max_rate allows).
//
// Without a budget every queued transfer is served each turn, class after
// class. With one, classes are visited in a fixed circle; a class visited
// is credited weight x quantum bytes once per round and serves its
// transfers, first in first out, while its credit is positive. Each
// transfer served is charged the bytes its push may move (the serve
// function's answer), so credit may go below zero by up to one push; the
// debt carries over, as do the circle's position and whether the class
// under service was credited this round: a turn that runs out of budget is
// only a pause in the rounds. A class that runs out of queued transfers
// forfeits a positive credit (deficit round robin's rule: no hoarding while
// idle), so an idle class's share goes to the others. Refund() gives a
// class back what a push was charged but did not move.
//
//   FairQueue queue({1, 3}, quantum);
//   queue.Push(klass, id);
//   queue.Serve(turn_bytes, [&](TransferId id, uint64_t turn_left) {
//     return PushIt(id, turn_left);  // the bytes to charge
//   });

#ifndef SLUICE_ENGINE_FAIR_QUEUE_H_
#define SLUICE_ENGINE_FAIR_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "sluice/transfer.h"

namespace sluice::internal {

class FairQueue {
 public:
  // One class per weight (each > 0), numbered from 0.
  FairQueue(std::vector<uint32_t> weights, uint64_t quantum_bytes);

  size_t classes() const { return classes_.size(); }
  // `klass` < classes().
  void Push(uint32_t klass, TransferId id);
  bool empty() const { return queued_ == 0; }
  // Forgets every queued id.
  void Clear();

  // Hands queued ids to `serve`, with what is left of the turn's budget
  // (UINT64_MAX without one); it pushes the transfer (or skips a stale id)
  // and returns the bytes to charge for it (0 for a skip). With
  // `turn_bytes` 0, every id queued when Serve() began, class by class;
  // otherwise by deficit round robin until the charges reach turn_bytes
  // or nothing is left. Ids pushed during Serve() wait for the next one.
  // Amounts past 2^61 bytes count as 2^61.
  void Serve(uint64_t turn_bytes,
             absl::FunctionRef<uint64_t(TransferId, uint64_t)> serve);
  // `klass` was charged `bytes` more than its push moved.
  void Refund(uint32_t klass, uint64_t bytes);

 private:
  struct Class {
    int64_t credit = 0;
    int64_t round_share = 0;
    // Queued ids from `next` on; those before it were served already and
    // wait for Compact().
    std::vector<TransferId> fifo;
    size_t next = 0;
    bool waiting() const { return next < fifo.size(); }
  };
  // Drops the ids served, once they are half the queue; keeps the
  // capacity.
  void Compact();

  std::vector<Class> classes_;
  // Per class, the end of what was queued when Serve() began.
  std::vector<size_t> ends_;
  size_t queued_ = 0;
  // The class under service, and whether it has had its credit this round.
  size_t current_ = 0;
  bool credited_ = false;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_FAIR_QUEUE_H_
