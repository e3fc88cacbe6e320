// Copyright 2026 The sluice Authors.
//
// Fuzzes ResolveTarget() (tools/serve/request_target.h) with the input as a
// request target. Beyond "no crash":
// - a refusal is InvalidArgument;
// - a path never leaves the root by name: it does not start with '/', has
//   no "..", "." or empty segment (a trailing '/' is allowed: it names a
//   directory), no NUL or other control byte;
// - decoding happens once: escaping the path again (every byte outside
//   unreserved characters and '/') and resolving that gives the same path;
// - the authority of an absolute-form target never picks the path: it
//   resolves exactly as the origin-form target after its authority (which
//   ends at the first '/', '?' or '#', RFC 3986 §3.2).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "serve/request_target.h"
#include "tests/fuzz/fuzz_check.h"

namespace sluice::serve {
namespace {

std::string Escape(absl::string_view path) {
  std::string out = "/";
  for (char c : path) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
        c == '-' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      absl::StrAppendFormat(&out, "%%%02X", static_cast<unsigned char>(c));
    }
  }
  return out;
}

void CheckPath(absl::string_view path) {
  if (path.empty()) return;  // the root
  SLUICE_FUZZ_CHECK(path.front() != '/');
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    SLUICE_FUZZ_CHECK(u >= 0x20 && u != 0x7f);
  }
  absl::string_view segments = path;
  if (segments.back() == '/') segments.remove_suffix(1);
  for (absl::string_view segment : absl::StrSplit(segments, '/')) {
    SLUICE_FUZZ_CHECK(!segment.empty());
    SLUICE_FUZZ_CHECK(segment != "." && segment != "..");
  }
}

// For an absolute-form target, the origin-form target it stands for.
std::optional<std::string> OriginForm(absl::string_view target) {
  for (absl::string_view scheme : {"http://", "https://"}) {
    if (absl::StartsWithIgnoreCase(target, scheme)) {
      target.remove_prefix(scheme.size());
      const size_t end = target.find_first_of("/?#");
      if (end == absl::string_view::npos) return "/";
      target.remove_prefix(end);
      return target.front() == '/' ? std::string(target)
                                   : absl::StrCat("/", target);
    }
  }
  return std::nullopt;
}

}  // namespace
}  // namespace sluice::serve

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::serve::ResolveTarget;
  const absl::string_view target(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<std::string> path = ResolveTarget(target);
  if (const std::optional<std::string> origin =
          sluice::serve::OriginForm(target);
      origin.has_value()) {
    const absl::StatusOr<std::string> expected = ResolveTarget(*origin);
    SLUICE_FUZZ_CHECK(path.ok() == expected.ok());
    SLUICE_FUZZ_CHECK(!path.ok() || *path == *expected);
  }
  if (!path.ok()) {
    SLUICE_FUZZ_CHECK(path.status().code() ==
                      absl::StatusCode::kInvalidArgument);
    return 0;
  }
  sluice::serve::CheckPath(*path);
  const absl::StatusOr<std::string> again =
      ResolveTarget(sluice::serve::Escape(*path));
  SLUICE_FUZZ_CHECK(again.ok() && *again == *path);
  return 0;
}
