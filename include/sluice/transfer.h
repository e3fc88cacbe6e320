// Copyright 2026 The sluice Authors.
//
// transfer.h: what one transfer is, and what it reports when it ends.
//
// A transfer sends the bytes [offset, offset + count) of a source fd to a
// connected stream socket, optionally preceded by a header and followed by a
// trailer. It borrows both fds: it never closes them and never moves the
// file position, so one file fd may feed many transfers at once.
//
// Example (an HTTP response whose body is a whole file):
//
//   sluice::TransferSpec spec;
//   spec.socket_fd = client_fd;          // borrowed
//   spec.file_fd = file_fd;              // borrowed
//   spec.header = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n";
//   spec.count = 1234;                   // the promised Content-Length
//   spec.idle_timeout = absl::Seconds(30);
//
// The contract, on every backend:
//
//   case                                    result
//   count absent                            until EOF (a regular file: its
//                                           size at Submit()); OK
//   count given, the source ends first      OutOfRange; bytes_sent says how
//                                           far it got
//   count == 0                              InvalidArgument from Submit()
//   offset at or past EOF, no count         OK, 0 bytes
//   empty file                              OK, 0 bytes
//   socket not SOCK_STREAM, bad fd,         InvalidArgument or
//   source not open for reading             FailedPrecondition from Submit(),
//                                           naming the fd and the problem
//   pipe or socket source                   spliced through a pipe
//                                           (kSplice; io_uring and sendfile
//                                           backends), or copied (kCopy;
//                                           read+send, uring_data_path =
//                                           kCopy, or no pipe free)
//   character device or procfs source       falls back to read+send by
//                                           itself where splice cannot read
//                                           it; data_path says kCopy
//   a connected socket as the source (a     read as it fills: without a
//   relay)                                  count, until the upstream's EOF
//                                           (FIN), then OK; with one, OK at
//                                           count, OutOfRange if the
//                                           upstream ends first. The engine
//                                           never reads past count, and
//                                           never shuts down or closes
//                                           either socket: passing the EOF
//                                           on (shutdown(SHUT_WR)) is the
//                                           host's, in the callback
//   the source resets or fails              its errno's status (a reset:
//                                           Unavailable), naming the source
//                                           fd; a failing destination names
//                                           the socket fd, so a proxy can
//                                           tell which side went away
//   bytes read from a stream source but     counted in bytes_received (>=
//   not delivered when the transfer ends    bytes_sent): gone from the
//                                           source, never delivered
//   peer closes or resets mid-transfer      Unavailable; the process never
//                                           dies of SIGPIPE
//   socket already shut down for writing    accepted; Unavailable, nothing
//                                           sent, at the first send (OK when
//                                           there is nothing to send)
//   file truncated during the transfer      ends where the file now ends
//                                           (or past it, by what was already
//                                           read): with a count OutOfRange,
//                                           without one OK
//   file extended, or renamed over          no effect: the size at Submit(),
//                                           the file the fd names
//   file fd closed before the callback      FailedPrecondition (EBADF) at
//                                           its next read, naming the fd; a
//                                           pipe or socket source closed
//                                           while the engine waits for data
//                                           may go unnoticed until the
//                                           deadline or idle timeout
//   no progress for idle_timeout: the       DeadlineExceeded
//   socket accepted no byte and the peer
//   took none off the send queue
//   deadline passes (queued or running)     DeadlineExceeded
//   the peer takes fewer than min_rate's    DeadlineExceeded, "below minimum
//   bytes in one of its windows             rate", naming the rate achieved
//                                           and the rate required
//   min_rate with a zero rate, a window     InvalidArgument from Submit(),
//   not positive and finite, or a grace     naming the socket fd
//   negative or infinite
//   max_rate                                the socket accepts file bytes
//                                           at most that fast once the
//                                           first after_bytes have gone at
//                                           full speed; a TCP socket is also
//                                           paced by the kernel
//                                           (SO_MAX_PACING_RATE), its own
//                                           value put back before the
//                                           callback
//   max_rate with a zero rate, or below     InvalidArgument from Submit(),
//   min_rate's                              naming the socket fd
//   traffic_class not one of the engine's   InvalidArgument from Submit()
//   EngineOptions::traffic_classes
//   report_delivery, TCP socket             bytes_acked: this transfer's
//                                           bytes the peer acknowledged by
//                                           the end, <= header + file +
//                                           trailer bytes sent, and equal
//                                           to it once the peer has read
//                                           and acknowledged them all;
//                                           bytes_unsent: its bytes still
//                                           waiting unsent in the socket
//                                           buffer at the end
//   report_delivery, unix socket (or a      bytes_acked, bytes_unsent
//   kernel without TCP_INFO's fields);      nullopt
//   report_delivery not set
//   Engine::Cancel(id)                      Cancelled
//   engine destroyed with the transfer live Cancelled, from the destructor
//                                           (Internal where the engine's
//                                           waiter had broken: see ~Engine)
// Whatever the status, `bytes_sent` is exact and `next_offset` is where to
// resume; the message names the fd, the offset and the cause. Every accepted
// transfer's callback runs exactly once, on the thread that polls the
// engine.
//
// The fds are borrowed: the engine never closes them and never moves the
// file position, so one file fd may feed many transfers at once. From
// Submit() until the callback runs, both fds must stay open, and the host
// must not write to the socket (its bytes would interleave with the
// transfer's) nor change its flags (the engine makes it, and a stream
// source, non-blocking, and restores their flags once no live transfer of
// the engine uses them, before the last one's callback). One socket carries
// at most one live transfer per engine; it may at the same time be another
// transfer's source, so a relay in each direction is two transfers on one
// engine over the same two sockets. A file fd closed early is caught only while
// its number stays unused (EBADF, above): once reused, the engine reads
// whatever the number names then. Telling the two apart would take a dup()
// of every source (two more syscalls per transfer), which it does not do.

