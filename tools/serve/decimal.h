// Copyright 2026 The sluice Authors.
//
// decimal.h: the unsigned decimal numbers of HTTP fields (Content-Length,
// range positions): ASCII digits only, no sign, no spaces.
//
//   bool overflowed;
//   ParseDecimal("1234", &overflowed)                 -> 1234, false
//   ParseDecimal("99999999999999999999", &overflowed) -> 2^64-1, true
//   ParseDecimal("+1")                                -> nullopt

#ifndef SLUICE_TOOLS_SERVE_DECIMAL_H_
#define SLUICE_TOOLS_SERVE_DECIMAL_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"

namespace sluice::serve {

// nullopt if `digits` is empty or holds anything but 0-9. A value past
// 2^64 - 1 saturates there and sets `*overflowed` (when given), so each
// caller picks its policy: a length that large is malformed, a range
// position that large is merely past the end.
std::optional<uint64_t> ParseDecimal(absl::string_view digits,
                                     bool* overflowed = nullptr);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_DECIMAL_H_
