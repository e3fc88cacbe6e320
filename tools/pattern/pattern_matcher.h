// Copyright 2026 The sluice Authors.
//
// PatternMatcher: checks received bytes against the pattern stream
// (pattern.h) eight bytes at a time, for sinks that verify everything they
// read. The answer is the same as comparing each byte with PatternByte();
// it is about fifteen times faster.
//
//   sluice::tools::PatternMatcher matcher;  // one per reading thread
//   const uint64_t wrong =
//       matcher.CountMismatches(buffer, n, frame_offset + done, object);
//
// How: only the low 8 bits of PatternByte()'s mixing term matter, and
// within an aligned 256-byte block the byte at offset o is T[(o & 0xff) ^
// c], where T depends on the seed alone and c on the block alone. So an
// aligned 8-byte word of the stream is row ((o & 0xff) >> 3) ^ (c >> 3) of
// T with its bytes permuted by c & 7: 8 x 32 precomputed words per seed.

#ifndef SLUICE_TOOLS_PATTERN_PATTERN_MATCHER_H_
#define SLUICE_TOOLS_PATTERN_PATTERN_MATCHER_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace sluice::tools {

class PatternMatcher {
 public:
  PatternMatcher() = default;

  // How many of the `size` bytes at `data` differ from the pattern stream
  // `seed` at offsets [offset, offset + size). Keeps the words of the last
  // seed it saw (2 KiB); a different seed recomputes them (~1 us).
  uint64_t CountMismatches(const char* data, size_t size, uint64_t offset,
                           uint32_t seed);

 private:
  void Prepare(uint32_t seed);

  bool prepared_ = false;
  uint32_t seed_ = 0;
  // words_[m][r]: bytes 8r..8r+7 of the seed's 256-byte table, byte i taken
  // from 8r + (i ^ m), as a native-order word.
  std::array<std::array<uint64_t, 32>, 8> words_{};
};

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PATTERN_PATTERN_MATCHER_H_
