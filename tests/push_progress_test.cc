// Copyright 2026 The sluice Authors.

#include "engine/push_progress.h"

#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

TEST(SplitSentTest, ShortSendStopsInTheHeader) {
  const SentParts parts = SplitSent(3, 5, 100, 2);
  EXPECT_EQ(parts.header, 3u);
  EXPECT_EQ(parts.data, 0u);
  EXPECT_EQ(parts.trailer, 0u);
  EXPECT_TRUE(parts.short_send);
}

TEST(SplitSentTest, ShortSendStopsInTheData) {
  const SentParts parts = SplitSent(55, 5, 100, 2);
  EXPECT_EQ(parts.header, 5u);
  EXPECT_EQ(parts.data, 50u);
  EXPECT_EQ(parts.trailer, 0u);
  EXPECT_TRUE(parts.short_send);
}

TEST(SplitSentTest, ShortSendStopsInTheTrailer) {
  const SentParts parts = SplitSent(106, 5, 100, 2);
  EXPECT_EQ(parts.trailer, 1u);
  EXPECT_TRUE(parts.short_send);
}

TEST(SplitSentTest, FullSendIsNotShort) {
  const SentParts parts = SplitSent(107, 5, 100, 2);
  EXPECT_EQ(parts.header + parts.data + parts.trailer, 107u);
  EXPECT_FALSE(parts.short_send);
}

PushProgress Push(absl::string_view header, uint64_t budget,
                  absl::string_view trailer) {
  PushProgress push;
  push.request.header = header;
  push.request.file_offset = 1000;
  push.request.file_budget = budget;
  push.request.trailer = trailer;
  return push;
}

TEST(PushProgressTest, RecordSendAdvancesEachPart) {
  PushProgress push = Push("HEAD", 10, "T");
  push.RecordSend(6, 4, 10, 1);
  EXPECT_EQ(push.header_left(), "");
  EXPECT_EQ(push.file_left(), 8u);
  EXPECT_EQ(push.file_position(), 1002u);
  EXPECT_EQ(push.trailer_left(), "T");
  EXPECT_TRUE(push.moved_bytes());
}

TEST(PushProgressTest, HeaderGoesWithMoreOnlyWhenSomethingFollows) {
  EXPECT_TRUE(Push("HEAD", 10, "").more_after_header());
  EXPECT_TRUE(Push("HEAD", 0, "T").more_after_header());
  EXPECT_FALSE(Push("HEAD", 0, "").more_after_header());
}

TEST(PushProgressTest, LastFileBytesGoWithMoreOnlyBeforeATrailer) {
  EXPECT_TRUE(Push("", 10, "T").more_after_file(10));
  EXPECT_FALSE(Push("", 10, "T").more_after_file(9));
  EXPECT_FALSE(Push("", 10, "").more_after_file(10));
}

TEST(PushProgressTest, FileStopsBeingPendingAtEof) {
  PushProgress push = Push("", 10, "");
  EXPECT_TRUE(push.file_pending());
  push.outcome.file_ended = true;
  EXPECT_FALSE(push.file_pending());
}

}  // namespace
}  // namespace sluice::internal
