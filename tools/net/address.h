// Copyright 2026 The sluice Authors.
//
// Socket addresses as the tools' flags spell them: "127.0.0.1:9000",
// "[::1]:9000", "localhost:9000" (numeric or localhost only: no resolver),
// or "unix:/path/to/socket".

#ifndef SLUICE_TOOLS_NET_ADDRESS_H_
#define SLUICE_TOOLS_NET_ADDRESS_H_

#include <sys/socket.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "posix/unique_fd.h"

namespace sluice::tools {

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  std::string ToString() const;
};

absl::StatusOr<Address> ParseAddress(absl::string_view text);

enum class PortSharing {
  kExclusive,
  // SO_REUSEPORT: several sockets (one per thread) listen on one port and
  // the kernel spreads connections among them.
  kReusePort,
};

// A listening SOCK_STREAM socket bound to `address` (port 0: any), and the
// address it got.
absl::StatusOr<UniqueFd> Listen(Address& address,
                                PortSharing sharing = PortSharing::kExclusive);
// A blocking SOCK_STREAM socket connected to `address`.
absl::StatusOr<UniqueFd> Connect(const Address& address);

// A non-blocking SOCK_STREAM socket whose connect to `address` has begun.
// `in_progress`: the connect goes on (EINPROGRESS); once the socket reports
// writable, FinishConnect() says how it ended. Otherwise it is connected
// (a unix socket, or a fast TCP one). An error (ECONNREFUSED, EAGAIN from a
// unix listener's full backlog) means no connection.
struct PendingConnect {
  UniqueFd fd;
  bool in_progress = false;
};
absl::StatusOr<PendingConnect> StartConnect(const Address& address);
// How the connect StartConnect() began on `fd` ended (SO_ERROR).
absl::Status FinishConnect(int fd, const Address& address);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_ADDRESS_H_
