// Copyright 2026 The sluice Authors.
//
// byte_range.h: the one byte range a Range header asks for (RFC 9110 §14).
//
// sluice-serve answers a single range with 206 and sends just that slice:
// its offset and count go straight into the transfer. A header it does not
// serve (another unit, several ranges, bad syntax) is ignored, as the RFC
// allows, and the whole file is sent with 200.
//
//   ParseRange("bytes=0-99", 1000)  -> kSatisfiable {0, 100}
//   ParseRange("bytes=900-", 1000)  -> kSatisfiable {900, 100}
//   ParseRange("bytes=-100", 1000)  -> kSatisfiable {900, 100}
//   ParseRange("bytes=1000-", 1000) -> kUnsatisfiable (416)
//   ParseRange("bytes=0-1,5-6", 10) -> kIgnored

#ifndef SLUICE_TOOLS_SERVE_BYTE_RANGE_H_
#define SLUICE_TOOLS_SERVE_BYTE_RANGE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sluice::serve {

enum class RangeKind { kIgnored, kSatisfiable, kUnsatisfiable };

struct ByteRange {
  RangeKind kind = RangeKind::kIgnored;
  // kSatisfiable: the slice of the file, count >= 1, within `size`.
  uint64_t offset = 0;
  uint64_t count = 0;
};

// Interprets a Range header value against a file of `size` bytes.
ByteRange ParseRange(absl::string_view value, uint64_t size);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_BYTE_RANGE_H_
