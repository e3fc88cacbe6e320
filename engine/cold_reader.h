// Copyright 2026 The sluice Authors.
//
// ColdReader: the readiness backends' I/O threads for cold file ranges, in
// the shape of nginx's `aio threads`: a thread makes the blocking read, the
// engine thread only learns that it finished. A range is read (pread into
// the thread's own scratch buffer) so that its pages are in the page cache;
// the backend then sends it with its usual calls, which find it resident.
// After each read the thread asks the kernel to read the next
// kColdReadAhead bytes (residency.h) too (POSIX_FADV_WILLNEED), so that while
// one range is sent the next one is already being read. The engine thread waits
// on fd(), an eventfd, with its other fds.
//
// Linux only (eventfd); elsewhere Create() says Unimplemented and cold
// ranges are read in place.

#ifndef SLUICE_ENGINE_COLD_READER_H_
#define SLUICE_ENGINE_COLD_READER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/unique_fd.h"

namespace sluice::internal {

class ColdReader {
 public:
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<ColdReader>> Create(
      unsigned threads);
  // Waits for the reads in progress (a read blocked on its storage keeps
  // the destructor waiting), drops the queued ones, and stops the threads.
  ~ColdReader();
  ColdReader(const ColdReader&) = delete;
  ColdReader& operator=(const ColdReader&) = delete;

  // Queues a read of [offset, offset + length) of `fd`, then a read-ahead
  // hint for what follows, up to `read_ahead_end` (0: none); `fd` must stay
  // open until `token` comes back from TakeDone(). Read errors are not
  // reported (the backend's own read then meets them).
  void Warm(int fd, uint64_t offset, uint64_t length, uint64_t read_ahead_end,
            uint64_t token);
  // Readable when TakeDone() has tokens.
  int fd() const { return event_.get(); }
  // Appends the tokens of the reads that finished since the last call.
  void TakeDone(std::vector<uint64_t>& tokens);

 private:
  struct Job {
    int fd;
    uint64_t offset;
    uint64_t length;
    uint64_t read_ahead_end;
    uint64_t token;
  };

  explicit ColdReader(UniqueFd event) : event_(std::move(event)) {}
  void Run();

  UniqueFd event_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::vector<uint64_t> done_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_COLD_READER_H_
