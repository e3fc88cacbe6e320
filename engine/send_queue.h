// Copyright 2026 The sluice Authors.
//
// SendQueue: whether a socket's peer is still taking bytes, for the idle
// timer.
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

class SendQueue {
 public:
  virtual ~SendQueue() = default;
  // Bytes written to `socket_fd` that its peer has not taken yet (TCP: not
  // acknowledged; unix: not read); nullopt where the kernel cannot tell.
  virtual std::optional<uint64_t> Queued(int socket_fd) = 0;
};

// Asks the kernel: ioctl(SIOCOUTQ), where the build has it.
class KernelSendQueue final : public SendQueue {
 public:
  std::optional<uint64_t> Queued(int socket_fd) override;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_SEND_QUEUE_H_
