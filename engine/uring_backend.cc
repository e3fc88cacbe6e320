// Copyright 2026 The sluice Authors.

#include "engine/uring_backend.h"

#include "absl/status/status.h"
#include "engine/sluice_config.h"

#if SLUICE_HAVE_IO_URING

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <sched.h>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "engine/errno_status.h"
#include "engine/pipe_pool.h"
#include "engine/push_progress.h"
#include "engine/sendfile_call.h"
#include "engine/sigpipe_block.h"
#include "engine/unique_fd.h"

namespace sluice::internal {
namespace {

// What an SQE of a transfer does; part of its user_data.
enum class Op : uint8_t {
  kNone = 0,
  kHeader,
  kFileSend,
  kTrailer,
  kPollOut,  // socket writability, for the inline sendfile path
  kPollIn,   // a non-blocking pipe source has data
  kRead,
  kSpliceIn,   // file -> pipe, linked to:
  kSpliceOut,  // pipe -> socket
  kSendMsg,    // header + read data + trailer, linked after a kRead
  kCancel,     // its own CQE carries nothing we need
};

uint32_t Bit(Op op) { return 1u << static_cast<unsigned>(op); }

// user_data = slot << 32 | low 24 bits of the generation << 8 | op. A
// transfer is only closed once all its requests have completed, so the
// generation check is a guard, not a necessity.
uint64_t UserData(TransferId id, Op op) {
  const uint64_t generation = (id.value() >> 32) & 0xffffff;
  return uint64_t{SlotOf(id)} << 32 | generation << 8 |
         static_cast<uint64_t>(op);
}

// Room for the copy path's reads: one socket buffer's worth.
constexpr size_t kCopyChunk = 256 * 1024;

enum class Path : uint8_t { kSendfile, kSplice, kCopy };

// io_uring engines alive in this process. Engines share nothing else; this
// count only tells the policy how many engines the cores are shared by.
std::atomic<unsigned> live_engines{0};

// CPUs this thread may run on.
unsigned UsableCpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<unsigned>(CPU_COUNT(&set));
}

struct UringTransfer {
  TransferId id;
  TransferEndpoints endpoints;
  Path path = Path::kSendfile;
  // File bytes have gone out, so the path can no longer change.
  bool file_started = false;
  bool push_pending = false;
  bool cancel_requested = false;
  // Cancel() found no SQE for some of its cancels; Wait() sends them.
  bool cancels_unsent = false;
  // Requests in flight (Bit(op) each). Only the splice pair runs two at
  // once; the push moves on when all are back.
  uint32_t in_flight = 0;
  PushProgress push;
  // Splice path: the pipe held for this push, the bytes in it that the
  // socket has not taken, and the results of the last splice pair.
  std::optional<Pipe> pipe;
  uint64_t in_pipe = 0;
  // Whether the last splice step filled the pipe from the file (else it only
  // drained what an earlier step left there), and its two results.
  bool splice_filled = false;
  int splice_in_res = 0;
  int splice_out_res = 0;
  // Copy path: bytes read from the source that the socket has not taken
  // yet, [buffer_begin, buffer_end). They are the file bytes right after
  // push.file_position(), so a pipe's bytes are never lost.
  std::vector<char> buffer;
  size_t buffer_begin = 0;
  size_t buffer_end = 0;
  // Copy path, small pushes: READ linked to one SENDMSG of header, data and
  // trailer. The kernel reads these until the SENDMSG completes.
  msghdr message{};
  iovec iov[3]{};
  size_t message_header = 0;
  size_t message_data = 0;
};

absl::Status RingError(int err, absl::string_view what) {
  const std::string message = absl::StrFormat(
      "%s: %s (errno %d)%s", what, std::strerror(err), err,
      err == EPERM || err == EACCES
          ? "; io_uring may be disabled by kernel.io_uring_disabled or a "
            "seccomp filter"
          : "");
  switch (err) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(message);
    case ENOSYS:
      return absl::UnimplementedError(message);
    default:
      return absl::Status(absl::ErrnoToStatusCode(err), message);
  }
}

