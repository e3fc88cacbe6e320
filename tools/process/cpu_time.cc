// Copyright 2026 The sluice Authors.

#include "process/cpu_time.h"

#include <pthread.h>
#include <sys/resource.h>
#include <time.h>

namespace sluice::tools {
namespace {

double Seconds(const timespec& ts) {
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double ClockSeconds(clockid_t clock) {
  timespec ts{};
  if (::clock_gettime(clock, &ts) != 0) return 0;
  return Seconds(ts);
}

}  // namespace

double ProcessCpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
             1e6;
}

double ThreadCpuSeconds() { return ClockSeconds(CLOCK_THREAD_CPUTIME_ID); }

double ThreadCpuSeconds(std::thread& thread) {
  clockid_t clock;
  if (::pthread_getcpuclockid(thread.native_handle(), &clock) != 0) return 0;
  return ClockSeconds(clock);
}

}  // namespace sluice::tools
