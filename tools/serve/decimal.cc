// Copyright 2026 The sluice Authors.

#include "serve/decimal.h"

#include <limits>

namespace sluice::serve {

std::optional<uint64_t> ParseDecimal(absl::string_view digits,
                                     bool* overflowed) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (digits.empty()) return std::nullopt;
  uint64_t value = 0;
  bool over = false;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (over || value > (kMax - digit) / 10) {
      over = true;
      value = kMax;
    } else {
      value = value * 10 + digit;
    }
  }
  if (overflowed != nullptr) *overflowed = over;
  return value;
}

}  // namespace sluice::serve
