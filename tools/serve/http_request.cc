// Copyright 2026 The sluice Authors.

#include "serve/http_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "serve/decimal.h"

namespace sluice::serve {
namespace {

constexpr absl::string_view kCrlf = "\r\n";

bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  return absl::string_view("!#$%&'*+-.^_`|~").find(c) !=
         absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII only: no space, no control, no obs-text in a target.
bool IsTarget(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return false;
  }
  return true;
}

// field-value: visible characters, obs-text, spaces and tabs (RFC 9110
// §5.5); NUL, CR, LF and other controls are refused.
bool IsFieldValue(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

absl::string_view TrimOws(absl::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

RequestHeadParse Error(int status, absl::string_view reason) {
  RequestHeadParse parse;
  parse.outcome = ParseOutcome::kError;
  parse.error_status = status;
  parse.error_reason = reason;
  return parse;
}

// HTTP/1.0 and HTTP/1.1 are served; any other well-formed version is 505.
RequestHeadParse ParseVersion(absl::string_view version, HttpRequest& request) {
  if (version == "HTTP/1.1") {
    request.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    request.minor_version = 0;
  } else if (version.size() == 8 && absl::StartsWith(version, "HTTP/") &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[5])) &&
             version[6] == '.' &&
             absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return Error(505, "HTTP version not supported");
  } else {
    return Error(400, "malformed HTTP version");
  }
  return {};
}

}  // namespace

std::optional<absl::string_view> HttpRequest::Header(
    absl::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (absl::EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return std::nullopt;
}

RequestHeadParse ParseRequestHead(absl::string_view buffer,
                                  size_t max_head_bytes) {
  // RFC 9112 §2.2: ignore empty lines before the request line (some clients
  // send a CRLF after a body).
  size_t start = 0;
  while (buffer.substr(start, 2) == kCrlf && start < max_head_bytes) {
    start += 2;
  }
  if (start >= max_head_bytes) return Error(400, "only empty lines");
  const absl::string_view window = buffer.substr(start, max_head_bytes);
  const size_t end = window.find("\r\n\r\n");
  // A bare LF anywhere in what arrived is refused now rather than after
  // the header timeout.
  const absl::string_view seen =
      end == absl::string_view::npos ? window : window.substr(0, end + 4);
  for (size_t lf = seen.find('\n'); lf != absl::string_view::npos;
       lf = seen.find('\n', lf + 1)) {
    if (lf == 0 || seen[lf - 1] != '\r') {
      return Error(400, "line ends with a bare LF");
    }
  }
  if (end == absl::string_view::npos) {
    if (window.size() == max_head_bytes) {
      return Error(431, "request head too large");
    }
    return {};
  }

  RequestHeadParse parse;
  HttpRequest& request = parse.request;
  const absl::string_view head = window.substr(0, end);
  const size_t line_end = head.find(kCrlf);
  const absl::string_view request_line = head.substr(0, line_end);
  const absl::string_view fields =
      line_end == absl::string_view::npos ? "" : head.substr(line_end + 2);

  // method SP target SP version, single spaces (RFC 9112 §3).
  const size_t first_space = request_line.find(' ');
  const size_t second_space = first_space == absl::string_view::npos
                                  ? absl::string_view::npos
                                  : request_line.find(' ', first_space + 1);
  if (second_space == absl::string_view::npos ||
      request_line.find(' ', second_space + 1) != absl::string_view::npos) {
    return Error(400, "malformed request line");
  }
  request.method = request_line.substr(0, first_space);
  request.target =
      request_line.substr(first_space + 1, second_space - first_space - 1);
  if (!IsToken(request.method)) return Error(400, "malformed method");
  if (!IsTarget(request.target)) return Error(400, "malformed request target");
  if (RequestHeadParse version =
          ParseVersion(request_line.substr(second_space + 1), request);
      version.outcome == ParseOutcome::kError) {
    return version;
  }

  int hosts = 0;
  bool has_content_length = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  if (!fields.empty()) {
    for (absl::string_view line : absl::StrSplit(fields, kCrlf)) {
      // obs-fold (a line starting with whitespace) and whitespace before
      // the colon both fail the token check (RFC 9112 §5.1, §5.2).
      const size_t colon = line.find(':');
      if (colon == absl::string_view::npos) {
        return Error(400, "header line without a colon");
      }
      HttpHeader header{line.substr(0, colon), TrimOws(line.substr(colon + 1))};
      if (!IsToken(header.name)) return Error(400, "malformed header name");
      if (!IsFieldValue(header.value)) {
        return Error(400, "control character in a header value");
      }
      if (absl::EqualsIgnoreCase(header.name, "host")) {
        ++hosts;
      } else if (absl::EqualsIgnoreCase(header.name, "content-length")) {
        bool overflowed = false;
        const std::optional<uint64_t> parsed =
            ParseDecimal(header.value, &overflowed);
        if (!parsed.has_value() || overflowed) {
          return Error(400, "malformed Content-Length");
        }
        const uint64_t length = *parsed;
        if (has_content_length && length != request.content_length) {
          return Error(400, "conflicting Content-Length headers");
        }
        has_content_length = true;
        request.content_length = length;
      } else if (absl::EqualsIgnoreCase(header.name, "transfer-encoding")) {
        request.has_transfer_encoding = true;
      } else if (absl::EqualsIgnoreCase(header.name, "connection")) {
        for (absl::string_view option : absl::StrSplit(header.value, ',')) {
          option = TrimOws(option);
          if (absl::EqualsIgnoreCase(option, "close")) connection_close = true;
          if (absl::EqualsIgnoreCase(option, "keep-alive")) {
            connection_keep_alive = true;
          }
        }
      }
      request.headers.push_back(header);
    }
  }
  if (request.minor_version == 1 && hosts != 1) {
    return Error(400, "HTTP/1.1 request without exactly one Host header");
  }
  if (hosts > 1) return Error(400, "more than one Host header");
  if (request.has_transfer_encoding) {
    // Request bodies are never read; a chunked one cannot even be skipped
    // safely, and TE beside Content-Length is a smuggling attempt.
    return Error(has_content_length ? 400 : 501,
                 "Transfer-Encoding in a request is not supported");
  }
  request.keep_alive = request.minor_version == 1
                           ? !connection_close
                           : connection_keep_alive && !connection_close;
  parse.outcome = ParseOutcome::kComplete;
  parse.consumed = start + end + 4;
  return parse;
}

}  // namespace sluice::serve
