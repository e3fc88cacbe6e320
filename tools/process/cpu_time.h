// Copyright 2026 The sluice Authors.
//
// CPU accounting for measuring a sender: what the whole process used, less
// what the threads of a sink in the same process used.
//
//   const double before = sluice::tools::ProcessCpuSeconds();
//   ... run, with a sink on `sink_thread` ...
//   const double sender = sluice::tools::ProcessCpuSeconds() - before -
//                         sluice::tools::ThreadCpuSeconds(sink_thread);

#ifndef SLUICE_TOOLS_PROCESS_CPU_TIME_H_
#define SLUICE_TOOLS_PROCESS_CPU_TIME_H_

#include <thread>

namespace sluice::tools {

// CPU seconds every thread of this process has used, io-wq workers
// included.
double ProcessCpuSeconds();

// CPU seconds the calling thread has used.
double ThreadCpuSeconds();

// CPU seconds `thread` (running, or ended but not yet joined) has used;
// 0 if it cannot tell.
double ThreadCpuSeconds(std::thread& thread);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_PROCESS_CPU_TIME_H_
