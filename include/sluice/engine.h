// Copyright 2026 The sluice Authors.
//
// engine.h: many concurrent file-to-socket transfers on one thread.
//
// An Engine belongs to the thread that polls it; several engines in one
// process share nothing (shard one per core). Submit() queues a transfer;
// Poll() moves bytes for every live transfer, fires timeouts and runs the
// done callbacks of the transfers that ended. An engine can run standalone
// (Run()) or inside a host event loop, woken through wake_fd():
//
//   absl::StatusOr<std::unique_ptr<sluice::Engine>> engine =
//       sluice::Engine::Create({.backend = sluice::BackendKind::kAuto});
//   if (!engine.ok()) return engine.status();
//   absl::StatusOr<int> wake = (*engine)->wake_fd();
//   if (!wake.ok()) return wake.status();
//   epoll_event ev{.events = EPOLLIN, .data = {.fd = *wake}};
//   epoll_ctl(host_epoll, EPOLL_CTL_ADD, *wake, &ev);
//
//   sluice::TransferSpec spec{.socket_fd = client, .file_fd = file};
//   absl::StatusOr<sluice::TransferId> id = (*engine)->Submit(
//       spec, [](sluice::TransferId, const sluice::TransferResult& r) {
//         LogDone(r.status, r.bytes_sent);
//       });
//
//   // In the host loop, when wake_fd() is readable (or on a timer):
//   absl::StatusOr<size_t> done = (*engine)->Poll(absl::ZeroDuration());
//
// Threading: every method must be called on the engine's thread. Callbacks
// run inside Poll()/Run() (and the destructor), never inside Submit() or
// Cancel().

#ifndef SLUICE_ENGINE_H_
#define SLUICE_ENGINE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sluice/backend_kind.h"
#include "sluice/stats.h"
#include "sluice/transfer.h"

namespace sluice {

// A class of transfers sharing the engine by weight (see
// EngineOptions::traffic_classes).
struct TrafficClass {
  // What TransferSpec::traffic_class names it by. Not empty, unique.
  std::string name = {};
  // Its share, relative to the other classes'. Must be > 0.
  uint32_t weight = 1;
};

struct EngineOptions {
  // Which backend moves the bytes; kAuto probes (see backend_kind.h).
  BackendKind backend = BackendKind::kAuto;
  // io_uring submission queue entries, clamped to [8, 32768]; the
  // completion queue gets four times as many, at least 16384. Other
  // backends ignore it.
  uint32_t queue_depth = 1024;
  // Most bytes one transfer may move per scheduler turn, so one 10 GiB
  // transfer cannot starve a thousand small ones. Must be > 0.
  uint64_t quantum_bytes = 512 * 1024;
  // Most transfers running at once; the rest wait in FIFO order (their
  // deadline still runs). Must be > 0.
  size_t max_active = 65536;

  // Weighted fair share. `turn_bytes` bounds the file bytes one turn hands
  // out over all transfers (0, the default: no bound, every runnable
  // transfer moves up to a quantum each turn). When more transfers are
  // runnable than that serves, the bytes go to the classes by deficit round
  // robin, in proportion to their weights, and within a class in turn as
  // usual: while two classes are both backlogged, one of weight 3 gets
  // three times the bytes of one of weight 1; a class with nothing to send
  // leaves its share to the others. Transfers that name no class are in
  // the default class, of weight 1. Bytes are charged as pushed and what
  // a push did not move is given back, so a class is charged for what its
  // sockets took. A class gets its share only if it has the transfers to
  // use it: each moves at most `quantum_bytes` a turn. A smaller turn also
  // bounds how long one turn keeps the engine thread from the host; a
  // turn's last push is cut to what the turn has left (1 KiB at least), and
  // time a transfer waits for a turn counts for no idle timeout.
  std::vector<TrafficClass> traffic_classes = {};
  uint64_t turn_bytes = 0;
  // The most file bytes per second the engine hands its sockets, over every
  // transfer (an uplink's budget; 0, the default: no ceiling). A token
  // bucket of steps of 20 ms of the rate (at most `quantum_bytes`) bounds
  // each turn to two steps, a turn's last push cut to what is left (1 KiB
  // at least), and a push's bytes are reserved while it is out; when the
  // bucket is spent the engine waits on a timer (time a transfer waits so
  // counts for no idle timeout), and the traffic classes share what it
  // allows by weight: the way to give tenants shares of an uplink that is
  // slower than the machine. Each transfer's own max_rate applies within.
  uint64_t max_rate = 0;

