// Copyright 2026 The sluice Authors.
//
// Session: one client connection of a sluice-relay worker and the upstream
// connection made for it, with the two transfers that relay between them.
// The worker decides what happens (worker.h); a Session holds where it
// stands.
//
//   kConnecting --upstream connected-------------------> kRelaying
//   kConnecting --connect failed or timed out----------> closed
//   kRelaying   --both directions ended OK (EOF)-------> closed
//   kRelaying   --one direction failed, or idle--------> kClosing
//   kClosing    --the other transfer's callback ran----> closed
//
// While relaying, each direction is one engine transfer: to_client has the
// upstream as its source and the client as its socket, to_upstream the
// reverse. A direction that ends OK (its source sent FIN) shuts its socket
// down for writing, so the half-close reaches the other peer; the engine
// borrows both fds until both callbacks have run.

#ifndef SLUICE_TOOLS_RELAY_SESSION_H_
#define SLUICE_TOOLS_RELAY_SESSION_H_

#include <cstdint>
#include <optional>
#include <utility>

#include "absl/time/time.h"
#include "posix/unique_fd.h"
#include "sluice/transfer.h"

namespace sluice::relay {

struct Session {
  enum class State { kConnecting, kRelaying, kClosing };

  // One direction of the relay.
  struct Direction {
    TransferId transfer;
    // Submitted and its callback not yet run.
    bool live = false;
    // Ended OK: its source reached EOF and the write side of its socket is
    // shut down.
    bool finished = false;
  };

  Session(uint64_t id, tools::UniqueFd client, tools::UniqueFd upstream)
      : id(id), client(std::move(client)), upstream(std::move(upstream)) {}

  bool live() const { return to_client.live || to_upstream.live; }

  const uint64_t id;
  tools::UniqueFd client;
  tools::UniqueFd upstream;
  State state = State::kConnecting;
  Direction to_client;    // upstream -> client
  Direction to_upstream;  // client -> upstream
  // When the timer fires: the connect timeout while connecting, then the
  // next idle check (InfiniteFuture: none).
  absl::Time timer = absl::InfiniteFuture();
  // The sockets' TCP progress at the last idle check (see
  // net/socket_progress.h); nullopt where the kernel cannot tell (unix),
  // and then the transfers time out on their own.
  std::optional<uint64_t> progress;
};

}  // namespace sluice::relay

#endif  // SLUICE_TOOLS_RELAY_SESSION_H_
