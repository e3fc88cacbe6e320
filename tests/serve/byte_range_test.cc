// Copyright 2026 The sluice Authors.

#include "serve/byte_range.h"

#include "gtest/gtest.h"

namespace sluice::serve {
namespace {

void ExpectSlice(absl::string_view value, uint64_t size, uint64_t offset,
                 uint64_t count) {
  const ByteRange range = ParseRange(value, size);
  EXPECT_EQ(range.kind, RangeKind::kSatisfiable) << value;
  EXPECT_EQ(range.offset, offset) << value;
  EXPECT_EQ(range.count, count) << value;
}

TEST(ByteRangeTest, ServesEachFormOfOneRange) {
  ExpectSlice("bytes=0-99", 1000, 0, 100);
  ExpectSlice("bytes=17-17", 1000, 17, 1);
  ExpectSlice("bytes=900-5000", 1000, 900, 100);  // clipped at the end
  ExpectSlice("bytes=999-", 1000, 999, 1);
  ExpectSlice("bytes=-1", 1000, 999, 1);
  ExpectSlice("bytes=-5000", 1000, 0, 1000);
  ExpectSlice("Bytes= 3-4 ", 1000, 3, 2);
  ExpectSlice("bytes=0-99999999999999999999999", 10, 0, 10);
}

TEST(ByteRangeTest, SaysWhenNothingCanBeServed) {
  for (absl::string_view value : {"bytes=1000-", "bytes=1000-2000", "bytes=-0",
                                  "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(ParseRange(value, 1000).kind, RangeKind::kUnsatisfiable) << value;
  }
  EXPECT_EQ(ParseRange("bytes=0-", 0).kind, RangeKind::kUnsatisfiable);
  EXPECT_EQ(ParseRange("bytes=-5", 0).kind, RangeKind::kUnsatisfiable);
}

TEST(ByteRangeTest, IgnoresWhatItDoesNotServe) {
  for (absl::string_view value :
       {"bytes=0-1,5-6", "items=0-1", "bytes=5-4", "bytes=a-b", "bytes=-",
        "bytes=1", "bytes=+1-2", "bytes=-1-2", ""}) {
    EXPECT_EQ(ParseRange(value, 1000).kind, RangeKind::kIgnored) << value;
  }
}

}  // namespace
}  // namespace sluice::serve
