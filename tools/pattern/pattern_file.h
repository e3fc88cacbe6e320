// Copyright 2026 The sluice Authors.
//
// Files of pattern bytes (see pattern.h) for tools and benchmarks to send.
//
//   absl::StatusOr<sluice::tools::UniqueFd> file =
//       sluice::tools::MakeCachedPatternFile(64 << 20);

#ifndef SLUICE_TOOLS_PATTERN_PATTERN_FILE_H_
#define SLUICE_TOOLS_PATTERN_PATTERN_FILE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "posix/unique_fd.h"

namespace sluice::tools {

// Writes the first `size` bytes of the pattern stream `seed` to the start
// of the file `fd` (borrowed), in 1 MiB writes.
absl::Status WritePattern(int fd, uint64_t size, uint32_t seed = 0);

// A file of `size` pattern bytes in /tmp, already unlinked, its pages
// cached and written back.
absl::StatusOr<UniqueFd> MakeCachedPatternFile(uint64_t size);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PATTERN_PATTERN_FILE_H_
