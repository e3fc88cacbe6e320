// Copyright 2026 The sluice Authors.
//
// How many CPUs one io_uring engine can count on, for the data-path policy
// and the io-wq worker bound: the CPUs its thread may run on, shared by
// every io_uring engine alive in the process (one engine per core, as
// sharded hosts run them, leaves splice no spare core). The count of live
// engines is the one piece of state engines share: a relaxed process-wide
// atomic, read at each push. EngineOptions::cpus_per_engine replaces it
// with a fixed figure.

#ifndef SLUICE_ENGINE_CPU_SHARE_H_
#define SLUICE_ENGINE_CPU_SHARE_H_

#include <cstdint>

namespace sluice::internal {

class CpuShare {
 public:
  // `fixed`: EngineOptions::cpus_per_engine (0: share the usable CPUs).
  explicit CpuShare(uint32_t fixed);
  ~CpuShare();
  CpuShare(const CpuShare&) = delete;
  CpuShare& operator=(const CpuShare&) = delete;

  // At least 1.
  unsigned cpus_per_engine() const;

 private:
  const uint32_t fixed_;
  const unsigned usable_cpus_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_CPU_SHARE_H_
