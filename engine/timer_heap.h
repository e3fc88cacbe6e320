// Copyright 2026 The sluice Authors.
//
// TimerHeap: a min-heap of one deadline per transfer slot, with removal, so
// the timers of ended transfers leave at once instead of piling up until
// their (possibly far) expiry.

#ifndef SLUICE_ENGINE_TIMER_HEAP_H_
#define SLUICE_ENGINE_TIMER_HEAP_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace sluice::internal {

class TimerHeap {
 public:
  // Inserts `slot` at `when`, or moves it there if present.
  void Set(uint32_t slot, absl::Time when);
  // Removes `slot` if present.
  void Remove(uint32_t slot);
  bool Contains(uint32_t slot) const {
    return slot < position_.size() && position_[slot] != kAbsent;
  }
  // The time `slot` is set for; InfiniteFuture if absent.
  absl::Time When(uint32_t slot) const {
    return Contains(slot) ? heap_[position_[slot]].when
                          : absl::InfiniteFuture();
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  // The earliest entry. Requires !empty().
  absl::Time top_when() const { return heap_.front().when; }
  uint32_t top_slot() const { return heap_.front().slot; }

 private:
  static constexpr uint32_t kAbsent = ~uint32_t{0};
  struct Entry {
    absl::Time when;
    uint32_t slot;
  };

  void Place(size_t index, Entry entry);
  void SiftUp(size_t index);
  void SiftDown(size_t index);

  std::vector<Entry> heap_;
  // slot -> index in heap_, or kAbsent.
  std::vector<uint32_t> position_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_TIMER_HEAP_H_
