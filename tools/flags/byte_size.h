// Copyright 2026 The sluice Authors.
//
// Byte sizes as the tools' flags spell them: "16KiB", "4MiB", "1GiB",
// "512B" or a plain number of bytes.
//
//   uint64_t bytes;
//   if (!sluice::tools::ParseByteSize(absl::GetFlag(FLAGS_file_size), bytes))
//     ... usage error ...

#ifndef SLUICE_TOOLS_FLAGS_BYTE_SIZE_H_
#define SLUICE_TOOLS_FLAGS_BYTE_SIZE_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace sluice::tools {

// Sets `bytes` and returns true if `text` is a size with one of the units
// B, KiB, MiB, GiB or none; false (leaving `bytes` alone) otherwise,
// including for a size past 2^64 - 1 bytes.
bool ParseByteSize(absl::string_view text, uint64_t& bytes);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_BYTE_SIZE_H_
