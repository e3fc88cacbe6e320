// Copyright 2026 The sluice Authors.
//
// Readiness: waits until fds become writable (sockets) or readable (pipe
// sources), for the backends that make plain calls (sendfile, read+send).
// epoll on Linux, poll(2) where epoll is absent. Watches are one-shot: an fd
// is reported once per Watch(), so one that stays ready never spins the loop.

#ifndef SLUICE_ENGINE_READINESS_H_
#define SLUICE_ENGINE_READINESS_H_

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sluice/stats.h"

namespace sluice::internal {

enum class Interest { kWritable, kReadable };

class Readiness {
 public:
  // epoll where the build has it, else poll(2). `stats` counts syscalls and
  // must outlive the waiter.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<Readiness>> Create(
      EngineStats& stats);

  virtual ~Readiness() = default;

  // Reports `token` once, at a later Wait(), when `fd` is ready for
  // `interest` or in error (a reset peer counts: the next call tells which).
  // An fd may be watched for both interests at once, by two transfers (a
  // socket that is one's source and another's destination); a later Watch()
  // of the same fd and interest replaces the earlier one.
  [[nodiscard]] virtual absl::Status Watch(int fd, Interest interest,
                                           uint64_t token) = 0;
  // Drops the watch on `fd` for `interest`; called before the fd goes back
  // to its owner.
  virtual void Forget(int fd, Interest interest) = 0;
  // Waits up to `timeout` and calls `ready` for each reported token.
  [[nodiscard]] virtual absl::Status Wait(
      absl::Duration timeout, absl::FunctionRef<void(uint64_t)> ready) = 0;
  // Readable when Wait() would report something; -1 for poll(2).
  virtual int fd() const = 0;
};

// Milliseconds for epoll_wait/poll: rounded up, so a wait never ends before a
// timer is due; -1 for an infinite timeout.
int TimeoutMillis(absl::Duration timeout);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_READINESS_H_
