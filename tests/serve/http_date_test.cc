// Copyright 2026 The sluice Authors.

#include "serve/http_date.h"

#include "gtest/gtest.h"

namespace sluice::serve {
namespace {

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(absl::FromUnixSeconds(784111777)),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(FormatHttpDate(absl::FromUnixSeconds(951782400)),
            "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(absl::FromUnixSeconds(0) + absl::Milliseconds(999)),
            "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDateTest, RoundTripsWholeSeconds) {
  // One date a day for ~30 years, each weekday and month name included.
  for (int64_t s = 0; s < 30LL * 365 * 86400; s += 86400 + 3607) {
    const absl::Time time = absl::FromUnixSeconds(s);
    std::optional<absl::Time> parsed = ParseHttpDate(FormatHttpDate(time));
    ASSERT_TRUE(parsed.has_value()) << s;
    EXPECT_EQ(*parsed, time) << FormatHttpDate(time);
  }
}

TEST(HttpDateTest, RefusesOtherForms) {
  EXPECT_FALSE(ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun Nov  6 08:49:37 1994").has_value());
  EXPECT_FALSE(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC").has_value());
  EXPECT_FALSE(ParseHttpDate("").has_value());
}

}  // namespace
}  // namespace sluice::serve
