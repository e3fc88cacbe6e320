// Copyright 2026 The sluice Authors.
//
// Clock: where the scheduler reads the time, so tests can run it on fake
// time without sleeping.

#ifndef SLUICE_ENGINE_CLOCK_H_
#define SLUICE_ENGINE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluice::internal {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_CLOCK_H_