class UringBackend final : public Backend {
 public:
  UringBackend(io_uring ring, const EngineOptions& options, EngineStats& stats)
      : ring_(ring),
        options_(options),
        stats_(stats),
        pipes_(options.max_pipes, options.pipe_size),
        usable_cpus_(UsableCpus()) {
    live_engines.fetch_add(1, std::memory_order_relaxed);
  }
  ~UringBackend() override {
    live_engines.fetch_sub(1, std::memory_order_relaxed);
    // Pipes close before the ring, which the kernel may still have them
    // registered in requests of; by now every request has completed.
    for (UringTransfer& t : transfers_) t.pipe.reset();
    io_uring_queue_exit(&ring_);
  }

  BackendKind kind() const override { return BackendKind::kIoUring; }

  void Open(TransferId id, const TransferEndpoints& endpoints) override {
    const uint32_t slot = SlotOf(id);
    if (slot >= transfers_.size()) transfers_.resize(slot + 1);
    UringTransfer& t = transfers_[slot];
    t = UringTransfer();
    t.id = id;
    t.endpoints = endpoints;
    t.path = ChoosePath(endpoints);
    ++open_transfers_;
  }

  void Push(const PushRequest& request) override {
    UringTransfer& t = transfers_[SlotOf(request.id)];
    t.push.request = request;
    t.push.outcome = PushOutcome();
    t.push.outcome.id = request.id;
    t.push_pending = true;
    t.cancel_requested = false;
    fresh_.push_back(SlotOf(request.id));
  }

  void Cancel(TransferId id) override {
    UringTransfer& t = transfers_[SlotOf(id)];
    if (t.id != id || !t.push_pending || t.cancel_requested) return;
    t.cancel_requested = true;
    if (t.in_flight == 0) {
      // Not started yet: the next Wait() ends it.
      fresh_.push_back(SlotOf(id));
      return;
    }
    SendCancels(t);
  }

  // Asks the kernel to stop each request of `t` in flight; the push ends
  // when every one is back, cancelled or not (a cancel answered -EALREADY
  // still completes its target later). Without room for the cancels, the
  // next Wait() sends them.
  void SendCancels(UringTransfer& t) {
    t.cancels_unsent = false;
    for (const Op op : {Op::kHeader, Op::kFileSend, Op::kTrailer, Op::kPollOut,
                        Op::kPollIn, Op::kRead, Op::kSpliceIn,
                        Op::kSpliceOut, Op::kSendMsg}) {
      if ((t.in_flight & Bit(op)) == 0) continue;
      io_uring_sqe* sqe = GetSqe();
      if (sqe == nullptr) {
        t.cancels_unsent = true;
        Retry(t);
        return;
      }
      io_uring_prep_cancel64(sqe, UserData(t.id, op), 0);
      io_uring_sqe_set_data64(sqe, UserData(t.id, Op::kCancel));
    }
  }

  void Close(TransferId id) override {
    UringTransfer& t = transfers_[SlotOf(id)];
    if (t.id != id) return;
    ReleasePipe(t);
    t = UringTransfer();
    --open_transfers_;
  }

  absl::Status Wait(absl::Duration timeout,
                    std::vector<PushOutcome>& outcomes) override {
    if (absl::Status enabled = EnableOnce(); !enabled.ok()) return enabled;
    if (wake_event_.valid()) {
      // Reset before looking at the ring: whatever completes from here on
      // signals it again.
      uint64_t count;
      ++stats_.syscalls;
      (void)!::read(wake_event_.get(), &count, sizeof(count));
    }
    // Blocked only once an inline sendfile needs it (see Advance()).
    std::optional<ScopedSigpipeBlock> sigpipe;
    sigpipe_ = &sigpipe;
    outcomes_ = &outcomes;

    trying_.swap(fresh_);
    for (const uint32_t slot : trying_) {
      UringTransfer& t = transfers_[slot];
      if (t.cancels_unsent) SendCancels(t);
      if (t.push_pending && t.in_flight == 0) Advance(t);
    }
    trying_.clear();

    absl::Status status = SubmitAndWait(
        outcomes.empty() ? timeout : absl::ZeroDuration());
    Reap();
    // Requests armed while reaping must reach the kernel before we return:
    // a host waiting on wake_fd() would otherwise sleep on them. Reaping
    // their completions may arm more; a few passes settle it, and what is
    // left waits for the next Wait() (the deque keeps it valid). Likewise
    // completions the kernel holds back: one io_uring_enter() runs at most
    // 20 deferred task-work items (IO_LOCAL_TW_DEFAULT_MAX, 6.13+) and
    // signals the eventfd only for new ones, so with 64 splices finishing
    // at once a host on wake_fd() slept forever on the other 44.
    for (int pass = 0;
         pass < 8 && status.ok() && (io_uring_sq_ready(&ring_) > 0 ||
                                     TaskWorkPending());
         ++pass) {
      status = Submit();
      Reap();
    }
    if ((io_uring_sq_ready(&ring_) > 0 || TaskWorkPending()) &&
        wake_event_.valid()) {
      // Still more to hand over or to reap: make sure a host comes back.
      const uint64_t one = 1;
      (void)!::write(wake_event_.get(), &one, sizeof(one));
    }
    outcomes_ = nullptr;
    sigpipe_ = nullptr;
    return status;
  }

