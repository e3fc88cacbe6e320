// Copyright 2026 The sluice Authors.
//
// Fuzzes ParseRange() (tools/serve/byte_range.h) with the input as a Range
// header value, against files of several sizes (empty, tiny, typical, the
// largest offsets, and one that varies with the input). Beyond "no crash":
// - a satisfiable range is a non-empty slice inside the file: count >= 1,
//   offset < size, offset + count <= size (what the transfer is given);
// - whether a header is ignored depends on its syntax only, never on the
//   file's size;
// - nothing can be satisfied from an empty file.

#include <cstddef>
#include <cstdint>
#include <limits>

#include "absl/strings/string_view.h"
#include "serve/byte_range.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::serve::ByteRange;
  using sluice::serve::ParseRange;
  using sluice::serve::RangeKind;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const absl::string_view value(reinterpret_cast<const char*>(data), size);
  const uint64_t sizes[] = {0,          1,        2,        10,   1000,
                            1ull << 32, kMax / 2, kMax - 1, kMax, size * 7919};
  const bool ignored = ParseRange(value, 1000).kind == RangeKind::kIgnored;
  for (uint64_t file_size : sizes) {
    const ByteRange range = ParseRange(value, file_size);
    SLUICE_FUZZ_CHECK((range.kind == RangeKind::kIgnored) == ignored);
    if (range.kind != RangeKind::kSatisfiable) continue;
    SLUICE_FUZZ_CHECK(file_size > 0);
    SLUICE_FUZZ_CHECK(range.count >= 1);
    SLUICE_FUZZ_CHECK(range.offset < file_size);
    SLUICE_FUZZ_CHECK(range.count <= file_size - range.offset);
  }
  return 0;
}
