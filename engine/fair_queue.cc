// Copyright 2026 The sluice Authors.

#include "engine/fair_queue.h"

#include <algorithm>
#include <utility>

namespace sluice::internal {

FairQueue::FairQueue(std::vector<uint32_t> weights, uint64_t quantum_bytes) {
  if (weights.empty()) weights.push_back(1);
  classes_.resize(weights.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    classes_[i].round_share =
        static_cast<int64_t>(std::max<uint32_t>(weights[i], 1)) *
        static_cast<int64_t>(std::max<uint64_t>(quantum_bytes, 1));
  }
}

void FairQueue::Push(uint32_t klass, TransferId id) {
  classes_[klass].fifo.push_back(id);
  ++queued_;
}

void FairQueue::Serve(uint64_t turn_bytes,
                      absl::FunctionRef<uint64_t(TransferId)> serve) {
  if (turn_bytes == 0) {
    // Ids pushed while serving land behind `end` and wait.
    for (Class& c : classes_) {
      for (const size_t end = c.fifo.size(); c.next < end; ++c.next) {
        --queued_;
        serve(c.fifo[c.next]);
      }
    }
    Compact();
    return;
  }
  // Only what was queued at the start is served now.
  std::vector<size_t> ends(classes_.size());
  size_t left_to_serve = 0;
  for (size_t i = 0; i < classes_.size(); ++i) {
    ends[i] = classes_[i].fifo.size();
    left_to_serve += ends[i] - classes_[i].next;
  }
  auto budget = static_cast<int64_t>(turn_bytes);
  while (budget > 0 && left_to_serve > 0) {
    Class& c = classes_[current_];
    if (c.next < ends[current_]) {
      if (!credited_) {
        c.credit += c.round_share;
        credited_ = true;
      }
      while (c.credit > 0 && budget > 0 && c.next < ends[current_]) {
        const TransferId id = c.fifo[c.next++];
        --queued_;
        --left_to_serve;
        const auto charge = static_cast<int64_t>(serve(id));
        c.credit -= charge;
        budget -= charge;
      }
      // Out of budget with credit and ids left: resume here next turn.
      if (c.credit > 0 && c.next < ends[current_]) break;
    }
    if (!c.waiting()) c.credit = std::min<int64_t>(c.credit, 0);
    current_ = (current_ + 1) % classes_.size();
    credited_ = false;
  }
  Compact();
}

void FairQueue::Refund(uint32_t klass, uint64_t bytes) {
  // No cap needed: a class never gets back more than it was charged.
  classes_[klass].credit += static_cast<int64_t>(bytes);
}

void FairQueue::Clear() {
  for (Class& c : classes_) {
    c.fifo.clear();
    c.next = 0;
  }
  queued_ = 0;
}

void FairQueue::Compact() {
  for (Class& c : classes_) {
    if (c.next == 0) continue;
    c.fifo.erase(c.fifo.begin(),
                 c.fifo.begin() + static_cast<ptrdiff_t>(c.next));
    c.next = 0;
  }
}

}  // namespace sluice::internal
