// Copyright 2026 The sluice Authors.

#include "tools/serve/http_date.h"

namespace sluice::serve {
namespace {

constexpr char kImfFixdate[] = "%a, %d %b %Y %H:%M:%S GMT";

}  // namespace

std::string FormatHttpDate(absl::Time time) {
  return absl::FormatTime(kImfFixdate, time, absl::UTCTimeZone());
}

std::optional<absl::Time> ParseHttpDate(absl::string_view text) {
  absl::Time time;
  std::string error;
  // The fixed layout is 29 characters; anything else is not an IMF-fixdate.
  if (text.size() != 29 ||
      !absl::ParseTime(kImfFixdate, std::string(text), absl::UTCTimeZone(),
                       &time, &error)) {
    return std::nullopt;
  }
  return time;
}

}  // namespace sluice::serve
