// Copyright 2026 The sluice Authors.
//
// SocketPacer: has the kernel pace a transfer's TCP socket at its maximum
// rate (TransferSpec::max_rate), and puts the socket's own pacing back.
//
// The scheduler's token bucket decides how many bytes a rate-limited
// transfer hands the socket; pacing decides when the packets leave: at the
// rate, spread out, rather than each step's bytes in one burst at line
// speed. An interface, so that the scheduler's tests run without sockets.

#ifndef SLUICE_ENGINE_SOCKET_PACER_H_
#define SLUICE_ENGINE_SOCKET_PACER_H_

#include <cstdint>
#include <optional>

namespace sluice::internal {

class SocketPacer {
 public:
  virtual ~SocketPacer() = default;
  // Paces `socket_fd` at `bytes_per_second`; returns the socket's own
  // maximum pacing rate, for Restore(). nullopt: not paced (not a TCP
  // socket, or the kernel refused), and nothing to restore.
  virtual std::optional<uint64_t> Pace(int socket_fd,
                                       uint64_t bytes_per_second) = 0;
  // Gives `socket_fd` back the rate Pace() returned. (The kernel cannot
  // be told to stop pacing internally: once a TCP socket has had a rate,
  // it paces at TCP's own estimate for the rest of its life, its ceiling
  // being the rate given back.)
  virtual void Restore(int socket_fd, uint64_t own_rate) = 0;
};

// SO_MAX_PACING_RATE, on TCP sockets only: any socket takes the option,
// but only TCP (Linux 4.13+) and the fq qdisc act on it, so elsewhere the
// bucket alone must do. Pace() costs three calls (SO_PROTOCOL, then get
// and set), Restore() one.
class KernelSocketPacer final : public SocketPacer {
 public:
  std::optional<uint64_t> Pace(int socket_fd,
                               uint64_t bytes_per_second) override;
  void Restore(int socket_fd, uint64_t own_rate) override;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SOCKET_PACER_H_
