// Copyright 2026 The sluice Authors.
//
// Fuzzes ParseRange() (tools/serve/byte_range.h) with the input as a Range
// header value, against files of several sizes (empty, tiny, typical, the
// largest offsets, and one that varies with the input). Beyond "no crash":
// - a satisfiable range is a non-empty slice inside the file: count >= 1,
//   offset < size, offset + count <= size (what the transfer is given);
// - whether a header is ignored depends on its syntax only, never on the
//   file's size;
// - nothing can be satisfied from an empty file;
// - the plain forms "bytes=A-B", "bytes=A-" and "bytes=-N" (numbers below
//   2^64) give exactly the slice RFC 9110 §14.1.2 defines.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "serve/byte_range.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using sluice::serve::ByteRange;
using sluice::serve::RangeKind;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// A decimal number below 2^64, digits only.
std::optional<uint64_t> Number(absl::string_view digits) {
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// RFC 9110 §14.1.2 for the plain forms, written apart from ParseRange();
// nullopt for anything else.
std::optional<ByteRange> Expected(absl::string_view value, uint64_t size) {
  if (!absl::ConsumePrefix(&value, "bytes=")) return std::nullopt;
  const size_t dash = value.find('-');
  if (dash == absl::string_view::npos) return std::nullopt;
  const absl::string_view first_text = value.substr(0, dash);
  const absl::string_view last_text = value.substr(dash + 1);
  ByteRange range;
  if (first_text.empty()) {
    const std::optional<uint64_t> suffix = Number(last_text);
    if (!suffix.has_value()) return std::nullopt;
    if (*suffix == 0 || size == 0) {
      range.kind = RangeKind::kUnsatisfiable;
    } else {
      range.kind = RangeKind::kSatisfiable;
      range.count = *suffix < size ? *suffix : size;
      range.offset = size - range.count;
    }
    return range;
  }
  const std::optional<uint64_t> first = Number(first_text);
  const std::optional<uint64_t> last =
      last_text.empty() ? kMax : Number(last_text);
  if (!first.has_value() || !last.has_value()) return std::nullopt;
  if (*last < *first) return range;  // invalid: ignored
  if (*first >= size) {
    range.kind = RangeKind::kUnsatisfiable;
    return range;
  }
  range.kind = RangeKind::kSatisfiable;
  range.offset = *first;
  range.count = (*last < size - 1 ? *last : size - 1) - *first + 1;
  return range;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::serve::ParseRange;
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  const uint64_t sizes[] = {0,          1,        2,        10,   1000,
                            1ull << 32, kMax / 2, kMax - 1, kMax, size * 7919};
  const bool ignored = ParseRange(value, 1000).kind == RangeKind::kIgnored;
  for (uint64_t file_size : sizes) {
    const ByteRange range = ParseRange(value, file_size);
    SLUICE_FUZZ_CHECK((range.kind == RangeKind::kIgnored) == ignored);
    if (const std::optional<ByteRange> expected = Expected(value, file_size);
        expected.has_value()) {
      SLUICE_FUZZ_CHECK(range.kind == expected->kind);
      SLUICE_FUZZ_CHECK(range.offset == expected->offset &&
                        range.count == expected->count);
    }
    if (range.kind != RangeKind::kSatisfiable) continue;
    SLUICE_FUZZ_CHECK(file_size > 0);
    SLUICE_FUZZ_CHECK(range.count >= 1);
    SLUICE_FUZZ_CHECK(range.offset < file_size);
    SLUICE_FUZZ_CHECK(range.count <= file_size - range.offset);
  }
  return 0;
}