#ifndef SLUICE_TRANSFER_H_
#define SLUICE_TRANSFER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sluice/backend_kind.h"

namespace sluice {

// Names one transfer of one engine. Ids carry a generation, so the id of a
// finished transfer never names a later one that reuses its slot.
class TransferId {
 public:
  constexpr TransferId() = default;
  constexpr explicit TransferId(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }
  // The default-constructed id names no transfer.
  constexpr bool valid() const { return value_ != 0; }

  friend constexpr bool operator==(TransferId a, TransferId b) {
    return a.value_ == b.value_;
  }
  template <typename H>
  friend H AbslHashValue(H h, TransferId id) {
    return H::combine(std::move(h), id.value_);
  }

 private:
  uint64_t value_ = 0;
};

// A floor under a transfer's rate (TransferSpec::min_rate): a client that
// holds a connection open by reading a few bytes a second (a slow-read
// attack) is cut off, as by Apache's mod_reqtimeout MinRate.
//
//   spec.min_rate = sluice::MinRate{.bytes_per_second = 64 * 1024,
//                                   .window = absl::Seconds(10)};
struct MinRate {
  // The least the peer must take, on average over each window. Must be > 0.
  uint64_t bytes_per_second = 0;
  // What the rate is averaged over. Must be positive and finite.
  absl::Duration window = absl::Seconds(10);
  // How long after admission the first window begins (a slow start, a
  // client that buffers before it plays). Must be >= 0 and finite.
  absl::Duration grace = absl::ZeroDuration();
};

// A ceiling on a transfer's rate (TransferSpec::max_rate), as nginx's
// limit_rate and limit_rate_after: video paced so that players do not
// over-buffer, a download that must not crowd out the rest.
//
//   spec.max_rate = sluice::MaxRate{.bytes_per_second = 4 << 20,
//                                   .after_bytes = 8 << 20};
struct MaxRate {
  // The most file bytes per second the socket accepts. Must be > 0.
  uint64_t bytes_per_second = 0;
  // File bytes sent at full speed before the ceiling applies (a player's
  // start-up buffer).
  uint64_t after_bytes = 0;
};

struct TransferSpec {
  // A connected SOCK_STREAM socket (TCP or unix). Borrowed. It is made
  // non-blocking while the transfer runs; its flags are restored before the
  // done callback of the last transfer using it runs (a relay's two
  // transfers share it; a registered fd keeps it until ForgetFd()).
  int socket_fd = -1;
  // A readable fd: a regular file is sent zero-copy where the backend can;
  // a pipe or connected socket (a relay's upstream) is spliced through a
  // pipe, or copied; what splice cannot read (some character devices, /proc
  // files) falls back to read+send by itself. Borrowed; its file position
  // is never used or moved.
  int file_fd = -1;
  // First file byte to send.
  uint64_t offset = 0;
  // File bytes to send. Absent: until EOF (for a regular file, its size at
  // Submit(), as CPython's socket.sendfile() does). Must not be 0.
  std::optional<uint64_t> count = std::nullopt;
  // Bytes sent before the file (e.g. an HTTP response head), coalesced with
  // the first file bytes, and after it.
  std::string header = {};
  std::string trailer = {};
  // The transfer fails with DeadlineExceeded when it makes no progress for
  // this long. Progress is the socket accepting bytes, or the peer taking
  // bytes off the socket's send queue (TCP: acknowledging them; unix: reading
  // them; SIOCOUTQ): a socket with a big send buffer reports writable only
  // once much of it has drained, and a slow but steady reader must not be
  // cut off meanwhile. While the socket accepts nothing the queue is
  // sampled every quarter of idle_timeout, so a peer that stops taking bytes
  // is timed out between 0.75 and 1.25 idle_timeouts after its last; one
  // that takes none, exactly idle_timeout after the socket last accepted a
  // byte. Where the kernel cannot tell (no SIOCOUTQ), only accepted bytes
  // count.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  // The transfer fails with DeadlineExceeded when it is not done by then,
  // whether it is still queued for admission or running. A wall-clock time,
  // read against the wall clock once, at Submit(); from then on timers run
  // on the monotonic clock, so a step of the wall clock moves no timer.
  absl::Time deadline = absl::InfiniteFuture();
  // The transfer fails with DeadlineExceeded ("below minimum rate") when
  // its peer takes fewer than bytes_per_second x window bytes in a window.
  // Windows tumble: the first begins `grace` after the transfer is admitted
  // (time queued for admission never counts), each next one where the last
  // ended, and each is judged once, at its end (a timer: nothing per push).
  // A window that ends late, because the host polled late, must carry its
  // longer length's worth. A transfer that ends before its first window
  // does is never judged. Bytes count as for idle_timeout: header, file and
  // trailer bytes the socket accepted, corrected by the send queue
  // (SIOCOUTQ) sampled at both ends of the window, so that what counts is
  // what the peer took (TCP: acknowledged; unix: read), not what waits in
  // the send buffer: filling a big buffer buys a slow reader no window, and
  // a steady reader behind one is measured by its reading. Where the kernel
  // cannot tell, accepted bytes alone count. The measure is exact but for
  // a push under way at a window's end (its bytes may count in the next
  // window) and, on unix sockets, the kernel's overhead on queued bytes
  // (SIOCOUTQ there counts buffer memory). A slow source (a relay's
  // upstream) or an engine too busy to push is slow too: the floor cannot
  // tell them from a slow peer.
  std::optional<MinRate> min_rate = std::nullopt;
  // At most this many file bytes per second, once the first after_bytes
  // have gone at full speed (header and trailer bytes are not limited). The
  // scheduler's token bucket decides how many bytes each push may take: a
  // transfer that has spent its bytes waits on a timer, never on the
  // socket, so the socket holds no more than about 20 ms of the rate and
  // the rate holds from the first second on, whatever the send buffer's
  // size. On a TCP socket the kernel also paces the packets at the rate
  // (SO_MAX_PACING_RATE; TCP paces by itself without the fq qdisc since
  // Linux 4.13), so they leave evenly spread, not in bursts; the socket's
  // own value is put back before the done callback (bytes still unsent then
  // leave at the socket's own pace: at most those 20 ms' worth). One thing
  // stays: a TCP socket once paced goes on pacing at TCP's own estimate of
  // the path (SK_PACING_NEEDED; no socket option undoes it), which costs a
  // timer per burst on later transfers of a keep-alive connection. Costs
  // three syscalls when the ceiling begins on a TCP socket (one elsewhere)
  // and one at the end. Must not be below min_rate's floor.
  std::optional<MaxRate> max_rate = std::nullopt;
  // The weighted fair-share class the transfer belongs to
  // (EngineOptions::traffic_classes); empty: the default class.
  std::string traffic_class = {};
  // Report how far the bytes got on a TCP socket (TransferResult's
  // bytes_acked and bytes_unsent): what the peer acknowledged, and what was
  // still unsent when the transfer ended, not merely what the socket
  // accepted. Off by default, because it costs three syscalls per transfer:
  // getsockopt(TCP_INFO) and ioctl(SIOCOUTQ) at admission,
  // getsockopt(TCP_INFO) at the end. Nothing is asked when it is off.
  bool report_delivery = false;
};

struct TransferResult {
  absl::Status status;
  // File bytes the socket accepted (header and trailer not counted).
  uint64_t bytes_sent = 0;
  // Bytes the engine took from the source: bytes_sent, plus, for a socket
  // or pipe source, what it read but the socket did not take before the
  // transfer ended (a reset destination, a timeout, a cancel). Those bytes
  // are gone from the source and were never delivered: a relay that sees
  // bytes_received > bytes_sent cannot retry by reading on. For a regular
  // file it equals bytes_sent (the rest stays in the file at next_offset).
  uint64_t bytes_received = 0;
  // Header and trailer bytes the socket accepted.
  uint64_t header_bytes_sent = 0;
  uint64_t trailer_bytes_sent = 0;
  // offset + bytes_sent: where a retry resumes.
  uint64_t next_offset = 0;
  // The backend that carried the file bytes: the engine's own, or kReadSend
  // when the source could not be sent zero-copy and the transfer fell back.
  BackendKind backend = BackendKind::kAuto;
  // The data path that carried most of the file bytes (the io_uring
  // backend's automatic policy may switch paths between pushes); kAuto when
  // no push reached the file part.
  DataPath data_path = DataPath::kAuto;
  // File bytes that came from ranges not in the page cache, read off the
  // engine thread (see EngineOptions::avoid_cold_reads).
  uint64_t cold_bytes = 0;
  // With TransferSpec::report_delivery on a TCP socket: of this transfer's
  // header, file and trailer bytes the socket accepted, how many the peer
  // had acknowledged (TCP: received; not necessarily read by the
  // application) when the transfer ended. Measured as the growth of
  // TCP_INFO's tcpi_bytes_acked from admission to the end, less the bytes
  // earlier writes still had unacknowledged at admission (SIOCOUTQ), so
  // neither the SYN nor a previous response on a keep-alive connection is
  // counted. Always <= header_bytes_sent + bytes_sent + trailer_bytes_sent;
  // equal to it once the peer has acknowledged everything before the end.
  // The callback runs after the sample: acknowledgements that arrive
  // between the two are not counted. nullopt when not asked, on a unix
  // socket, or where the kernel cannot tell (TCP_INFO without the field,
  // before Linux 4.2; no SIOCOUTQ).
  std::optional<uint64_t> bytes_acked = std::nullopt;
  // With report_delivery on a TCP socket: of this transfer's bytes, how many
  // still waited unsent in the socket's send buffer when the transfer ended
  // (tcpi_notsent_bytes, the same count as ioctl(SIOCOUTQNSD): written but
  // not yet transmitted, held back by the peer's window or congestion
  // control; never counts bytes sent but unacknowledged). What was sent but
  // not yet acknowledged is the rest: header_bytes_sent + bytes_sent +
  // trailer_bytes_sent - bytes_acked - bytes_unsent. nullopt as for
  // bytes_acked (TCP_INFO without the field: before Linux 4.6).
  std::optional<uint64_t> bytes_unsent = std::nullopt;
};

// Runs exactly once per accepted transfer, on the thread that polls the
// engine. It may call Submit() and Cancel() on the same engine.
using DoneCallback =
    absl::AnyInvocable<void(TransferId, const TransferResult&)>;

}  // namespace sluice

#endif  // SLUICE_TRANSFER_H_
