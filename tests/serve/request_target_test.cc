// Copyright 2026 The sluice Authors.

#include "serve/request_target.h"

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sluice::serve {
namespace {

using ::sluice::testing::StatusIs;

TEST(RequestTargetTest, MapsOriginFormToARelativePath) {
  EXPECT_EQ(ResolveTarget("/").value(), "");
  EXPECT_EQ(ResolveTarget("/a/b.txt").value(), "a/b.txt");
  EXPECT_EQ(ResolveTarget("//a/./b//c?x=../../y").value(), "a/b/c");
  EXPECT_EQ(ResolveTarget("/b%20c%41").value(), "b cA");
  EXPECT_EQ(ResolveTarget("/a%2Fb").value(), "a/b");
  // A directory's name keeps its slash, so a file cannot be named as one.
  EXPECT_EQ(ResolveTarget("/one.bin/").value(), "one.bin/");
  EXPECT_EQ(ResolveTarget("/one.bin/.").value(), "one.bin/");
  EXPECT_EQ(ResolveTarget("/dir/./").value(), "dir/");
}

TEST(RequestTargetTest, TakesOnlyThePathOfAbsoluteForm) {
  EXPECT_EQ(ResolveTarget("http://example.com/a/b").value(), "a/b");
  EXPECT_EQ(ResolveTarget("HTTP://example.com").value(), "");
  EXPECT_THAT(ResolveTarget("http://example.com/../etc/passwd").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Found by the request_target fuzzer: the authority of an absolute-form
// target ran to the first '/', past a '?' or '#': "http://h?x/one.bin"
// served one.bin although its path is empty (the query is "x/one.bin"),
// and "http://h#x" the root although "/#x" is refused.
TEST(RequestTargetTest, AuthorityEndsAtQueryOrFragment) {
  for (const char* target : {"http://h?x/one.bin", "http://h:80?a=/../b"}) {
    const absl::StatusOr<std::string> path = ResolveTarget(target);
    EXPECT_TRUE(path.ok() && path->empty())
        << target << " -> " << (path.ok() ? *path : path.status().ToString());
  }
  EXPECT_EQ(ResolveTarget("http://h/a?x/b").value(), "a");
  EXPECT_THAT(ResolveTarget("http://h#x").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveTarget("https://h#x/one.bin").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ResolveTarget("http://h?q#x").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RequestTargetTest, RefusesWhatCouldLeaveTheRoot) {
  for (const char* target : {
           "/../etc/passwd",
           "/a/../../etc",
           "/%2e%2e/etc/passwd",
           "/%2E%2E%2Fetc",
           "/a/..%2f..%2fetc",
           "/..",
           "/a%00b",
           "/a%0ab",
           "/%7f",
           "/%zz",
           "/%4",
           "/a#frag",
           "etc/passwd",
           "*",
       }) {
    EXPECT_THAT(ResolveTarget(target).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << target;
  }
}

TEST(RequestTargetTest, DecodesOnlyOnce) {
  // "%252e" is "%2e" after one decoding: a harmless name, not "..".
  EXPECT_EQ(ResolveTarget("/%252e%252e/x").value(), "%2e%2e/x");
}

}  // namespace
}  // namespace sluice::serve