  // The ring fd itself is no good here: with DEFER_TASKRUN (6.1+) the
  // kernel queues completions as task work for the issuer and wakes no
  // poller of the ring fd, but it does signal a registered eventfd.
  int WakeFd() override {
    if (!wake_event_.valid()) {
      UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      if (!event.valid() ||
          io_uring_register_eventfd(&ring_, event.get()) != 0) {
        return -1;
      }
      wake_event_ = std::move(event);
    }
    return wake_event_.get();
  }

 private:
  Path ChoosePath(const TransferEndpoints& endpoints) const {
    if (endpoints.source == SourceKind::kStream) return Path::kCopy;
    switch (options_.uring_data_path) {
      case UringDataPath::kSendfile:
        return Path::kSendfile;
      case UringDataPath::kSplice:
        return Path::kSplice;
      case UringDataPath::kCopy:
        return Path::kCopy;
      case UringDataPath::kAuto:
        break;
    }
    // Large enough to splice; each push decides whether it does (see
    // AdvanceSplice), since the cores and transfers around it change.
    return endpoints.size_hint >= options_.splice_min_bytes ? Path::kSplice
                                                           : Path::kSendfile;
  }

  // The cores this engine's io-wq workers can count on: the usable CPUs
  // shared by every io_uring engine of the process (one engine per core,
  // as sharded hosts run them, leaves splice no spare core).
  unsigned CpusPerEngine() const {
    return usable_cpus_ /
           std::max(1u, live_engines.load(std::memory_order_relaxed));
  }

  absl::Status EnableOnce() {
    if (enabled_) return absl::OkStatus();
    // The ring was created disabled so that the thread that polls the
    // engine, not the one that created it, becomes its single issuer.
    if (ring_.flags & IORING_SETUP_R_DISABLED) {
      // Debian's liburing 2.3 declares io_uring_enable_rings() but does not
      // export it, so the register call is made directly.
      if (::syscall(__NR_io_uring_register, ring_.ring_fd,
                    IORING_REGISTER_ENABLE_RINGS, nullptr, 0) != 0) {
        return RingError(errno, "io_uring_register(ENABLE_RINGS)");
      }
    }
    // Splices run on io-wq workers; unbounded, a busy engine grows hundreds
    // of them (one per blocked splice). Both pools are bounded: file->pipe
    // splices count as unbound work (the pipe is their target).
    const unsigned workers = options_.iowq_max_workers != 0
                                 ? options_.iowq_max_workers
                                 : std::max(1u, CpusPerEngine());
    unsigned values[2] = {workers, workers};
    // Kernels before 5.15 lack the bound (EINVAL): run unbounded there
    // rather than not at all.
    if (const int err = io_uring_register_iowq_max_workers(&ring_, values);
        err < 0 && err != -EINVAL) {
      return RingError(-err, "io_uring_register_iowq_max_workers");
    }
    enabled_ = true;
    return absl::OkStatus();
  }