  // Cold reads. A push about to read a file range on the engine thread
  // (inline sendfile, pread) first asks the kernel whether the range is in
  // the page cache (cachestat(2), Linux 6.5+); a read that misses it would
  // stall every transfer of the engine for as long as the storage takes. A
  // cold range is read off the thread instead: the io_uring backend takes
  // it by its copy path (io_uring hands the READ to an io-wq worker), the
  // sendfile and read+send backends hand it to `cold_read_threads` I/O
  // threads that read it into the page cache, then send it as usual.
  // Files of up to 128 KiB found resident are trusted for about 50 ms
  // without asking again (so a small file evicted within that window is
  // still read in place). Kernels without cachestat (before 6.5) are asked
  // by reading one byte of the range's first and last page with
  // preadv2(RWF_NOWAIT) instead; the portable build reads every range in
  // place as before. false: never ask.
  bool avoid_cold_reads = true;
  // I/O threads of the sendfile and read+send backends' cold reads (each
  // blocks in one read at a time; more cold transfers queue). 0: none,
  // cold ranges are read on the engine thread.
  uint32_t cold_read_threads = 2;

  // TCP_NOTSENT_LOWAT for every TCP socket while it carries a transfer: the
  // kernel then reports the socket writable only while fewer than this many
  // bytes wait unsent in its buffer, so little data queues behind a slow
  // peer (better fairness and latency for whoever multiplexes on top; see
  // TransferResult::bytes_unsent). Set at Submit() and the socket's own
  // value put back before the done callback, as its flags are. Two syscalls
  // at Submit() and one at the end; nullopt (default): the socket is left
  // alone. Unix sockets and kernels without the option are left alone.
  std::optional<uint32_t> notsent_lowat = std::nullopt;

  // The rest is io_uring only, but for the pipe pool (`pipe_size`,
  // `max_pipes`), which the sendfile backend's relays use too.
  //
  // How the file bytes move. A stream (a relay's socket, a pipe) splices
  // on the engine thread through a pooled pipe, unless kCopy is asked for
  // (then read + send) or kSplice (then IORING_OP_SPLICE on io-wq); what
  // splice cannot read copies. For a regular file kAuto, the policy, splices
  // a push when the
  // transfer has at least `splice_min_bytes` (its size when known), at
  // least 4 transfers are open on the engine and the engine can count on at
  // least 4 CPUs (`cpus_per_engine`): splice runs on io-wq worker threads,
  // which pay off only where spare cores exist and enough transfers keep
  // them busy; otherwise inline sendfile. kSendfile, kSplice and kCopy force
  // one path (a splice push that finds no free pipe still goes by sendfile;
  // a stream's copies).
  DataPath uring_data_path = DataPath::kAuto;
  uint64_t splice_min_bytes = 256 * 1024;
  // The CPUs the policy and the io-wq bound count on for this engine. 0
  // (default): the CPUs the creating thread may run on, divided by the
  // io_uring engines alive in the process when the engine is created and at
  // each push. That count is the only state engines share (a relaxed
  // process-wide atomic); set this to make an engine's choice independent
  // of the others.
  uint32_t cpus_per_engine = 0;
  // The most pipes the engine holds for splice, and the most bytes each
  // holds (F_SETPIPE_SZ). Pipes are made smaller, down to 64 KiB, so that
  // `max_pipes` fit half the user's pipe page budget
  // (fs.pipe-user-pages-soft); past that, and past a quarter of the fd
  // limit, there are fewer. A file push that finds no pipe goes by
  // sendfile, a stream's copies.
  uint32_t pipe_size = 1 << 20;
  size_t max_pipes = 256;
  // io-wq worker threads the ring may start; 0: `cpus_per_engine` (as
  // resolved above) when the engine is first polled.
  uint32_t iowq_max_workers = 0;
};

class Engine {
 public:
  // Creates an engine with the requested backend. An explicitly requested
  // backend that the kernel refuses is an error (see ProbeBackend()); kAuto
  // falls back and says why in stats().backend_note.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      const EngineOptions& options);

