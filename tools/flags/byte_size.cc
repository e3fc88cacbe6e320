// Copyright 2026 The sluice Authors.

#include "flags/byte_size.h"

#include <limits>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/strip.h"

namespace sluice::tools {

bool ParseByteSize(absl::string_view text, uint64_t& bytes) {
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  for (const auto& [suffix, scale] : kUnits) {
    if (absl::ConsumeSuffix(&text, suffix)) {
      uint64_t n;
      if (!absl::SimpleAtoi(text, &n)) return false;
      if (n > std::numeric_limits<uint64_t>::max() / scale) return false;
      bytes = n * scale;
      return true;
    }
  }
  // SimpleAtoi() writes its output even when it refuses ("12x" gives 12).
  uint64_t n;
  if (!absl::SimpleAtoi(text, &n)) return false;
  bytes = n;
  return true;
}

}  // namespace sluice::tools
