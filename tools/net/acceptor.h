// Copyright 2026 The sluice Authors.
//
// Acceptor: a worker's listening socket in its epoll set (sluice-serve,
// sluice-relay). It accepts in bounded batches, and when accept4() runs out
// of fds or memory it takes the listener out of the set for a moment
// instead of spinning on it.
//
//   absl::StatusOr<std::unique_ptr<Acceptor>> acceptor =
//       Acceptor::Create(std::move(listener), epoll_fd, kListenerTag);
//   // on an event tagged kListenerTag:
//   (*acceptor)->Accept(now, [&](UniqueFd fd) { ... });
//   // every loop iteration:
//   (*acceptor)->Resume(now);

#ifndef SLUICE_TOOLS_NET_ACCEPTOR_H_
#define SLUICE_TOOLS_NET_ACCEPTOR_H_

#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "posix/unique_fd.h"

namespace sluice::tools {

class Acceptor {
 public:
  // Makes `listener` (a listening stream socket) non-blocking and watches it
  // in `epoll_fd` (borrowed) with `tag`.
  static absl::StatusOr<std::unique_ptr<Acceptor>> Create(UniqueFd listener,
                                                          int epoll_fd,
                                                          uint64_t tag);

  // Accepts waiting connections (a bounded number, so a flood cannot
  // starve the others), non-blocking (TCP ones with TCP_NODELAY), handing
  // each to `accepted`. Pauses accepting when the process is out of fds.
  void Accept(absl::Time now, absl::FunctionRef<void(UniqueFd)> accepted);

  // Accepts again once a pause is over.
  void Resume(absl::Time now);

  // When a pause ends; InfiniteFuture() while accepting.
  absl::Time paused_until() const { return paused_until_; }

 private:
  Acceptor(UniqueFd listener, int epoll_fd, uint64_t tag);
  void Pause(absl::Time now);

  UniqueFd listener_;
  const int epoll_fd_;
  const uint64_t tag_;
  absl::Time paused_until_ = absl::InfiniteFuture();
};

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_ACCEPTOR_H_