  io_uring_sqe* GetSqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      // The queue is full: hand it to the kernel and take a fresh entry.
      (void)Submit();
      sqe = io_uring_get_sqe(&ring_);
    }
    if (sqe != nullptr) {
      ++stats_.sqes;
      ++requests_in_flight_;
    }
    return sqe;
  }

  absl::Status Submit() {
    // Nothing to hand over and nothing that could complete: skip the call.
    if (io_uring_sq_ready(&ring_) == 0 && requests_in_flight_ == 0) {
      return absl::OkStatus();
    }
    ++stats_.submits;
    ++stats_.syscalls;
    const int ret = io_uring_submit_and_get_events(&ring_);
    if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
      return RingError(-ret, "io_uring_submit");
    }
    return absl::OkStatus();
  }

  // The kernel holds completions only an io_uring_enter() will post
  // (IORING_SQ_TASKRUN, with IORING_SETUP_TASKRUN_FLAG; never set on rings
  // made without it).
  bool TaskWorkPending() const {
    return (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0;
  }

  absl::Status SubmitAndWait(absl::Duration timeout) {
    if (timeout == absl::ZeroDuration()) return Submit();
    ++stats_.submits;
    ++stats_.syscalls;
    io_uring_cqe* cqe = nullptr;
    int ret;
    if (timeout == absl::InfiniteDuration()) {
      ret = io_uring_submit_and_wait(&ring_, 1);
    } else {
      __kernel_timespec ts{};
      const int64_t ns = absl::ToInt64Nanoseconds(timeout);
      ts.tv_sec = ns / 1000000000;
      ts.tv_nsec = ns % 1000000000;
      ret = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
    if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN &&
        ret != -EBUSY) {
      return RingError(-ret, "io_uring_submit_and_wait");
    }
    return absl::OkStatus();
  }

  void Reap() {
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    // Completing may prepare new SQEs but never reaps, so iterating the CQ
    // while it changes is safe; new CQEs are picked up on the next pass.
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      Complete(cqe->user_data, cqe->res);
    }
    io_uring_cq_advance(&ring_, seen);
    stats_.cqes += seen;
    requests_in_flight_ -= seen;
  }

  void Complete(uint64_t user_data, int res) {
    const Op op = static_cast<Op>(user_data & 0xff);
    if (op == Op::kCancel || op == Op::kNone) return;
    const uint32_t slot = static_cast<uint32_t>(user_data >> 32);
    if (slot >= transfers_.size()) return;
    UringTransfer& t = transfers_[slot];
    if (UserData(t.id, op) != user_data || (t.in_flight & Bit(op)) == 0) {
      return;
    }
    t.in_flight &= ~Bit(op);
    PushProgress& push = t.push;
    const int socket_fd = t.endpoints.socket_fd;

    switch (op) {
      case Op::kSpliceIn:
        t.splice_in_res = res;
        break;
      case Op::kSpliceOut:
        t.splice_out_res = res;
        break;
      case Op::kHeader:
      case Op::kTrailer:
      case Op::kFileSend:
        if (res == -ECANCELED) break;
        if (res == -EAGAIN) {
          // A non-blocking socket may answer EAGAIN rather than letting
          // io_uring wait: wait for writability ourselves.
          ++stats_.would_block;
          if (!t.cancel_requested) {
            PrepPoll(t, socket_fd, POLLOUT, Op::kPollOut);
            return;
          }
          break;  // cancelled meanwhile: Advance() ends the push
        }
        if (res < 0) {
          Fail(t, ErrnoStatus(-res, "send", socket_fd, push.file_position()));
          break;
        }
        if (op == Op::kHeader) {
          push.outcome.header_bytes += static_cast<uint64_t>(res);
        } else if (op == Op::kTrailer) {
          push.outcome.trailer_bytes += static_cast<uint64_t>(res);
        } else {
          push.outcome.file_bytes += static_cast<uint64_t>(res);
          t.buffer_begin += static_cast<size_t>(res);
        }
        break;
      case Op::kSendMsg:
        if (res == -ECANCELED) break;  // the READ came up short
        if (res == -EAGAIN) {
          ++stats_.would_block;
          if (!t.cancel_requested) {
            PrepPoll(t, socket_fd, POLLOUT, Op::kPollOut);
            return;
          }
          break;
        }
        if (res < 0) {
          Fail(t, ErrnoStatus(-res, "sendmsg", socket_fd, push.file_position()));
        } else {
          // What went out, in order: header, read data, trailer.
          uint64_t left = static_cast<uint64_t>(res);
          const uint64_t header = std::min<uint64_t>(left, t.message_header);
          push.outcome.header_bytes += header;
          left -= header;
          const uint64_t data = std::min<uint64_t>(left, t.message_data);
          push.outcome.file_bytes += data;
          t.buffer_begin += static_cast<size_t>(data);
          push.outcome.trailer_bytes += left - data;
        }
        break;
      case Op::kRead:
        if (res == -ECANCELED) break;
        if (res == -EAGAIN) {
          if (!t.cancel_requested) {
            PrepPoll(t, t.endpoints.file_fd, POLLIN, Op::kPollIn);
            return;
          }
          break;
        }
        if (res < 0) {
          Fail(t, ErrnoStatus(-res,
                              t.endpoints.source == SourceKind::kStream
                                  ? "read"
                                  : "pread",
                              t.endpoints.file_fd, push.file_position()));
        } else if (res == 0) {
          push.outcome.file_ended = true;
        } else {
          // Reads land at the buffer's start (both prep paths empty it
          // first); a linked SENDMSG's CQE may already have moved
          // buffer_begin, so it is left alone.
          t.buffer_end = static_cast<size_t>(res);
        }
        break;
      case Op::kPollOut:
      case Op::kPollIn:
        // Ready, or in error: the next call tells which.
        break;
      case Op::kCancel:
      case Op::kNone:
        return;
    }
    if (t.in_flight != 0) return;  // the other half of a linked pair
    if (op == Op::kSpliceIn || op == Op::kSpliceOut) SpliceDone(t);
    Advance(t);
  }

  // Accounts for a finished splice pair: whatever entered the pipe and did
  // not leave it goes out first on the next step.
  void SpliceDone(UringTransfer& t) {
    PushProgress& push = t.push;
    const int in = t.splice_filled ? t.splice_in_res : -ECANCELED;
    const int out = t.splice_out_res;
    if (in > 0) t.in_pipe += static_cast<uint64_t>(in);
    if (out > 0) {
      t.in_pipe -= static_cast<uint64_t>(out);
      push.outcome.file_bytes += static_cast<uint64_t>(out);
    }
    if (t.cancel_requested) return;
    if (in == 0 && t.in_pipe == 0) {
      push.outcome.file_ended = true;
    } else if (in < 0 && in != -ECANCELED) {
      if (!t.file_started && push.outcome.file_bytes == 0 && t.in_pipe == 0 &&
          (in == -EINVAL || in == -EOPNOTSUPP)) {
        t.path = Path::kCopy;  // splice cannot read this file
      } else {
        Fail(t, ErrnoStatus(-in, "splice from file", t.endpoints.file_fd,
                            push.file_position() + t.in_pipe));
      }
    } else if (out == -EAGAIN) {
      ++stats_.would_block;
      PrepPoll(t, t.endpoints.socket_fd, POLLOUT, Op::kPollOut);
    } else if (out < 0 && out != -ECANCELED) {
      Fail(t, ErrnoStatus(-out, "splice to socket", t.endpoints.socket_fd,
                          push.file_position()));
    }
  }

  // Moves the push on until a request is in flight or the push ends.
  void Advance(UringTransfer& t) {
    if (t.in_flight != 0) return;
    PushProgress& push = t.push;
    if (t.cancel_requested || !push.outcome.error.ok()) {
      Finish(t);
      return;
    }
    const int socket_fd = t.endpoints.socket_fd;
    if (t.path == Path::kCopy && PrepReadSendMsg(t)) return;
    if (!push.header_left().empty()) {
      // MSG_MORE holds the header back so it leaves with the file bytes.
      const bool more = push.file_left() > 0 || !push.trailer_left().empty();
      PrepSend(t, Op::kHeader, push.header_left(), more ? MSG_MORE : 0);
      return;
    }
    if (push.file_left() > 0 && !push.outcome.file_ended) {
      if (t.path == Path::kSplice && AdvanceSplice(t)) return;
      if (t.path != Path::kCopy) {
        if (!sigpipe_->has_value()) sigpipe_->emplace();
        switch (SendfileBytes(socket_fd, t.endpoints.file_fd, push,
                              !t.file_started, **sigpipe_, stats_)) {
          case WriteStep::kDone:
            break;
          case WriteStep::kSocketFull:
            ++stats_.would_block;
            PrepPoll(t, socket_fd, POLLOUT, Op::kPollOut);
            return;
          case WriteStep::kUnsupported:
            t.path = Path::kCopy;
            break;
          case WriteStep::kFailed:
          case WriteStep::kSourceDry:
            Finish(t);
            return;
        }
      }
      if (t.path == Path::kCopy && push.file_left() > 0 &&
          !push.outcome.file_ended) {
        AdvanceCopy(t);
        return;
      }
    }
    if (push.outcome.file_ended) {
      // The source ended early: the scheduler decides what that means, and
      // sends the trailer in a push of its own if one is due.
      Finish(t);
      return;
    }
    if (!push.trailer_left().empty()) {
      PrepSend(t, Op::kTrailer, push.trailer_left(), 0);
      return;
    }
    Finish(t);
  }

  // Starts the next splice step; false when no pipe can be had, so this
  // step goes by sendfile instead.
  bool AdvanceSplice(UringTransfer& t) {
    PushProgress& push = t.push;
    // Without spare cores, or with few transfers, the hop to an io-wq
    // worker costs more than it gives back: the policy sends inline.
    if (options_.uring_data_path == UringDataPath::kAuto && t.in_pipe == 0 &&
        (open_transfers_ < kSpliceMinTransfers ||
         CpusPerEngine() < kSpliceMinCpus)) {
      return false;
    }
    if (!t.pipe.has_value()) {
      t.pipe = pipes_.Acquire();
      if (!t.pipe.has_value()) return false;
    }
    // Links cannot span two submits: make room for both halves now.
    if (io_uring_sq_space_left(&ring_) < 2) (void)Submit();
    if (io_uring_sq_space_left(&ring_) < 2) {
      Retry(t);
      return true;
    }
    t.splice_in_res = 0;
    t.splice_out_res = 0;
    const int more = !push.trailer_left().empty() ? SPLICE_F_MORE : 0;
    t.splice_filled = t.in_pipe == 0;
    if (!t.splice_filled) {
      // A short step left bytes in the pipe: they go out before any more
      // file bytes go in.
      io_uring_sqe* out = GetSqe();
      io_uring_prep_splice(out, t.pipe->read.get(), -1, t.endpoints.socket_fd,
                           -1, static_cast<unsigned>(t.in_pipe), more);
      io_uring_sqe_set_data64(out, UserData(t.id, Op::kSpliceOut));
      t.in_flight |= Bit(Op::kSpliceOut);
      return true;
    }
    const unsigned n = static_cast<unsigned>(
        std::min<uint64_t>(push.file_left(), pipes_.pipe_size()));
    ++stats_.splices;
    io_uring_sqe* in = GetSqe();
    io_uring_prep_splice(in, t.endpoints.file_fd,
                         static_cast<int64_t>(push.file_position()),
                         t.pipe->write.get(), -1, n, SPLICE_F_MOVE);
    // A short first half fails the second with -ECANCELED; SpliceDone()
    // then sends what did enter the pipe.
    in->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(in, UserData(t.id, Op::kSpliceIn));
    io_uring_sqe* out = GetSqe();
    io_uring_prep_splice(out, t.pipe->read.get(), -1, t.endpoints.socket_fd,
                         -1, n, more);
    io_uring_sqe_set_data64(out, UserData(t.id, Op::kSpliceOut));
    t.in_flight |= Bit(Op::kSpliceIn) | Bit(Op::kSpliceOut);
    return true;
  }

  // The rest of a small push from a regular file as one linked pair: READ
  // the file bytes, then one SENDMSG of header, data and trailer, so the
  // whole response is one submission and one segment. A short READ (the
  // file shrank) fails the SENDMSG with -ECANCELED and the push goes on
  // from what was read. False when this does not apply.
  bool PrepReadSendMsg(UringTransfer& t) {
    PushProgress& push = t.push;
    const uint64_t n = push.file_left();
    if (t.endpoints.source != SourceKind::kRegularFile || n == 0 ||
        n > kCopyChunk || push.outcome.file_ended ||
        t.buffer_begin < t.buffer_end) {
      return false;
    }
    if (io_uring_sq_space_left(&ring_) < 2) (void)Submit();
    if (io_uring_sq_space_left(&ring_) < 2) {
      Retry(t);
      return true;
    }
    if (t.buffer.size() < n) t.buffer.resize(static_cast<size_t>(n));
    t.buffer_begin = 0;
    t.buffer_end = 0;
    io_uring_sqe* read = GetSqe();
    io_uring_prep_read(read, t.endpoints.file_fd, t.buffer.data(),
                       static_cast<unsigned>(n), push.file_position());
    read->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(read, UserData(t.id, Op::kRead));

    const absl::string_view header = push.header_left();
    const absl::string_view trailer = push.trailer_left();
    t.iov[0] = {const_cast<char*>(header.data()), header.size()};
    t.iov[1] = {t.buffer.data(), static_cast<size_t>(n)};
    t.iov[2] = {const_cast<char*>(trailer.data()), trailer.size()};
    t.message = msghdr{};
    t.message.msg_iov = t.iov;
    t.message.msg_iovlen = 3;
    t.message_header = header.size();
    t.message_data = static_cast<size_t>(n);
    io_uring_sqe* send = GetSqe();
    io_uring_prep_sendmsg(send, t.endpoints.socket_fd, &t.message,
                          MSG_NOSIGNAL);
    io_uring_sqe_set_data64(send, UserData(t.id, Op::kSendMsg));
    t.in_flight |= Bit(Op::kRead) | Bit(Op::kSendMsg);
    return true;
  }

  void AdvanceCopy(UringTransfer& t) {
    PushProgress& push = t.push;
    if (t.buffer_begin < t.buffer_end) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(
          t.buffer_end - t.buffer_begin, push.file_left()));
      const bool more = n == push.file_left() && !push.trailer_left().empty();
      PrepSend(t, Op::kFileSend,
               absl::string_view(t.buffer.data() + t.buffer_begin, n),
               more ? MSG_MORE : 0);
      return;
    }
    if (t.buffer.size() < kCopyChunk) t.buffer.resize(kCopyChunk);
    t.buffer_begin = 0;
    t.buffer_end = 0;
    const unsigned want = static_cast<unsigned>(
        std::min<uint64_t>(push.file_left(), t.buffer.size()));
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      Retry(t);
      return;
    }
    // A pipe has no offsets: -1 reads at its current position.
    const uint64_t offset = t.endpoints.source == SourceKind::kStream
                                ? uint64_t(-1)
                                : push.file_position();
    io_uring_prep_read(sqe, t.endpoints.file_fd, t.buffer.data(), want,
                       offset);
    io_uring_sqe_set_data64(sqe, UserData(t.id, Op::kRead));
    t.in_flight |= Bit(Op::kRead);
  }

  void PrepSend(UringTransfer& t, Op op, absl::string_view data, int flags) {
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      Retry(t);
      return;
    }
    io_uring_prep_send(sqe, t.endpoints.socket_fd, data.data(), data.size(),
                       flags | MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, UserData(t.id, op));
    t.in_flight |= Bit(op);
  }

  void PrepPoll(UringTransfer& t, int fd, unsigned mask, Op op) {
    io_uring_sqe* sqe = GetSqe();
    if (sqe == nullptr) {
      Retry(t);
      return;
    }
    io_uring_prep_poll_add(sqe, fd, mask);
    io_uring_sqe_set_data64(sqe, UserData(t.id, op));
    t.in_flight |= Bit(op);
  }

  // No SQE could be had even after a submit: try again next Wait().
  void Retry(UringTransfer& t) { fresh_.push_back(SlotOf(t.id)); }

  void Fail(UringTransfer& t, absl::Status error) {
    if (t.push.outcome.error.ok()) t.push.outcome.error = std::move(error);
  }

  void ReleasePipe(UringTransfer& t) {
    if (!t.pipe.has_value()) return;
    pipes_.Release(*std::move(t.pipe), /*may_hold_bytes=*/t.in_pipe > 0);
    t.pipe.reset();
    t.in_pipe = 0;
  }

  void Finish(UringTransfer& t) {
    t.push_pending = false;
    if (t.push.outcome.file_bytes > 0) t.file_started = true;
    // A pipe serves one push at a time, so idle transfers hold none.
    ReleasePipe(t);
    t.push.outcome.cancelled = t.cancel_requested;
    t.push.outcome.carrier =
        t.path == Path::kCopy ? BackendKind::kReadSend : BackendKind::kIoUring;
    outcomes_->push_back(t.push.outcome);
  }

  // Splice's io-wq workers need cores of their own to pay off, and enough
  // transfers to keep them busy (measured on 16 cores, 256 x 4 MiB: 6.1x
  // the sendfile backend with 1 engine, 5.0x with 2, 2.1x with 4, but 0.75x
  // with 16 engines, where inline sendfile gave 1.04x; 0.38x for a single
  // connection).
  static constexpr unsigned kSpliceMinCpus = 4;
  static constexpr size_t kSpliceMinTransfers = 4;

  io_uring ring_;
  const EngineOptions options_;
  EngineStats& stats_;
  PipePool pipes_;
  const unsigned usable_cpus_;
  bool enabled_ = false;
  size_t open_transfers_ = 0;
  // SQEs handed out whose CQE has not been reaped (cancels included).
  uint64_t requests_in_flight_ = 0;
  UniqueFd wake_event_;
  // A deque, so a transfer never moves while the kernel may still read its
  // msghdr and iovecs (an unsubmitted SENDMSG reads them at submit time).
  std::deque<UringTransfer> transfers_;
  std::vector<uint32_t> fresh_;
  std::vector<uint32_t> trying_;
  // Valid during Wait().
  std::vector<PushOutcome>* outcomes_ = nullptr;
  // SIGPIPE stays blocked from the first inline sendfile of a Wait() to its
  // end: two sigprocmask calls per Wait() that needs them, none otherwise.
  std::optional<ScopedSigpipeBlock>* sigpipe_ = nullptr;
};

