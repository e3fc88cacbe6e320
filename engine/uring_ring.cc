// Copyright 2026 The sluice Authors.

#include "engine/uring_ring.h"

#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "engine/call_timer.h"

namespace sluice::internal {
namespace {

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

bool HasOps(io_uring& ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  if (probe == nullptr) return false;
  const bool has = io_uring_opcode_supported(probe, IORING_OP_SEND) &&
                   io_uring_opcode_supported(probe, IORING_OP_READ) &&
                   io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
                   io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  io_uring_free_probe(probe);
  return has;
}

}  // namespace

absl::StatusOr<std::unique_ptr<UringRing>> UringRing::Create(
    uint32_t entries, EngineStats& stats) {
  if (const char* off = std::getenv("SLUICE_DISABLE_IO_URING");
      off != nullptr && off[0] != '\0' && off[0] != '0') {
    return absl::FailedPreconditionError(
        "io_uring disabled by SLUICE_DISABLE_IO_URING in the environment");
  }
  absl::StatusOr<io_uring> ring = CreateRing(std::clamp(entries, 8u, 32768u));
  if (!ring.ok()) return ring.status();
  if (!HasOps(*ring)) {
    io_uring_queue_exit(&*ring);
    return absl::UnimplementedError(
        "this kernel's io_uring lacks SEND, READ, POLL_ADD or ASYNC_CANCEL");
  }
  return std::unique_ptr<UringRing>(new UringRing(*ring, stats));
}

UringRing::~UringRing() { io_uring_queue_exit(&ring_); }

absl::Status UringRing::EnableOnce(unsigned iowq_workers) {
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
  unsigned values[2] = {iowq_workers, iowq_workers};
  // Kernels before 5.15 lack the bound (EINVAL): run unbounded there
  // rather than not at all.
  if (const int err = io_uring_register_iowq_max_workers(&ring_, values);
      err < 0 && err != -EINVAL) {
    return RingError(-err, "io_uring_register_iowq_max_workers");
  }
  enabled_ = true;
  return absl::OkStatus();
}

io_uring_sqe* UringRing::GetSqe() {
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

bool UringRing::Reserve(unsigned count) {
  if (io_uring_sq_space_left(&ring_) < count) (void)Submit();
  return io_uring_sq_space_left(&ring_) >= count;
}

absl::Status UringRing::Submit() {
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
bool UringRing::TaskWorkPending() const {
  return (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_TASKRUN) != 0;
}

absl::Status UringRing::SubmitAndWait(absl::Duration timeout) {
  if (timeout == absl::ZeroDuration()) {
    // A submit may issue requests inline (a READ's first, non-blocking try).
    CallTimer timer(stats_);
    return Submit();
  }
  ++stats_.submits;
  ++stats_.syscalls;
  int ret;
  if (timeout == absl::InfiniteDuration()) {
    ret = io_uring_submit_and_wait(&ring_, 1);
  } else {
    io_uring_cqe* cqe = nullptr;
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

void UringRing::Reap(absl::FunctionRef<void(uint64_t, int)> complete) {
  unsigned head;
  unsigned seen = 0;
  io_uring_cqe* cqe;
  // Completing may prepare new SQEs but never reaps, so iterating the CQ
  // while it changes is safe; new CQEs are picked up on the next pass.
  io_uring_for_each_cqe(&ring_, head, cqe) {
    ++seen;
    complete(cqe->user_data, cqe->res);
  }
  io_uring_cq_advance(&ring_, seen);
  stats_.cqes += seen;
  requests_in_flight_ -= seen;
}

absl::Status UringRing::Pump(absl::Duration timeout,
                             absl::FunctionRef<void(uint64_t, int)> complete) {
  absl::Status status = SubmitAndWait(timeout);
  Reap(complete);
  // Requests armed while reaping must reach the kernel before we return:
  // a host waiting on the eventfd would otherwise sleep on them. Reaping
  // their completions may arm more; a few passes settle it, and what is
  // left waits for the next Pump(). Likewise completions the kernel holds
  // back: one io_uring_enter() runs at most 20 deferred task-work items
  // (IO_LOCAL_TW_DEFAULT_MAX, 6.13+) and signals the eventfd only for new
  // ones, so with 64 splices finishing at once a host on the eventfd slept
  // forever on the other 44.
  for (int pass = 0; pass < 8 && status.ok() &&
                     (io_uring_sq_ready(&ring_) > 0 || TaskWorkPending());
       ++pass) {
    status = Submit();
    Reap(complete);
  }
  if ((io_uring_sq_ready(&ring_) > 0 || TaskWorkPending()) &&
      wake_event_.valid()) {
    // Still more to hand over or to reap: make sure a host comes back.
    const uint64_t one = 1;
    (void)!::write(wake_event_.get(), &one, sizeof(one));
  }
  return status;
}

// With DEFER_TASKRUN (6.1+) the kernel queues completions as task work for
// the issuer and wakes no poller of the ring fd, but it does signal a
// registered eventfd.
absl::StatusOr<int> UringRing::WakeFd() {
  if (!wake_event_.valid()) {
    UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!event.valid()) return RingError(errno, "eventfd for the ring");
    if (const int err = io_uring_register_eventfd(&ring_, event.get());
        err != 0) {
      return RingError(-err, "io_uring_register_eventfd");
    }
    wake_event_ = std::move(event);
  }
  return wake_event_.get();
}

void UringRing::ClearWake() {
  if (!wake_event_.valid()) return;
  // Reset before looking at the ring: whatever completes from here on
  // signals it again.
  uint64_t count;
  ++stats_.syscalls;
  (void)!::read(wake_event_.get(), &count, sizeof(count));
}

}  // namespace sluice::internal
