// Copyright 2026 The sluice Authors.
//
// NonBlockingScope: makes a borrowed socket non-blocking for the life of a
// transfer and puts its original file status flags back afterwards.

#ifndef SLUICE_ENGINE_SOCKET_MODE_H_
#define SLUICE_ENGINE_SOCKET_MODE_H_

#include "absl/status/statusor.h"

namespace sluice::internal {

class NonBlockingScope {
 public:
  // Sets O_NONBLOCK on `fd` (no syscall beyond F_GETFL if already set).
  [[nodiscard]] static absl::StatusOr<NonBlockingScope> Enter(int fd);

  NonBlockingScope(NonBlockingScope&& other) noexcept;
  NonBlockingScope& operator=(NonBlockingScope&&) = delete;
  NonBlockingScope(const NonBlockingScope&) = delete;
  ~NonBlockingScope() { Restore(); }

  // Puts the original flags back; later calls do nothing.
  void Restore();

 private:
  NonBlockingScope(int fd, int original_flags, bool was_blocking)
      : fd_(fd), original_flags_(original_flags), was_blocking_(was_blocking) {}

  int fd_;
  int original_flags_;
  bool was_blocking_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SOCKET_MODE_H_
