// Copyright 2026 The sluice Authors.

#include "serve/response.h"

#include <sys/stat.h>

#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "serve/byte_range.h"
#include "serve/content_type.h"
#include "serve/http_date.h"
#include "serve/request_target.h"

namespace sluice::serve {
namespace {

// Whether the connection may stay open after answering `request`: the
// client asked for it and left no unread body behind.
bool KeepAlive(const HttpRequest* request) {
  return request != nullptr && request->keep_alive &&
         request->content_length == 0;
}

// Status line, the headers every response has, then `fields` (each ending
// in CRLF), then the connection header and the empty line.
std::string Head(int status, absl::string_view date, absl::string_view fields,
                 const HttpRequest* request, bool close) {
  absl::string_view connection;
  if (close) {
    connection = "Connection: close\r\n";
  } else if (request->minor_version == 0) {
    connection = "Connection: keep-alive\r\n";
  }
  return absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status),
                      "\r\nServer: sluice\r\nDate: ", date, "\r\n", fields,
                      connection, "\r\n");
}

// RFC 9110 §13.1.2: weak comparison against a list of entity tags.
bool NoneMatchHits(absl::string_view list, absl::string_view etag) {
  for (absl::string_view tag : absl::StrSplit(list, ',')) {
    tag = absl::StripAsciiWhitespace(tag);
    if (tag == "*") return true;
    absl::ConsumePrefix(&tag, "W/");
    if (tag == etag) return true;
  }
  return false;
}

// RFC 9110 §13.1.5: the range applies only if the validator still holds,
// compared strongly (a weak tag never does).
bool IfRangeHolds(absl::string_view value, absl::string_view etag,
                  int64_t mtime) {
  if (absl::StartsWith(value, "\"")) return value == etag;
  if (absl::StartsWith(value, "W/")) return false;
  const std::optional<absl::Time> date = ParseHttpDate(value);
  return date.has_value() && absl::ToUnixSeconds(*date) == mtime;
}

// The status that answers a failed OpenBeneath().
int OpenErrorStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kResourceExhausted:
      return 503;
    default:
      return 500;
  }
}

}  // namespace

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

Response TextResponse(int status, absl::string_view content_type,
                      std::string body, const HttpRequest* request,
                      absl::string_view date, absl::string_view fields) {
  Response response;
  response.status = status;
  response.close = !KeepAlive(request);
  response.head = Head(status, date,
                       absl::StrCat("Content-Type: ", content_type,
                                    "\r\nContent-Length: ", body.size(),
                                    "\r\nCache-Control: no-store\r\n", fields),
                       request, response.close);
  if (request == nullptr || request->method != "HEAD") {
    response.body = std::move(body);
  }
  return response;
}

Response ErrorResponse(int status, const HttpRequest* request,
                       absl::string_view date, absl::string_view fields) {
  return TextResponse(status, "text/plain; charset=utf-8",
                      absl::StrCat(status, " ", ReasonPhrase(status), "\n"),
                      request, date, fields);
}

Response RespondToRequest(const HttpRequest& request, OpenFileCache& files,
                          absl::Time now, absl::string_view date) {
  const bool head_only = request.method == "HEAD";
  if (request.method != "GET" && !head_only) {
    return ErrorResponse(405, &request, date, "Allow: GET, HEAD\r\n");
  }
  absl::StatusOr<std::string> path = ResolveTarget(request.target);
  if (!path.ok()) return ErrorResponse(400, &request, date);

  absl::StatusOr<SharedFile> file = files.Open(*path, now);
  if (!file.ok()) {
    return ErrorResponse(OpenErrorStatus(file.status()), &request, date);
  }
  const struct stat& st = (*file)->stat();
  const auto size = static_cast<uint64_t>(st.st_size);
  const int64_t mtime = st.st_mtim.tv_sec;
  const std::string& etag = (*file)->etag();
  const std::string& validators = (*file)->validators();

  Response response;
  response.close = !KeepAlive(&request);
  // RFC 9110 §13.2.2: If-None-Match first; If-Modified-Since only without it.
  bool not_modified = false;
  if (std::optional<absl::string_view> tags = request.Header("if-none-match")) {
    not_modified = NoneMatchHits(*tags, etag);
  } else if (std::optional<absl::string_view> since =
                 request.Header("if-modified-since")) {
    const std::optional<absl::Time> time = ParseHttpDate(*since);
    not_modified = time.has_value() && mtime <= absl::ToUnixSeconds(*time);
  }
  if (not_modified) {
    response.status = 304;
    response.head = Head(304, date, validators, &request, response.close);
    return response;
  }

  ByteRange range;  // kIgnored: the whole file
  // RFC 9110 §14.2: range handling is defined for GET only; HEAD answers
  // what a GET without Range would.
  std::optional<absl::string_view> value = request.Header("range");
  if (value.has_value() && !head_only) {
    std::optional<absl::string_view> if_range = request.Header("if-range");
    if (!if_range.has_value() || IfRangeHolds(*if_range, etag, mtime)) {
      range = ParseRange(*value, size);
    }
  }
  std::string fields =
      absl::StrCat("Content-Type: ", ContentTypeFor(*path), "\r\n", validators,
                   "Accept-Ranges: bytes\r\n");
  switch (range.kind) {
    case RangeKind::kUnsatisfiable:
      return ErrorResponse(
          416, &request, date,
          absl::StrCat("Content-Range: bytes */", size, "\r\n"));
    case RangeKind::kSatisfiable:
      response.status = 206;
      response.offset = range.offset;
      response.count = range.count;
      absl::StrAppend(&fields, "Content-Range: bytes ", range.offset, "-",
                      range.offset + range.count - 1, "/", size, "\r\n");
      break;
    case RangeKind::kIgnored:
      response.status = 200;
      response.count = size;
      break;
  }
  absl::StrAppend(&fields, "Content-Length: ", response.count, "\r\n");
  response.head = Head(response.status, date, fields, &request, response.close);
  if (!head_only && response.count > 0) response.file = *std::move(file);
  return response;
}

}  // namespace sluice::serve
