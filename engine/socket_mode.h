// Copyright 2026 The sluice Authors.
//
// NonBlockingScope: makes a borrowed fd non-blocking for the life of a
// transfer and puts its original file status flags back afterwards.
// NonBlockingFds: the same for every fd of an engine's live transfers,
// counted, so that transfers sharing an fd (a relay in each direction
// shares both sockets) put its flags back only when the last one ends.

#ifndef SLUICE_ENGINE_SOCKET_MODE_H_
#define SLUICE_ENGINE_SOCKET_MODE_H_

#include <cstdint>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
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
  // Whether Enter() changed the flags (so Restore() will).
  bool changed() const { return was_blocking_; }

 private:
  NonBlockingScope(int fd, int original_flags, bool was_blocking)
      : fd_(fd), original_flags_(original_flags), was_blocking_(was_blocking) {}

  int fd_;
  int original_flags_;
  bool was_blocking_;
};

class NonBlockingFds {
 public:
  // Counts the fcntl() calls it makes in `*syscalls`, which must outlive it.
  explicit NonBlockingFds(uint64_t* syscalls) : syscalls_(syscalls) {}

  // Makes `fd` non-blocking unless a live transfer already holds it so.
  [[nodiscard]] absl::Status Acquire(int fd);
  // One transfer is done with `fd`; the last one puts its flags back.
  void Release(int fd);

 private:
  struct Holder {
    int transfers;
    NonBlockingScope scope;
  };
  uint64_t* syscalls_;
  absl::node_hash_map<int, Holder> held_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SOCKET_MODE_H_
