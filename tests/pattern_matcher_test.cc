// Copyright 2026 The sluice Authors.
//
// The fast pattern check gives exactly the answer of comparing byte by
// byte with PatternByte(), at any offset, length and seed.

#include "pattern/pattern_matcher.h"

#include <cstdint>
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "pattern/pattern.h"

namespace sluice::tools {
namespace {

uint64_t SlowCount(const std::string& data, uint64_t offset, uint32_t seed) {
  uint64_t wrong = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    wrong += data[i] != PatternByte(offset + i, seed);
  }
  return wrong;
}

std::string Stream(uint64_t offset, size_t size, uint32_t seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = PatternByte(offset + i, seed);
  return out;
}

TEST(PatternMatcherTest, RightBytesMatchAnywhere) {
  std::mt19937_64 rng(1);
  PatternMatcher matcher;
  for (int round = 0; round < 2000; ++round) {
    // Offsets near block and 2^24 boundaries as well as anywhere.
    uint64_t offset = rng() % (uint64_t{1} << 40);
    if (round % 3 == 0) offset = (offset & ~uint64_t{0xffffff}) - rng() % 300;
    const size_t size = rng() % 3000;
    const uint32_t seed = static_cast<uint32_t>(rng() % 70);
    EXPECT_EQ(matcher.CountMismatches(Stream(offset, size, seed).data(), size,
                                      offset, seed),
              0u)
        << "offset " << offset << " size " << size << " seed " << seed;
  }
}

TEST(PatternMatcherTest, CountsWrongBytesExactly) {
  std::mt19937_64 rng(2);
  PatternMatcher matcher;
  for (int round = 0; round < 2000; ++round) {
    const uint64_t offset = rng() % (uint64_t{1} << 36);
    const size_t size = 1 + rng() % 5000;
    const uint32_t seed = static_cast<uint32_t>(rng() % 5);
    std::string data = Stream(offset, size, seed);
    const int flips = static_cast<int>(rng() % 6);
    for (int i = 0; i < flips; ++i) {
      data[rng() % size] ^= static_cast<char>(1 + rng() % 255);
    }
    EXPECT_EQ(matcher.CountMismatches(data.data(), size, offset, seed),
              SlowCount(data, offset, seed));
  }
}

// A slice shifted by one byte, or of another stream, is wrong almost
// everywhere, as with PatternByte().
TEST(PatternMatcherTest, ShiftedOrOtherStreamIsWrong) {
  PatternMatcher matcher;
  const std::string data = Stream(1000, 4096, 3);
  EXPECT_EQ(matcher.CountMismatches(data.data(), data.size(), 1001, 3),
            SlowCount(data, 1001, 3));
  EXPECT_GT(SlowCount(data, 1001, 3), 3500u);
  EXPECT_EQ(matcher.CountMismatches(data.data(), data.size(), 1000, 4),
            SlowCount(data, 1000, 4));
  EXPECT_GT(SlowCount(data, 1000, 4), 3500u);
}

}  // namespace
}  // namespace sluice::tools
