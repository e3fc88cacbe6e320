// Copyright 2026 The sluice Authors.
//
// Connected stream socket pairs through a listener of their own, for a
// sender and a receiver in one process (benchmarks, demos, tests).
//
//   absl::StatusOr<sluice::tools::Address> loopback =
//       sluice::tools::ParseAddress("127.0.0.1:0");
//   absl::StatusOr<std::vector<sluice::tools::SocketPair>> pairs =
//       sluice::tools::ConnectedPairs(*loopback, 64);

#ifndef SLUICE_TOOLS_NET_SOCKET_PAIRS_H_
#define SLUICE_TOOLS_NET_SOCKET_PAIRS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "net/address.h"
#include "posix/unique_fd.h"

namespace sluice::tools {

// One connection: a sender writes `sender`, a receiver reads `receiver`.
struct SocketPair {
  UniqueFd sender;
  UniqueFd receiver;
};

// `count` connected, blocking SOCK_STREAM pairs through a listener on
// `address` (port 0: any free one), closed again once they are made.
absl::StatusOr<std::vector<SocketPair>> ConnectedPairs(Address address,
                                                       int count);

// The receiving ends of `pairs`, borrowed.
std::vector<int> Receivers(const std::vector<SocketPair>& pairs);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_SOCKET_PAIRS_H_
