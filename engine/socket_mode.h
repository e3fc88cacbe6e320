// Copyright 2026 The sluice Authors.
//
// NonBlockingScope: makes a borrowed fd non-blocking for the life of a
// transfer and puts its original file status flags back afterwards.
// NonBlockingFds: the same for every fd of an engine's live transfers,
// counted, so that transfers sharing an fd (a relay in each direction
// shares both sockets) put its flags back only when the last one ends.
// NotSentLowatScope: sets TCP_NOTSENT_LOWAT on a transfer's socket and puts
// the socket's own value back afterwards.

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

class NotSentLowatScope {
 public:
  // Sets TCP_NOTSENT_LOWAT on `fd` to `bytes`, keeping its value to put
  // back. Never fails: a socket that refuses (not TCP, an old kernel) is
  // left as it is, and the scope does nothing.
  static NotSentLowatScope Enter(int fd, uint32_t bytes);

  NotSentLowatScope(NotSentLowatScope&& other) noexcept;
  NotSentLowatScope& operator=(NotSentLowatScope&&) = delete;
  NotSentLowatScope(const NotSentLowatScope&) = delete;
  ~NotSentLowatScope() { Restore(); }

  // Puts the original value back; later calls do nothing.
  void Restore();
  // Whether Enter() set the option (so Restore() will put it back).
  bool set() const { return set_; }

 private:
  NotSentLowatScope(int fd, int original, bool set)
      : fd_(fd), original_(original), set_(set) {}

  int fd_;
  // As getsockopt() gave it: 0 means "the sysctl's", and setting 0 back
  // restores exactly that.
  int original_;
  bool set_;
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
