// Copyright 2026 The sluice Authors.
//
// http_date.h: HTTP dates (IMF-fixdate, RFC 9110 §5.6.7), to whole seconds.
//
//   FormatHttpDate(absl::FromUnixSeconds(784111777))
//       -> "Sun, 06 Nov 1994 08:49:37 GMT"

#ifndef SLUICE_TOOLS_SERVE_HTTP_DATE_H_
#define SLUICE_TOOLS_SERVE_HTTP_DATE_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sluice::serve {

// `time` as an IMF-fixdate, truncated to the second.
std::string FormatHttpDate(absl::Time time);

// Parses an IMF-fixdate. The obsolete RFC 850 and asctime forms are not
// accepted: a conditional header with a date that does not parse is
// ignored (RFC 9110 §13.1.3), which is always safe.
std::optional<absl::Time> ParseHttpDate(absl::string_view text);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_HTTP_DATE_H_
