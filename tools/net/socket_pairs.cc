// Copyright 2026 The sluice Authors.

#include "net/socket_pairs.h"

#include <sys/socket.h>

#include <cerrno>

#include "absl/status/status.h"

namespace sluice::tools {

absl::StatusOr<std::vector<SocketPair>> ConnectedPairs(Address address,
                                                       int count) {
  absl::StatusOr<UniqueFd> listener = Listen(address);
  if (!listener.ok()) return listener.status();
  std::vector<SocketPair> pairs;
  for (int i = 0; i < count; ++i) {
    SocketPair pair;
    absl::StatusOr<UniqueFd> sender = Connect(address);
    if (!sender.ok()) return sender.status();
    pair.sender = *std::move(sender);
    pair.receiver.reset(
        ::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!pair.receiver.valid()) return absl::ErrnoToStatus(errno, "accept4");
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

std::vector<int> Receivers(const std::vector<SocketPair>& pairs) {
  std::vector<int> fds;
  for (const SocketPair& pair : pairs) fds.push_back(pair.receiver.get());
  return fds;
}

}  // namespace sluice::tools
