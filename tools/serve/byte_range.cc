// Copyright 2026 The sluice Authors.

#include "serve/byte_range.h"

#include <algorithm>
#include <limits>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "serve/decimal.h"

namespace sluice::serve {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

}  // namespace

ByteRange ParseRange(absl::string_view value, uint64_t size) {
  ByteRange ignored;
  absl::string_view spec = absl::StripAsciiWhitespace(value);
  // The unit is case-insensitive; "bytes" is the only one served.
  if (spec.size() < 6 || !absl::StartsWithIgnoreCase(spec, "bytes=")) {
    return ignored;
  }
  spec = absl::StripAsciiWhitespace(spec.substr(6));
  if (spec.find(',') != absl::string_view::npos) return ignored;
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) return ignored;
  const absl::string_view first_text = spec.substr(0, dash);
  const absl::string_view last_text = spec.substr(dash + 1);

  ByteRange range;
  if (first_text.empty()) {
    // suffix-range "-n": the last n bytes.
    const std::optional<uint64_t> suffix = ParseDecimal(last_text);
    if (!suffix.has_value()) return ignored;
    if (*suffix == 0 || size == 0) {
      range.kind = RangeKind::kUnsatisfiable;
      return range;
    }
    range.kind = RangeKind::kSatisfiable;
    range.count = std::min(*suffix, size);
    range.offset = size - range.count;
    return range;
  }
  // Positions past 2^64 saturate there (ParseDecimal()): past any file.
  const std::optional<uint64_t> first = ParseDecimal(first_text);
  if (!first.has_value()) return ignored;
  uint64_t last = kMax;
  if (!last_text.empty()) {
    const std::optional<uint64_t> parsed = ParseDecimal(last_text);
    // last < first makes the whole header invalid, hence ignored.
    if (!parsed.has_value() || *parsed < *first) return ignored;
    last = *parsed;
  }
  if (*first >= size) {
    range.kind = RangeKind::kUnsatisfiable;
    return range;
  }
  range.kind = RangeKind::kSatisfiable;
  range.offset = *first;
  range.count = std::min(last, size - 1) - *first + 1;
  return range;
}

}  // namespace sluice::serve
