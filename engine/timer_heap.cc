// Copyright 2026 The sluice Authors.

#include "engine/timer_heap.h"

#include <utility>

namespace sluice::internal {

void TimerHeap::Place(size_t index, Entry entry) {
  position_[entry.slot] = static_cast<uint32_t>(index);
  heap_[index] = entry;
}

void TimerHeap::SiftUp(size_t index) {
  const Entry entry = heap_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!(entry.when < heap_[parent].when)) break;
    Place(index, heap_[parent]);
    index = parent;
  }
  Place(index, entry);
}

void TimerHeap::SiftDown(size_t index) {
  const Entry entry = heap_[index];
  const size_t size = heap_.size();
  while (true) {
    size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && heap_[child + 1].when < heap_[child].when) {
      ++child;
    }
    if (!(heap_[child].when < entry.when)) break;
    Place(index, heap_[child]);
    index = child;
  }
  Place(index, entry);
}

void TimerHeap::Set(uint32_t slot, absl::Time when) {
  if (slot >= position_.size()) position_.resize(slot + 1, kAbsent);
  if (position_[slot] == kAbsent) {
    heap_.push_back(Entry{when, slot});
    position_[slot] = static_cast<uint32_t>(heap_.size() - 1);
    SiftUp(heap_.size() - 1);
    return;
  }
  const size_t index = position_[slot];
  const bool earlier = when < heap_[index].when;
  heap_[index].when = when;
  if (earlier) {
    SiftUp(index);
  } else {
    SiftDown(index);
  }
}

void TimerHeap::Remove(uint32_t slot) {
  if (!Contains(slot)) return;
  const size_t index = position_[slot];
  position_[slot] = kAbsent;
  const Entry last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;
  Place(index, last);
  SiftDown(index);
  SiftUp(position_[last.slot]);
}

}  // namespace sluice::internal
