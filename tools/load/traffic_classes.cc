// Copyright 2026 The sluice Authors.

#include "load/traffic_classes.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace sluice::load {
namespace {

constexpr char kExpected[] = "expected NAME:WEIGHT,... e.g. gold:3,bronze:1";

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

absl::StatusOr<std::vector<TrafficClass>> ParseTrafficClasses(
    absl::string_view text) {
  std::vector<TrafficClass> classes;
  if (text.empty()) return classes;
  std::set<std::string> names;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    const std::vector<absl::string_view> name_weight =
        absl::StrSplit(part, ':');
    if (name_weight.size() != 2) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "class \"%s\" needs a name and a weight; %s", part, kExpected));
    }
    const absl::string_view name = name_weight[0];
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("class \"%s\" has no name; %s", part, kExpected));
    }
    for (const char c : name) {
      if (!IsNameChar(c)) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "class name \"%s\": use letters, digits, '-', '_' and '.'", name));
      }
    }
    // SimpleAtoi() takes a sign and surrounding spaces; a weight is digits.
    uint64_t weight = 0;
    const absl::string_view digits = name_weight[1];
    if (digits.empty() ||
        !std::all_of(digits.begin(), digits.end(),
                     [](char c) {
                       return absl::ascii_isdigit(
                           static_cast<unsigned char>(c));
                     }) ||
        !absl::SimpleAtoi(digits, &weight) || weight == 0 ||
        weight > std::numeric_limits<uint32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "class \"%s\": the weight must be a whole number from 1 to %u", part,
          std::numeric_limits<uint32_t>::max()));
    }
    if (!names.emplace(name).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("class \"%s\" is named twice", name));
    }
    classes.push_back(TrafficClass{.name = std::string(name),
                                   .weight = static_cast<uint32_t>(weight)});
  }
  return classes;
}

}  // namespace sluice::load
