// Copyright 2026 The sluice Authors.

#include "engine/slot_table.h"

#include <string>

#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

TEST(SlotTableTest, HandlesAreDenseAndReused) {
  SlotTable<std::string> table;
  const BackendHandle a = table.Add();
  const BackendHandle b = table.Add();
  EXPECT_EQ(a.index(), 0u);
  EXPECT_EQ(b.index(), 1u);
  table.Remove(a);
  EXPECT_EQ(table.Add().index(), 0u);
  EXPECT_EQ(table.live(), 2u);
}

TEST(SlotTableTest, EntriesAreResetOnReuse) {
  SlotTable<std::string> table;
  const BackendHandle a = table.Add();
  table[a] = "left over";
  table.Remove(a);
  const BackendHandle again = table.Add();
  ASSERT_EQ(again, a);
  EXPECT_EQ(table[again], "");
}

TEST(SlotTableTest, StaleTokenFindsNothing) {
  SlotTable<int> table;
  const BackendHandle a = table.Add();
  const uint64_t token = table.Token(a);
  EXPECT_NE(table.FromToken(token), nullptr);
  table.Remove(a);
  EXPECT_EQ(table.FromToken(token), nullptr);
  const BackendHandle reused = table.Add();
  ASSERT_EQ(reused, a);
  EXPECT_EQ(table.FromToken(token), nullptr);
  EXPECT_EQ(table.FromToken(table.Token(reused)), &table[reused]);
  EXPECT_EQ(table.FromToken(uint64_t{1} << 32 | 99), nullptr);
}

TEST(SlotTableTest, EntriesDoNotMoveAsTheTableGrows) {
  SlotTable<int> table;
  const BackendHandle first = table.Add();
  const int* address = &table[first];
  for (int i = 0; i < 10000; ++i) table.Add();
  EXPECT_EQ(&table[first], address);
}

TEST(SlotTableTest, GenerationsStayWithin24BitsAndSkipZero) {
  SlotTable<int> table;
  BackendHandle handle = table.Add();
  for (uint32_t i = 0; i < SlotTable<int>::kGenerationMask + 2; ++i) {
    table.Remove(handle);
    handle = table.Add();
    ASSERT_NE(table.generation(handle), 0u);
    ASSERT_LE(table.generation(handle), SlotTable<int>::kGenerationMask);
  }
}

}  // namespace
}  // namespace sluice::internal
