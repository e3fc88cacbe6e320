// Copyright 2026 The sluice Authors.

#include "pattern/pattern_matcher.h"

#include <algorithm>
#include <cstring>

#include "pattern/pattern.h"

namespace sluice::tools {
namespace {

// PatternByte(offset, seed) == Table(seed)[(offset & 0xff) ^ BlockKey(offset)]
// (pattern.h: byte = ((x + seed * 0x9e37) * 131 + 7) & 0xff, and the low 8
// bits of x are those of offset ^ (offset >> 8) * 0x9d ^ (offset >> 16) *
// 0x3b).
uint8_t BlockKey(uint64_t offset) {
  return static_cast<uint8_t>(((offset >> 8) * 0x9d) ^ ((offset >> 16) * 0x3b));
}

}  // namespace

void PatternMatcher::Prepare(uint32_t seed) {
  if (prepared_ && seed == seed_) return;
  // PatternByte(y, seed) for y < 256 has BlockKey 0: it is the table itself.
  char table[256];
  for (uint64_t y = 0; y < 256; ++y) table[y] = PatternByte(y, seed);
  for (unsigned m = 0; m < 8; ++m) {
    for (unsigned r = 0; r < 32; ++r) {
      char bytes[8];
      for (unsigned i = 0; i < 8; ++i) bytes[i] = table[8 * r + (i ^ m)];
      std::memcpy(&words_[m][r], bytes, 8);
    }
  }
  prepared_ = true;
  seed_ = seed;
}

uint64_t PatternMatcher::CountMismatches(const char* data, size_t size,
                                         uint64_t offset, uint32_t seed) {
  uint64_t wrong = 0;
  // Byte by byte up to an 8-aligned offset, and for the tail.
  while (size > 0 && offset % 8 != 0) {
    wrong += *data != PatternByte(offset, seed);
    ++data;
    ++offset;
    --size;
  }
  if (size >= 8) Prepare(seed);
  while (size >= 8) {
    // The rest of this 256-byte block, a word at a time; only a block with
    // a difference is counted byte by byte.
    const uint8_t key = BlockKey(offset);
    const uint64_t* words = words_[key & 7].data();
    const unsigned flip = key >> 3;
    const unsigned first = static_cast<unsigned>(offset & 0xff) >> 3;
    const size_t n = std::min<size_t>(32 - first, size / 8);
    uint64_t diff = 0;
    for (size_t i = 0; i < n; ++i) {
      uint64_t got;
      std::memcpy(&got, data + 8 * i, 8);
      diff |= got ^ words[(first + i) ^ flip];
    }
    if (diff != 0) {
      for (size_t i = 0; i < 8 * n; ++i) {
        wrong += data[i] != PatternByte(offset + i, seed);
      }
    }
    data += 8 * n;
    offset += 8 * n;
    size -= 8 * n;
  }
  while (size > 0) {
    wrong += *data != PatternByte(offset, seed);
    ++data;
    ++offset;
    --size;
  }
  return wrong;
}

}  // namespace sluice::tools
