// Copyright 2026 The sluice Authors.
//
// AccessLog: sluice-serve's one line per response (--access-log), buffered
// per worker thread and written in pieces no larger than PIPE_BUF, so the
// lines of several threads sharing a pipe never interleave.
//
//   AccessLog log(STDOUT_FILENO);
//   log.Add("GET", "/a.txt", 200, 1234, "iouring", started);
//   log.Flush();  // once per loop iteration
//
// A line: time (UTC, ms), method, target, status, bytes sent (head
// included), the backend that sent the body or why it stopped ("-" for a
// response the worker wrote itself), duration.

#ifndef SLUICE_TOOLS_SERVE_ACCESS_LOG_H_
#define SLUICE_TOOLS_SERVE_ACCESS_LOG_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace sluice::serve {

class AccessLog {
 public:
  // Writes to `fd` (borrowed); -1 keeps no log.
  explicit AccessLog(int fd) : fd_(fd) {}
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return fd_ >= 0; }

  // Buffers the line of a response begun at `started` and ended now.
  void Add(absl::string_view method, absl::string_view target, int status,
           uint64_t bytes, absl::string_view outcome, absl::Time started);
  // Writes what is buffered.
  void Flush();

 private:
  const int fd_;
  std::string pending_;
};

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_ACCESS_LOG_H_
