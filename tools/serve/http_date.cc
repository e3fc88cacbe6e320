// Copyright 2026 The sluice Authors.

#include "serve/http_date.h"

#include <time.h>

#include <cstdio>

namespace sluice::serve {
namespace {

constexpr char kImfFixdate[] = "%a, %d %b %Y %H:%M:%S GMT";

}  // namespace

// Every file response carries one (Last-Modified), so this avoids the time
// zone machinery of absl::FormatTime: UTC needs none.
std::string FormatHttpDate(absl::Time time) {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};
  const time_t seconds = absl::ToTimeT(time);
  struct tm tm;
  if (::gmtime_r(&seconds, &tm) == nullptr || tm.tm_year + 1900 > 9999 ||
      tm.tm_year + 1900 < 0) {
    return absl::FormatTime(kImfFixdate, time, absl::UTCTimeZone());
  }
  char text[64];
  std::snprintf(text, sizeof(text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return text;
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
