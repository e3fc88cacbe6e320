// Copyright 2026 The sluice Authors.
//
// ScopedSigpipeBlock: keeps SIGPIPE from reaching the host process while
// this thread makes calls that cannot take MSG_NOSIGNAL (sendfile(2)).
//
// A write to a closed peer raises SIGPIPE, whose default action kills the
// process. Changing the process's disposition would be a side effect the
// host cannot see, so instead SIGPIPE is blocked in this thread's mask for
// the scope, and a SIGPIPE that our own EPIPE left pending is consumed before
// the mask is restored (a SIGPIPE already pending before, or a host that
// already blocks it, is left alone). Cost: two pthread_sigmask calls per
// scope, plus a sigtimedwait only after an EPIPE.

#ifndef SLUICE_ENGINE_SIGPIPE_BLOCK_H_
#define SLUICE_ENGINE_SIGPIPE_BLOCK_H_

#include <signal.h>

#include <optional>

namespace sluice::internal {

class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

  // Call after a call in the scope failed with EPIPE.
  void NoteEpipe() { saw_epipe_ = true; }

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
  bool already_blocked_ = false;
  bool already_pending_ = false;
  bool saw_epipe_ = false;
};

// A ScopedSigpipeBlock made only when a call first needs it, and ended with
// this object: a scope in which no sendfile(2) runs pays nothing. Backends
// keep one per Wait() and pass it to the data paths.
class LazySigpipeBlock {
 public:
  ScopedSigpipeBlock& Get() {
    if (!block_.has_value()) block_.emplace();
    return *block_;
  }

 private:
  std::optional<ScopedSigpipeBlock> block_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SIGPIPE_BLOCK_H_
