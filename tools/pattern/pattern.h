// Copyright 2026 The sluice Authors.
//
// The byte pattern every sluice tool, test and benchmark sends: the byte at
// each offset is a function of the offset (and of a seed that tells
// streams apart), so any slice of it can be checked anywhere, without the
// file it came from.
//
//   const std::string want = sluice::tools::PatternSlice(size, 5000, 100);
//   if (sluice::tools::PatternByte(offset, object) != got) ... mismatch ...

#ifndef SLUICE_TOOLS_PATTERN_PATTERN_H_
#define SLUICE_TOOLS_PATTERN_PATTERN_H_

#include <cstdint>
#include <string>

namespace sluice::tools {

// The pattern byte at `offset` of the stream `seed`. Varies with every bit
// of the offset up to 2^24, so a slice shifted by any amount does not
// match; different seeds give different streams.
inline char PatternByte(uint64_t offset, uint32_t seed = 0) {
  const uint64_t x = (offset ^ (offset >> 8) * 0x9d ^ (offset >> 16) * 0x3b) +
                     uint64_t{seed} * 0x9e37;
  return static_cast<char>((x * 131 + 7) & 0xff);
}

// The bytes [offset, offset + count) of a pattern file of `size` bytes
// (clipped at `size`).
std::string PatternSlice(uint64_t size, uint64_t offset, uint64_t count,
                         uint32_t seed = 0);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PATTERN_PATTERN_H_
