// Copyright 2026 The sluice Authors.
//
// fuzz_check.h: what the fuzz targets assert beyond "no crash".
//
// SLUICE_FUZZ_CHECK(condition) aborts with the condition's text when it is
// false, so libFuzzer saves the input as a crash:
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     const ByteRange range = ParseRange(..., 1000);
//     SLUICE_FUZZ_CHECK(range.offset + range.count <= 1000);
//     return 0;
//   }

#ifndef SLUICE_TESTS_FUZZ_FUZZ_CHECK_H_
#define SLUICE_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SLUICE_FUZZ_CHECK(condition)                                    \
  do {                                                                  \
    if (!(condition)) {                                                 \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, \
                   __LINE__, #condition);                               \
      std::abort();                                                     \
    }                                                                   \
  } while (0)

#endif  // SLUICE_TESTS_FUZZ_FUZZ_CHECK_H_
