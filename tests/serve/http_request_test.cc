// Copyright 2026 The sluice Authors.

#include "serve/http_request.h"

#include <string>

#include "gtest/gtest.h"

namespace sluice::serve {
namespace {

constexpr size_t kBound = 8192;

RequestHeadParse Parse(absl::string_view text) {
  return ParseRequestHead(text, kBound);
}

TEST(HttpRequestTest, ParsesAGetWithHeaders) {
  const std::string text =
      "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: example\r\nRange:  bytes=0-9 \r\n"
      "\r\nGET /next HTTP/1.1\r\n";
  RequestHeadParse parse = Parse(text);
  ASSERT_EQ(parse.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(parse.consumed, text.find("GET /next"));
  EXPECT_EQ(parse.request.method, "GET");
  EXPECT_EQ(parse.request.target, "/a/b.txt?x=1");
  EXPECT_EQ(parse.request.minor_version, 1);
  EXPECT_EQ(parse.request.Header("RANGE").value_or("?"), "bytes=0-9");
  EXPECT_FALSE(parse.request.Header("if-range").has_value());
  EXPECT_TRUE(parse.request.keep_alive);
}

TEST(HttpRequestTest, WaitsForTheEndOfTheHead) {
  EXPECT_EQ(Parse("").outcome, ParseOutcome::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\n").outcome,
            ParseOutcome::kIncomplete);
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: x\r\n\r").outcome,
            ParseOutcome::kIncomplete);
}

TEST(HttpRequestTest, SkipsEmptyLinesBeforeTheRequestLine) {
  const std::string text = "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestHeadParse parse = Parse(text);
  ASSERT_EQ(parse.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(parse.consumed, text.size());
  EXPECT_EQ(parse.request.target, "/");
}

TEST(HttpRequestTest, KeepAliveFollowsVersionAndConnection) {
  EXPECT_FALSE(Parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n")
                   .request.keep_alive);
  EXPECT_FALSE(Parse("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  RequestHeadParse old =
      Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_EQ(old.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(old.request.minor_version, 0);
  EXPECT_TRUE(old.request.keep_alive);
  EXPECT_TRUE(
      Parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, keep-alive\r\n\r\n")
          .request.keep_alive);
}

TEST(HttpRequestTest, RejectsMalformedHeads) {
  struct Case {
    const char* text;
    int status;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"GET /\r\n\r\n", 400},
           {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
           {"GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
           {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
           {"GET /a\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
           {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
           {"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\n\r\n", 400},                        // no Host
           {"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},  // two
           {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},  // space before ':'
           {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400},
           {"GET / HTTP/1.1\nHost: x\r\n\r\n", 400},  // bare LF
           {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n", 400},
           {"GET / HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 99999999999999999999\r\n\r\n",
            400},
           {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
            "Content-Length: 2\r\n\r\n",
            400},
           {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            501},
           {"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Content-Length: 5\r\n\r\n",
            400},
       }) {
    RequestHeadParse parse = Parse(c.text);
    EXPECT_EQ(parse.outcome, ParseOutcome::kError) << c.text;
    EXPECT_EQ(parse.error_status, c.status) << c.text;
  }
  // A NUL inside a header value.
  const std::string nul("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29);
  EXPECT_EQ(Parse(nul).error_status, 400);
}

TEST(HttpRequestTest, BoundsTheHead) {
  const std::string start = "GET / HTTP/1.1\r\nHost: x\r\nX-Long: ";
  // Exactly at the bound: accepted.
  std::string fits =
      start + std::string(kBound - start.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(fits.size(), kBound);
  EXPECT_EQ(Parse(fits).outcome, ParseOutcome::kComplete);
  // One byte more: 431 once the bound is reached without the head's end,
  // without waiting for more.
  std::string over = start + std::string(kBound - start.size() - 3, 'a');
  EXPECT_EQ(Parse(over + "\r\n").outcome, ParseOutcome::kIncomplete);
  EXPECT_EQ(Parse(over + "\r\n\r").error_status, 431);
  EXPECT_EQ(Parse(over + "\r\n\r\n").error_status, 431);
  EXPECT_EQ(Parse(std::string(kBound, 'G')).error_status, 431);
}

TEST(HttpRequestTest, ReadsContentLength) {
  RequestHeadParse parse =
      Parse("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\n\r\n");
  ASSERT_EQ(parse.outcome, ParseOutcome::kComplete);
  EXPECT_EQ(parse.request.content_length, 42u);
}

}  // namespace
}  // namespace sluice::serve
