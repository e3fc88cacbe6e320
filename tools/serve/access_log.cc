// Copyright 2026 The sluice Authors.

#include "serve/access_log.h"

#include <limits.h>
#include <unistd.h>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace sluice::serve {

void AccessLog::Add(absl::string_view method, absl::string_view target,
                    int status, uint64_t bytes, absl::string_view outcome,
                    absl::Time started) {
  if (!enabled()) return;
  // The loop's cached time is too coarse for a duration.
  const absl::Time end = absl::Now();
  const std::string line = absl::StrFormat(
      "%s %s %s %d %d %s %.3fms\n",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", end, absl::UTCTimeZone()),
      method, target, status, bytes, outcome,
      absl::ToDoubleMilliseconds(end - started));
  // Each write(2) stays within PIPE_BUF, so lines of several threads
  // sharing a pipe never interleave.
  if (pending_.size() + line.size() > PIPE_BUF) Flush();
  pending_.append(line);
}

void AccessLog::Flush() {
  if (enabled() && !pending_.empty()) {
    (void)!::write(fd_, pending_.data(), pending_.size());
  }
  pending_.clear();
}

}  // namespace sluice::serve
