// Copyright 2026 The sluice Authors.

#include "pattern/pattern.h"

#include <algorithm>

namespace sluice::tools {

std::string PatternSlice(uint64_t size, uint64_t offset, uint64_t count,
                         uint32_t seed) {
  std::string out;
  if (offset >= size) return out;
  const uint64_t end = offset + std::min(count, size - offset);
  out.resize(end - offset);
  for (uint64_t i = offset; i < end; ++i)
    out[i - offset] = PatternByte(i, seed);
  return out;
}

}  // namespace sluice::tools
