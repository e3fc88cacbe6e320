// Copyright 2026 The sluice Authors.
//
// response.h: what sluice-serve answers to one request, before any byte of
// it is sent.
//
// A Response is a head (status line and headers, final empty line included)
// and at most one body: a slice of an open file, which the engine sends with
// the head as the transfer's header, or a short text made here (errors, the
// stats page), which the server writes itself.
//
//   Response r = RespondToRequest(request, files, now, date);
//   if (r.file != nullptr) {
//     spec.header = r.head; spec.file_fd = r.file->fd();
//     spec.offset = r.offset; spec.count = r.count;  // count >= 1
//   } else {
//     Write(r.head + r.body);
//   }
//   if (r.close) ... close the connection once it is sent ...
//   ... hold r.file until the transfer's callback ...

#ifndef SLUICE_TOOLS_SERVE_RESPONSE_H_
#define SLUICE_TOOLS_SERVE_RESPONSE_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "serve/http_request.h"
#include "serve/open_file.h"
#include "serve/open_file_cache.h"

namespace sluice::serve {

struct Response {
  int status = 500;
  std::string head;
  // An in-memory body (empty for HEAD, 304 and file responses).
  std::string body;
  // A file body: [offset, offset + count) of `file`, count >= 1. Null
  // when the body is in memory or absent. Shared with the open-file cache;
  // the fd stays open while any holder keeps it.
  SharedFile file;
  uint64_t offset = 0;
  uint64_t count = 0;
  // The connection closes once this response is sent.
  bool close = false;
};

// The reason phrase of a status code sluice-serve sends.
absl::string_view ReasonPhrase(int status);

// The response to `request` for the files `files` opens (beneath its
// root; cached or not). `now` is the current time, and `date` the same as
// an HTTP date (callers cache it per second).
Response RespondToRequest(const HttpRequest& request, OpenFileCache& files,
                          absl::Time now, absl::string_view date);

// A response with an in-memory body of `content_type` (for HEAD, the head
// only), plus `fields` (header lines, each ending in CRLF). `request` may be
// null when the request could not be parsed; the connection then closes.
Response TextResponse(int status, absl::string_view content_type,
                      std::string body, const HttpRequest* request,
                      absl::string_view date, absl::string_view fields = "");

// An error page: "<status> <reason>\n" as text/plain.
Response ErrorResponse(int status, const HttpRequest* request,
                       absl::string_view date, absl::string_view fields = "");

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_RESPONSE_H_
