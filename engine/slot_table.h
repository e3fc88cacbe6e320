// Copyright 2026 The sluice Authors.
//
// SlotTable: the per-transfer state a backend keeps, behind the dense
// handles its Open() hands out. Every backend uses it, so the free list, the
// stale-token guard and address stability are written once.
//
// Entries live in a deque: an entry never moves while the table grows, so
// the kernel may keep pointers into one (an iovec, a msghdr) until its
// request completes. A token (index and generation) is what a backend gives
// the kernel or its waiter to hand back; Find() turns it back into the entry
// only if that entry has not been removed since.

#ifndef SLUICE_ENGINE_SLOT_TABLE_H_
#define SLUICE_ENGINE_SLOT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "engine/backend.h"

namespace sluice::internal {

template <typename T>
class SlotTable {
 public:
  // Generations wrap within 24 bits, so a token fits beside an 8-bit tag in
  // the low half of an io_uring user_data word.
  static constexpr uint32_t kGenerationMask = 0xffffff;

  // A free entry, reset to T().
  BackendHandle Add() {
    uint32_t index;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      index = static_cast<uint32_t>(entries_.size());
      entries_.emplace_back();
    }
    Entry& entry = entries_[index];
    entry.value = T();
    entry.live = true;
    ++live_;
    return BackendHandle(index);
  }

  // Resets the entry (releasing what it holds) and frees its index.
  void Remove(BackendHandle handle) {
    Entry& entry = entries_[handle.index()];
    if (!entry.live) return;
    entry.value = T();
    entry.live = false;
    entry.generation = (entry.generation + 1) & kGenerationMask;
    if (entry.generation == 0) entry.generation = 1;
    free_.push_back(handle.index());
    --live_;
  }

  T& operator[](BackendHandle handle) { return entries_[handle.index()].value; }

  uint32_t generation(BackendHandle handle) const {
    return entries_[handle.index()].generation;
  }
  // The live entry at `index` if its generation is still `generation`.
  T* Find(uint32_t index, uint32_t generation) {
    if (index >= entries_.size()) return nullptr;
    Entry& entry = entries_[index];
    if (!entry.live || entry.generation != generation) return nullptr;
    return &entry.value;
  }

  // One word for a waiter's token: generation << 32 | index.
  uint64_t Token(BackendHandle handle) const {
    return uint64_t{generation(handle)} << 32 | handle.index();
  }
  T* FromToken(uint64_t token) {
    return Find(static_cast<uint32_t>(token),
                static_cast<uint32_t>(token >> 32));
  }

  // Entries added and not removed.
  size_t live() const { return live_; }

  // Calls `f` on every live entry.
  template <typename F>
  void ForEach(F f) {
    for (Entry& entry : entries_) {
      if (entry.live) f(entry.value);
    }
  }

 private:
  struct Entry {
    T value;
    uint32_t generation = 1;
    bool live = false;
  };
  std::deque<Entry> entries_;
  std::vector<uint32_t> free_;
  size_t live_ = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SLOT_TABLE_H_
