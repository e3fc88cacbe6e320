// Copyright 2026 The sluice Authors.

#include "engine/sigpipe_block.h"

#include <pthread.h>

#include <ctime>

namespace sluice::internal {

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigemptyset(&sigpipe_);
  sigaddset(&sigpipe_, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
  already_blocked_ = sigismember(&previous_, SIGPIPE) == 1;
  if (already_blocked_) {
    sigset_t pending;
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  // If SIGPIPE was unblocked before, nothing of it could be pending then:
  // whatever is pending now is ours. If the host blocks it and one was
  // already pending, ours merged into it (standard signals do not queue).
  if (saw_epipe_ && !already_pending_) {
    const timespec no_wait{0, 0};
    while (sigtimedwait(&sigpipe_, nullptr, &no_wait) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
}

}  // namespace sluice::internal
