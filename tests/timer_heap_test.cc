// Copyright 2026 The sluice Authors.

#include "engine/timer_heap.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

absl::Time At(int seconds) {
  return absl::UnixEpoch() + absl::Seconds(seconds);
}

TEST(TimerHeapTest, PopsInTimeOrderAcrossSetsMovesAndRemovals) {
  std::mt19937 rng(42);
  TimerHeap heap;
  std::vector<absl::Time> expected(500, absl::InfiniteFuture());
  for (int step = 0; step < 5000; ++step) {
    const uint32_t slot = rng() % expected.size();
    if (rng() % 4 == 0) {
      heap.Remove(slot);
      expected[slot] = absl::InfiniteFuture();
    } else {
      const absl::Time when = At(static_cast<int>(rng() % 100000));
      heap.Set(slot, when);
      expected[slot] = when;
    }
  }
  for (uint32_t slot = 0; slot < expected.size(); ++slot) {
    EXPECT_EQ(heap.When(slot), expected[slot]);
  }
  absl::Time last = absl::InfinitePast();
  size_t popped = 0;
  while (!heap.empty()) {
    const uint32_t slot = heap.top_slot();
    EXPECT_GE(heap.top_when(), last);
    EXPECT_EQ(heap.top_when(), expected[slot]);
    last = heap.top_when();
    heap.Remove(slot);
    EXPECT_FALSE(heap.Contains(slot));
    ++popped;
  }
  EXPECT_EQ(popped, static_cast<size_t>(std::count_if(
                        expected.begin(), expected.end(), [](absl::Time t) {
                          return t != absl::InfiniteFuture();
                        })));
}

TEST(TimerHeapTest, RemovingAbsentSlotIsHarmless) {
  TimerHeap heap;
  heap.Remove(3);
  heap.Set(1, At(5));
  heap.Remove(7);
  EXPECT_EQ(heap.size(), 1u);
  EXPECT_EQ(heap.top_slot(), 1u);
}

}  // namespace
}  // namespace sluice::internal
