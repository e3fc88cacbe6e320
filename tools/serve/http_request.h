// Copyright 2026 The sluice Authors.
//
// http_request.h: the head of one HTTP/1.x request, parsed strictly.
//
// sluice-serve reads bytes into a buffer and asks ParseRequestHead() whether
// a whole head is there yet. The parser accepts exactly what RFC 9112 allows
// for a request head (CRLF line ends, tokens, no obs-fold, no whitespace
// before a header's colon, one Host for HTTP/1.1) and rejects everything
// else with the status a server should answer, so no ambiguous request ever
// reaches the file lookup:
//
//   RequestHeadParse parse = ParseRequestHead(buffer, 8192);
//   switch (parse.outcome) {
//     case ParseOutcome::kIncomplete: ... read more ...
//     case ParseOutcome::kError: ... answer parse.error_status, close ...
//     case ParseOutcome::kComplete: ... serve parse.request, then drop
//                                   parse.consumed bytes of the buffer ...
//   }
//
// The request's string_views point into `buffer`: they stay valid until the
// buffer changes.

#ifndef SLUICE_TOOLS_SERVE_HTTP_REQUEST_H_
#define SLUICE_TOOLS_SERVE_HTTP_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"

namespace sluice::serve {

struct HttpHeader {
  absl::string_view name;   // as sent; compare case-insensitively
  absl::string_view value;  // leading and trailing whitespace removed
};

struct HttpRequest {
  absl::string_view method;  // case-sensitive: "GET", "HEAD", ...
  absl::string_view target;  // as sent: origin-form or absolute-form
  int minor_version = 1;     // HTTP/1.<minor_version>
  absl::InlinedVector<HttpHeader, 16> headers;
  // Content-Length, if sent (0 when absent). A request with a body is
  // answered and the connection closed: sluice-serve never reads bodies.
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  // Whether the client allows the connection to stay open afterwards:
  // HTTP/1.1 unless "Connection: close", HTTP/1.0 only with
  // "Connection: keep-alive".
  bool keep_alive = true;

  // The value of the first header named `name` (case-insensitive).
  std::optional<absl::string_view> Header(absl::string_view name) const;
};

enum class ParseOutcome { kIncomplete, kComplete, kError };

struct RequestHeadParse {
  ParseOutcome outcome = ParseOutcome::kIncomplete;
  // kComplete: the bytes of the head, final empty line included (and any
  // empty lines that preceded the request line).
  size_t consumed = 0;
  HttpRequest request;
  // kError: 400, 431 (head longer than the bound), 501 (Transfer-Encoding)
  // or 505 (an HTTP version other than 1.0 and 1.1), and why.
  int error_status = 0;
  absl::string_view error_reason;
};

// Parses the request head at the start of `buffer`. A head longer than
// `max_head_bytes` (request line, headers and the final empty line) is an
// error (431) as soon as that many bytes arrived without its end.
RequestHeadParse ParseRequestHead(absl::string_view buffer,
                                  size_t max_head_bytes);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_HTTP_REQUEST_H_
