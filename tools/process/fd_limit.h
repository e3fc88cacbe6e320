// Copyright 2026 The sluice Authors.
//
// The fd limit of a tool that holds many connections open at once.
//
//   sluice::tools::RaiseFdLimit(connections * 3 + 256);

#ifndef SLUICE_TOOLS_PROCESS_FD_LIMIT_H_
#define SLUICE_TOOLS_PROCESS_FD_LIMIT_H_

#include <cstdint>

namespace sluice::tools {

// Raises RLIMIT_NOFILE's soft limit to at least `want` (up to the hard
// limit); returns the soft limit now in force.
uint64_t RaiseFdLimit(uint64_t want);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PROCESS_FD_LIMIT_H_
