// Copyright 2026 The sluice Authors.

#include "serve/request_target.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace sluice::serve {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out.push_back(path[i]);
      continue;
    }
    const int high = i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
    const int low = i + 2 < path.size() ? HexValue(path[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError("malformed percent-escape");
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> ResolveTarget(absl::string_view target) {
  // absolute-form (RFC 9112 §3.2.2) must be accepted; only its path is
  // used, the authority is not trusted to pick anything. The authority ends
  // at the first '/', '?' or '#' (RFC 3986 §3.2): a '/' after a '?' is the
  // query's, and a '#' there is a fragment, refused as in origin-form.
  absl::string_view path = target;
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(path, scheme)) {
      path.remove_prefix(scheme.size());
      const size_t end = path.find_first_of("/?#");
      path = end == absl::string_view::npos ? "/" : path.substr(end);
      if (path.front() != '/') {  // an empty path, then a query or fragment
        if (path.find('#') != absl::string_view::npos) {
          return absl::InvalidArgumentError("fragment in request target");
        }
        path = "/";
      }
      break;
    }
  }
  if (!absl::StartsWith(path, "/")) {
    return absl::InvalidArgumentError("target is not an absolute path");
  }
  if (path.find('#') != absl::string_view::npos) {
    return absl::InvalidArgumentError("fragment in request target");
  }
  path = path.substr(0, path.find('?'));

  absl::StatusOr<std::string> decoded = PercentDecode(path);
  if (!decoded.ok()) return decoded.status();
  std::string relative;
  relative.reserve(decoded->size());
  for (absl::string_view segment : absl::StrSplit(*decoded, '/')) {
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      return absl::InvalidArgumentError("'..' segment in request target");
    }
    for (char c : segment) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return absl::InvalidArgumentError(
            "control character in request target");
      }
    }
    if (!relative.empty()) relative.push_back('/');
    relative.append(segment.data(), segment.size());
  }
  // A target ending in "/" or "/." names a directory: the trailing slash
  // stays, so that a file there fails to open (ENOTDIR, 404) instead of
  // being served under a second URL.
  if (!relative.empty() &&
      (absl::EndsWith(*decoded, "/") || absl::EndsWith(*decoded, "/."))) {
    relative.push_back('/');
  }
  return relative;
}

}  // namespace sluice::serve
