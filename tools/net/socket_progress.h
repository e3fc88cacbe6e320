// Copyright 2026 The sluice Authors.
//
// How far a TCP connection has come, as the kernel counts it: the bytes the
// peer acknowledged plus the bytes received from it. A relay reads it on
// both of its sockets to tell an idle connection from one that is busy in
// either direction, without seeing the bytes itself.
//
//   std::optional<uint64_t> before = sluice::tools::SocketProgress(fd);
//   ... later ...
//   bool moved = sluice::tools::SocketProgress(fd) != before;

#ifndef SLUICE_TOOLS_NET_SOCKET_PROGRESS_H_
#define SLUICE_TOOLS_NET_SOCKET_PROGRESS_H_

#include <cstdint>
#include <optional>

namespace sluice::tools {

// tcpi_bytes_acked + tcpi_bytes_received of a TCP socket (Linux 4.1+);
// nullopt for any other socket (unix) or where the kernel does not say.
std::optional<uint64_t> SocketProgress(int fd);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_SOCKET_PROGRESS_H_
