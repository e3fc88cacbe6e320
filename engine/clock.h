// Copyright 2026 The sluice Authors.
//
// Clock: where the scheduler reads the time, so tests can run it on fake
// time without sleeping.
//
// Timers run on a monotonic clock: a step of the wall clock (NTP, a VM
// resuming, an operator's `date -s`) must neither fire every idle timeout at
// once nor hold them back. A transfer's `deadline` is the one absolute time a
// user gives; it is turned into the monotonic timeline once, at Submit(),
// from one reading of each clock.

#ifndef SLUICE_ENGINE_CLOCK_H_
#define SLUICE_ENGINE_CLOCK_H_

#include <time.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluice::internal {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic: never goes back, never jumps with the wall clock. Its epoch
  // means nothing; only differences and comparisons do.
  virtual absl::Time Now() = 0;
  // The wall clock, which user deadlines are given in.
  virtual absl::Time WallNow() = 0;

  // `wall_time` (an absolute wall-clock time; infinite stays infinite) on
  // the monotonic timeline of Now().
  absl::Time FromWall(absl::Time wall_time) {
    return Now() + (wall_time - WallNow());
  }
};

class RealClock final : public Clock {
 public:
  absl::Time Now() override {
    timespec now;
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return absl::TimeFromTimespec(now);
  }
  absl::Time WallNow() override { return absl::Now(); }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_CLOCK_H_
