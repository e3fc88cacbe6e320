// Copyright 2026 The sluice Authors.
//
// SendQueue: whether a socket's peer is still taking bytes, for the idle
// timer and the minimum rate, and how far it got, for a transfer that asked
// to report delivery (TransferSpec::report_delivery).
//
// A socket reports writable only once a good part of its send buffer has
// drained (TCP: a third of it free; unix sockets: three quarters), so with a
// large buffer a slow reader can take bytes steadily for many seconds while
// the socket accepts none. The scheduler asks here before it calls such a
// transfer idle: bytes that left the send queue are the peer's progress.

#ifndef SLUICE_ENGINE_SEND_QUEUE_H_
#define SLUICE_ENGINE_SEND_QUEUE_H_

#include <cstdint>
#include <optional>

namespace sluice::internal {

// A TCP socket's send side as TCP_INFO tells it, in one call. Each field is
// nullopt where the kernel cannot tell: not a TCP socket, or a kernel
// older than the field.
struct TcpSendState {
  // Bytes the peer acknowledged since the connection opened
  // (tcpi_bytes_acked, Linux 4.2+). On the connecting side it counts the
  // SYN too: use differences.
  std::optional<uint64_t> bytes_acked;
  // Bytes written but not yet sent: waiting in the send buffer for the
  // window or for congestion control (tcpi_notsent_bytes, the same number
  // as ioctl(SIOCOUTQNSD); Linux 4.6+).
  std::optional<uint64_t> not_sent;
};

class SendQueue {
 public:
  virtual ~SendQueue() = default;
  // Bytes written to `socket_fd` that its peer has not taken yet (TCP: not
  // acknowledged, sent or not; unix: not read); nullopt where the kernel
  // cannot tell.
  virtual std::optional<uint64_t> Queued(int socket_fd) = 0;
  // The TCP send side of `socket_fd`; all nullopt for a unix socket.
  virtual TcpSendState Tcp(int socket_fd) = 0;
};

// Asks the kernel: ioctl(SIOCOUTQ) and getsockopt(TCP_INFO), where the
// build has them.
class KernelSendQueue final : public SendQueue {
 public:
  std::optional<uint64_t> Queued(int socket_fd) override;
  TcpSendState Tcp(int socket_fd) override;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SEND_QUEUE_H_
