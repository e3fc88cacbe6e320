// Copyright 2026 The sluice Authors.
//
// CallTimer: the stall meter. Around every engine-thread call that may block
// on storage (a sendfile, read or send loop, a submit), it keeps the longest
// such call in EngineStats::longest_call_ns, by CLOCK_MONOTONIC (two vDSO
// reads, tens of nanoseconds).

#ifndef SLUICE_ENGINE_CALL_TIMER_H_
#define SLUICE_ENGINE_CALL_TIMER_H_

#include <time.h>

#include <cstdint>

#include "sluice/stats.h"

namespace sluice::internal {

class CallTimer {
 public:
  explicit CallTimer(EngineStats& stats) : stats_(stats), start_(Now()) {}
  ~CallTimer() {
    const uint64_t took = Now() - start_;
    if (took > stats_.longest_call_ns) stats_.longest_call_ns = took;
  }
  CallTimer(const CallTimer&) = delete;
  CallTimer& operator=(const CallTimer&) = delete;

 private:
  static uint64_t Now() {
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return uint64_t(now.tv_sec) * 1'000'000'000 + uint64_t(now.tv_nsec);
  }

  EngineStats& stats_;
  const uint64_t start_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_CALL_TIMER_H_