absl::StatusOr<io_uring> CreateRing(unsigned entries) {
  // Best first: single issuer with deferred task running (6.1+), then
  // cooperative task running (5.19+), then plain.
  const unsigned kBase = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  const unsigned attempts[] = {
      kBase | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
          IORING_SETUP_R_DISABLED | IORING_SETUP_TASKRUN_FLAG,
      kBase | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
      IORING_SETUP_CQSIZE,
      0,
  };
  int err = 0;
  for (const unsigned flags : attempts) {
    io_uring ring;
    io_uring_params params{};
    params.flags = flags;
    // Room for a completion per live transfer and then some: a CQ overflow
    // stalls submission.
    params.cq_entries = std::max(entries * 4, 16384u);
    err = io_uring_queue_init_params(entries, &ring, &params);
    if (err == 0) return ring;
    if (err != -EINVAL) break;
  }
  return RingError(-err, "io_uring_queue_init");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions& options, EngineStats& stats) {
  if (const char* off = std::getenv("SLUICE_DISABLE_IO_URING");
      off != nullptr && off[0] != '\0' && off[0] != '0') {
    return absl::FailedPreconditionError(
        "io_uring disabled by SLUICE_DISABLE_IO_URING in the environment");
  }
  absl::StatusOr<io_uring> ring =
      CreateRing(std::clamp(options.queue_depth, 8u, 32768u));
  if (!ring.ok()) return ring.status();
  io_uring_probe* probe = io_uring_get_probe_ring(&*ring);
  const bool has_ops = probe != nullptr &&
                       io_uring_opcode_supported(probe, IORING_OP_SEND) &&
                       io_uring_opcode_supported(probe, IORING_OP_READ) &&
                       io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
                       io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  if (probe != nullptr) io_uring_free_probe(probe);
  if (!has_ops) {
    io_uring_queue_exit(&*ring);
    return absl::UnimplementedError(
        "this kernel's io_uring lacks SEND, READ, POLL_ADD or ASYNC_CANCEL");
  }
  return std::make_unique<UringBackend>(*ring, options, stats);
}

}  // namespace sluice::internal

#else  // !SLUICE_HAVE_IO_URING

namespace sluice::internal {

absl::StatusOr<std::unique_ptr<Backend>> CreateUringBackend(
    const EngineOptions&, EngineStats&) {
  return absl::UnimplementedError(
      "the io_uring backend is not built (liburing missing or "
      "-Dlinux_backends=false)");
}

}  // namespace sluice::internal

#endif  // SLUICE_HAVE_IO_URING
