// Copyright 2026 The sluice Authors.

#include "process/fd_limit.h"

#include <sys/resource.h>

#include <algorithm>

namespace sluice::tools {

uint64_t RaiseFdLimit(uint64_t want) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < want) {
    limit.rlim_cur = std::min<rlim_t>(want, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

}  // namespace sluice::tools
