// Copyright 2026 The sluice Authors.
//
// Fuzzes the size flags of the tools: ParseByteSize() (tools/flags/
// byte_size.h) and sluice-load's --object-size mix, ParseSizeMix()
// (tools/load/workload.h), with the input as the flag's value. Beyond "no
// crash":
// - a size with a unit is exactly number x unit: one that does not fit in
//   64 bits is refused, never wrapped; a refusal leaves `bytes` alone;
// - a mix has one positive size and one finite positive weight per part,
//   their sum finite too (std::discrete_distribution's precondition), each
//   size what ParseByteSize() reads from its part, and it can be drawn from.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "flags/byte_size.h"
#include "load/workload.h"
#include "tests/fuzz/fuzz_check.h"

namespace sluice {
namespace {

void CheckByteSize(absl::string_view text) {
  constexpr uint64_t kUntouched = 0x5a5a5a5a5a5a5a5aull;
  uint64_t bytes = kUntouched;
  if (!tools::ParseByteSize(text, bytes)) {
    SLUICE_FUZZ_CHECK(bytes == kUntouched);
    return;
  }
  static constexpr std::pair<absl::string_view, uint64_t> kUnits[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  for (const auto& [suffix, scale] : kUnits) {
    if (!absl::EndsWith(text, suffix)) continue;
    uint64_t number = 0;
    SLUICE_FUZZ_CHECK(
        absl::SimpleAtoi(text.substr(0, text.size() - suffix.size()), &number));
    SLUICE_FUZZ_CHECK(number <= std::numeric_limits<uint64_t>::max() / scale);
    SLUICE_FUZZ_CHECK(bytes == number * scale);
    return;
  }
  uint64_t number = 0;
  SLUICE_FUZZ_CHECK(absl::SimpleAtoi(text, &number) && bytes == number);
}

void CheckSizeMix(absl::string_view text) {
  const absl::StatusOr<load::SizeMix> mix = load::ParseSizeMix(text);
  if (!mix.ok()) {
    SLUICE_FUZZ_CHECK(mix.status().code() ==
                      absl::StatusCode::kInvalidArgument);
    return;
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  SLUICE_FUZZ_CHECK(mix->sizes.size() == parts.size());
  SLUICE_FUZZ_CHECK(mix->weights.size() == parts.size());
  double total = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    uint64_t size = 0;
    SLUICE_FUZZ_CHECK(
        tools::ParseByteSize(parts[i].substr(0, parts[i].find(':')), size));
    SLUICE_FUZZ_CHECK(mix->sizes[i] == size && size > 0);
    SLUICE_FUZZ_CHECK(std::isfinite(mix->weights[i]) && mix->weights[i] > 0);
    total += mix->weights[i];
  }
  SLUICE_FUZZ_CHECK(std::isfinite(total) && total > 0);
  std::discrete_distribution<size_t> pick(mix->weights.begin(),
                                          mix->weights.end());
  std::mt19937_64 rng(1);
  SLUICE_FUZZ_CHECK(pick(rng) < mix->sizes.size());
}

}  // namespace
}  // namespace sluice

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  sluice::CheckByteSize(text);
  sluice::CheckSizeMix(text);
  return 0;
}
