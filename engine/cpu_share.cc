// Copyright 2026 The sluice Authors.

#include "engine/cpu_share.h"

#include <sched.h>

#include <algorithm>
#include <atomic>

namespace sluice::internal {
namespace {

// io_uring engines alive in this process.
std::atomic<unsigned> live_engines{0};

// CPUs this thread may run on.
unsigned UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

}  // namespace

CpuShare::CpuShare(uint32_t fixed) : fixed_(fixed), usable_cpus_(UsableCpus()) {
  live_engines.fetch_add(1, std::memory_order_relaxed);
}

CpuShare::~CpuShare() { live_engines.fetch_sub(1, std::memory_order_relaxed); }

unsigned CpuShare::cpus_per_engine() const {
  if (fixed_ != 0) return fixed_;
  return std::max(
      1u, usable_cpus_ /
              std::max(1u, live_engines.load(std::memory_order_relaxed)));
}

}  // namespace sluice::internal
