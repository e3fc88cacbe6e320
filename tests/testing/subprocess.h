// Copyright 2026 The sluice Authors.
//
// Runs a program for a test: bounded in time, stopped by its pid.

#ifndef SLUICE_TESTS_TESTING_SUBPROCESS_H_
#define SLUICE_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace sluice::testing {

struct ProcessResult {
  // The exit status, or -signal if a signal ended it (-9 after a timeout).
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` to completion, killing it after `limit`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         absl::Duration limit);

// A program left running in the background; SIGTERM then SIGKILL on
// destruction if still running.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  pid_t pid() const { return pid_; }
  // The first line it writes to stdout, waiting up to `limit`; "" if none.
  std::string ReadLine(absl::Duration limit);
  // Sends SIGTERM and waits (up to `limit`) for it to exit.
  ProcessResult Stop(absl::Duration limit);

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string pending_;
};

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_SUBPROCESS_H_
