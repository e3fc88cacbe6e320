// Copyright 2026 The sluice Authors.
//
// Fuzzes ParseRequestHead() (tools/serve/http_request.h) with the input as
// the connection's buffer, under sluice-serve's 8 KiB bound and a 64-byte
// one (so that 431 is reached by small inputs). Beyond "no crash":
// - an error is 400, 431, 501 or 505 with a reason;
// - a complete head ends with CRLF CRLF inside the buffer and the bound,
//   every view points into it, the method is a token, the target visible
//   ASCII, the version 1.0 or 1.1, header names tokens, values free of
//   CR, LF and NUL and trimmed, exactly one Host in HTTP/1.1, at most one
//   in 1.0, no Transfer-Encoding;
// - framing does not depend on what follows: the head alone parses the same,
//   and any shorter prefix of it is incomplete, never an error;
// - an error judged on a prefix (before the whole buffer arrived) is the
//   error the whole buffer gets, and waiting for more is right only while
//   the head fits its bound and holds no bare LF.

#include <cstddef>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "serve/http_request.h"
#include "tests/fuzz/fuzz_check.h"

namespace sluice::serve {
namespace {

bool Within(absl::string_view part, absl::string_view whole) {
  return part.data() >= whole.data() &&
         part.data() + part.size() <= whole.data() + whole.size();
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) &&
        absl::string_view("!#$%&'*+-.^_`|~").find(c) ==
            absl::string_view::npos) {
      return false;
    }
  }
  return true;
}

size_t LeadingEmptyLines(absl::string_view buffer) {
  size_t start = 0;
  while (buffer.substr(start, 2) == "\r\n") start += 2;
  return start;
}

void CheckComplete(absl::string_view buffer, size_t max_head_bytes,
                   const RequestHeadParse& parse) {
  const HttpRequest& request = parse.request;
  SLUICE_FUZZ_CHECK(parse.error_status == 0);
  SLUICE_FUZZ_CHECK(parse.consumed >= 4 && parse.consumed <= buffer.size());
  SLUICE_FUZZ_CHECK(buffer.substr(parse.consumed - 4, 4) == "\r\n\r\n");
  SLUICE_FUZZ_CHECK(parse.consumed - LeadingEmptyLines(buffer) <=
                    max_head_bytes);
  const absl::string_view head = buffer.substr(0, parse.consumed);
  SLUICE_FUZZ_CHECK(Within(request.method, head) && IsToken(request.method));
  SLUICE_FUZZ_CHECK(Within(request.target, head) && !request.target.empty());
  for (char c : request.target) {
    SLUICE_FUZZ_CHECK(c > 0x20 && c < 0x7f);
  }
  SLUICE_FUZZ_CHECK(request.minor_version == 0 || request.minor_version == 1);
  SLUICE_FUZZ_CHECK(!request.has_transfer_encoding);
  int hosts = 0;
  for (const HttpHeader& header : request.headers) {
    SLUICE_FUZZ_CHECK(Within(header.name, head) && IsToken(header.name));
    SLUICE_FUZZ_CHECK(Within(header.value, head));
    for (char c : header.value) {
      SLUICE_FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    }
    if (!header.value.empty()) {
      SLUICE_FUZZ_CHECK(
          header.value.front() != ' ' && header.value.front() != '\t' &&
          header.value.back() != ' ' && header.value.back() != '\t');
    }
    if (absl::EqualsIgnoreCase(header.name, "host")) ++hosts;
  }
  SLUICE_FUZZ_CHECK(request.minor_version == 1 ? hosts == 1 : hosts <= 1);
  if (!request.Header("content-length").has_value()) {
    SLUICE_FUZZ_CHECK(request.content_length == 0);
  }

  // The head alone frames and parses the same.
  const RequestHeadParse alone = ParseRequestHead(head, max_head_bytes);
  SLUICE_FUZZ_CHECK(alone.outcome == ParseOutcome::kComplete);
  SLUICE_FUZZ_CHECK(alone.consumed == parse.consumed);
  SLUICE_FUZZ_CHECK(alone.request.method == request.method);
  SLUICE_FUZZ_CHECK(alone.request.target == request.target);
  SLUICE_FUZZ_CHECK(alone.request.headers.size() == request.headers.size());
  SLUICE_FUZZ_CHECK(alone.request.keep_alive == request.keep_alive);
  SLUICE_FUZZ_CHECK(alone.request.content_length == request.content_length);
  // A valid head is never refused while it is still arriving.
  for (size_t cut :
       {parse.consumed - 1, parse.consumed - 2, parse.consumed / 2}) {
    SLUICE_FUZZ_CHECK(
        ParseRequestHead(head.substr(0, cut), max_head_bytes).outcome ==
        ParseOutcome::kIncomplete);
  }
}

void Check(absl::string_view buffer, size_t max_head_bytes) {
  const RequestHeadParse parse = ParseRequestHead(buffer, max_head_bytes);
  switch (parse.outcome) {
    case ParseOutcome::kIncomplete: {
      SLUICE_FUZZ_CHECK(parse.consumed == 0 && parse.error_status == 0);
      // Waiting is right only while the head fits and nothing already
      // condemns it: a bare LF is answered at once (issue 11, defect 7).
      const absl::string_view rest = buffer.substr(LeadingEmptyLines(buffer));
      SLUICE_FUZZ_CHECK(rest.size() < max_head_bytes);
      for (size_t i = 0; i < rest.size(); ++i) {
        SLUICE_FUZZ_CHECK(rest[i] != '\n' || (i > 0 && rest[i - 1] == '\r'));
      }
      break;
    }
    case ParseOutcome::kError:
      SLUICE_FUZZ_CHECK(parse.error_status == 400 ||
                        parse.error_status == 431 ||
                        parse.error_status == 501 || parse.error_status == 505);
      SLUICE_FUZZ_CHECK(!parse.error_reason.empty());
      break;
    case ParseOutcome::kComplete:
      CheckComplete(buffer, max_head_bytes, parse);
      break;
  }
  // Judged early, judged right: an error on the first half of the buffer
  // stands once the rest arrives.
  const RequestHeadParse half =
      ParseRequestHead(buffer.substr(0, buffer.size() / 2), max_head_bytes);
  if (half.outcome == ParseOutcome::kError) {
    SLUICE_FUZZ_CHECK(parse.outcome == ParseOutcome::kError);
    SLUICE_FUZZ_CHECK(parse.error_status == half.error_status);
  }
}

}  // namespace
}  // namespace sluice::serve

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view buffer(reinterpret_cast<const char*>(data), size);
  sluice::serve::Check(buffer, 8192);
  sluice::serve::Check(buffer, 64);
  return 0;
}
