// Copyright 2026 The sluice Authors.
//
// What this process holds right now, for a soak that must stay flat: its
// resident memory and its open file descriptors (Linux /proc).
//
//   const sluice::tools::Usage start = sluice::tools::CurrentUsage();
//   ... run ...
//   if (sluice::tools::CurrentUsage().open_fds > start.open_fds) ... leak ...

#ifndef SLUICE_TOOLS_PROCESS_USAGE_H_
#define SLUICE_TOOLS_PROCESS_USAGE_H_

#include <cstdint>

namespace sluice::tools {

struct Usage {
  // Resident set size (/proc/self/statm, in bytes); 0 if unreadable.
  uint64_t rss_bytes = 0;
  // Entries of /proc/self/fd, less the one the listing itself opens; -1 if
  // unreadable.
  int64_t open_fds = -1;
};

Usage CurrentUsage();

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PROCESS_USAGE_H_