  // Completes every live transfer with Cancelled (running their callbacks
  // here; Submit() from them is refused) and waits until the kernel holds
  // no reference to engine memory. Callbacks must not destroy the engine.
  // If the engine's waiter has broken for good (Poll() keeps failing, e.g.
  // the host closed an fd the engine owns), transfers with a request still
  // out end Internal, counting only the bytes confirmed before, and the
  // memory those requests point into is kept until the process exits
  // rather than freed under the kernel. Such a request may still write to
  // its socket after the callback: the host must close that socket, not
  // reuse it.
  ~Engine();

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts a transfer. On error nothing was started, no callback will run,
  // and the fds are untouched:
  //   InvalidArgument: count == 0, a bad fd, a socket that is not
  //     SOCK_STREAM, an offset + count past 2^63, a nonzero offset on a
  //     pipe, socket or device source.
  //   FailedPrecondition: a source not open for reading, a socket that
  //     already has a live transfer on this engine, an engine being
  //     destroyed.
  // A pipe, socket or device source is made non-blocking for the transfer,
  // like the socket, and its flags restored before the callback of the
  // last transfer using it (or at ForgetFd() for a registered one).
  // Otherwise `done` runs exactly once, later, from Poll()/Run().
  [[nodiscard]] absl::StatusOr<TransferId> Submit(TransferSpec spec,
                                                  DoneCallback done);

  // Registering an fd is optional; it makes Submit() cheaper for a socket
  // or file that many transfers use (a keep-alive connection, a cached
  // file). Submit() checks its fds with four system calls every time (the
  // source's type and access mode, the socket's type, the socket's flags);
  // a registered fd is checked once, here, and a registered socket or pipe
  // is made non-blocking once and stays so until ForgetFd(). A registered
  // regular file is treated as the file it was here: Submit() without a
  // count still asks its size; with one, it asks nothing.
  //
  // The host must call ForgetFd() before it closes a registered fd: the
  // engine cannot tell a closed and reused fd number from the one it
  // checked, and would treat the new one as the old. Registering twice is
  // a no-op. Errors as Submit()'s for the same fd (not open, a directory,
  // not readable; a socket that is not SOCK_STREAM can be registered as a
  // source only, and Submit() refuses it as a destination). The host must
  // not change a registered fd's flags either: Submit() trusts what it
  // learned (a socket made blocking again would block the engine thread).
  // Destroying the engine forgets every registered fd.
  [[nodiscard]] absl::Status RegisterFd(int fd);
  // Forgets what RegisterFd() learned; a socket or pipe gets its flags
  // back once no live transfer uses it. A no-op for an fd not registered.
  void ForgetFd(int fd);

  // Ends a live transfer with Cancelled; its callback still runs once, from
  // the next Poll(). Returns false if `id` names no live transfer.
  bool Cancel(TransferId id);

  // Moves bytes for live transfers, waiting up to `timeout` for sockets to
  // become writable (never past the nearest transfer timeout), and runs the
  // callbacks of transfers that ended. Returns how many ended. An error means
  // the engine itself failed (its waiter broke), not a transfer.
  [[nodiscard]] absl::StatusOr<size_t> Poll(absl::Duration timeout);

  // Polls until no transfer is live.
  [[nodiscard]] absl::Status Run();

  // A file descriptor that is readable when Poll() has work to do — a socket
  // ready, a completion, a callback due, or an idle timeout, deadline or
  // minimum-rate check reached. Add it to the host's epoll/poll set
  // (level-triggered); Poll() drains it. It may be readable once with
  // nothing left to do (completions that arrived during the last Poll),
  // never for long. The engine owns it;
  // it stays the same fd for the engine's life. Made on the first call (an
  // epoll set, an eventfd and a timerfd; Run() alone never pays for them).
  // Unimplemented on builds without epoll: there, poll on a timer. Another
  // error (out of fds, say) means it could not be made now; a later call
  // tries again.
  [[nodiscard]] absl::StatusOr<int> wake_fd() const;

  // Transfers submitted whose callback has not run yet: running ones and
  // those queued behind `max_active` alike.
  size_t live_transfers() const;

  EngineStats stats() const;
  // The backend this engine runs (never kAuto).
  BackendKind backend() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice

#endif  // SLUICE_ENGINE_H_
