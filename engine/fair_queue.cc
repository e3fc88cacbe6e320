// Copyright 2026 The sluice Authors.

#include "engine/fair_queue.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace sluice::internal {
namespace {

// Credits, charges and budgets are kept below this (2 EiB), so that no sum
// of a few of them overflows: a quantum of UINT64_MAX, a weight of
// UINT32_MAX or a turn of 2^64 - 1 (natural ways to say "no bound") stay
// huge and positive instead of wrapping negative and serving nothing.
constexpr int64_t kMostBytes = std::numeric_limits<int64_t>::max() / 4;

int64_t Bytes(uint64_t bytes) {
  return static_cast<int64_t>(
      std::min<uint64_t>(bytes, static_cast<uint64_t>(kMostBytes)));
}

}  // namespace

FairQueue::FairQueue(std::vector<uint32_t> weights, uint64_t quantum_bytes) {
  if (weights.empty()) weights.push_back(1);
  classes_.resize(weights.size());
  ends_.resize(weights.size());
  const int64_t quantum = std::max<int64_t>(Bytes(quantum_bytes), 1);
  for (size_t i = 0; i < weights.size(); ++i) {
    const int64_t weight = std::max<uint32_t>(weights[i], 1);
    classes_[i].round_share =
        weight > kMostBytes / quantum ? kMostBytes : weight * quantum;
  }
}

void FairQueue::Push(uint32_t klass, TransferId id) {
  classes_[klass].fifo.push_back(id);
  ++queued_;
}

void FairQueue::Serve(uint64_t turn_bytes,
                      absl::FunctionRef<uint64_t(TransferId, uint64_t)> serve) {
  if (turn_bytes == 0) {
    // Ids pushed while serving land behind `end` and wait.
    for (Class& c : classes_) {
      for (const size_t end = c.fifo.size(); c.next < end; ++c.next) {
        --queued_;
        serve(c.fifo[c.next], std::numeric_limits<uint64_t>::max());
      }
    }
    Compact();
    return;
  }
  // Only what was queued at the start is served now.
  size_t left_to_serve = 0;
  for (size_t i = 0; i < classes_.size(); ++i) {
    ends_[i] = classes_[i].fifo.size();
    left_to_serve += ends_[i] - classes_[i].next;
  }
  int64_t budget = Bytes(turn_bytes);
  while (budget > 0 && left_to_serve > 0) {
    Class& c = classes_[current_];
    if (c.next < ends_[current_]) {
      if (!credited_) {
        c.credit = std::min(c.credit + c.round_share, kMostBytes);
        credited_ = true;
      }
      while (c.credit > 0 && budget > 0 && c.next < ends_[current_]) {
        const TransferId id = c.fifo[c.next++];
        --queued_;
        --left_to_serve;
        const int64_t charge = Bytes(serve(id, static_cast<uint64_t>(budget)));
        c.credit -= charge;
        budget -= charge;
      }
      // Out of budget with credit and ids left: resume here next turn.
      if (c.credit > 0 && c.next < ends_[current_]) break;
    }
    if (!c.waiting()) c.credit = std::min<int64_t>(c.credit, 0);
    current_ = (current_ + 1) % classes_.size();
    credited_ = false;
  }
  Compact();
}

void FairQueue::Refund(uint32_t klass, uint64_t bytes) {
  // No cap needed beyond the saturation: a class never gets back more than
  // it was charged.
  Class& c = classes_[klass];
  c.credit = std::min(c.credit + Bytes(bytes), kMostBytes);
}

void FairQueue::Clear() {
  for (Class& c : classes_) {
    c.fifo.clear();
    c.next = 0;
  }
  queued_ = 0;
}

void FairQueue::Compact() {
  // A bounded turn may serve a few ids of a long queue: moving the rest
  // forward every turn would cost the queue's length each time, so the
  // served prefix goes only once it is half the vector.
  for (Class& c : classes_) {
    if (c.next == 0 || c.next < c.fifo.size() - c.next) continue;
    c.fifo.erase(c.fifo.begin(),
                 c.fifo.begin() + static_cast<ptrdiff_t>(c.next));
    c.next = 0;
  }
}

}  // namespace sluice::internal
