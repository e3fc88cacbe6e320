// Copyright 2026 The sluice Authors.
//
// The façade: one scheduler wired to one backend, plus what an embedder
// needs around them (fd checks, socket modes, the wake fd).

#include "sluice/engine.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_format.h"
#include "engine/backend.h"
#include "engine/backend_factory.h"
#include "engine/clock.h"
#include "engine/errno_status.h"
#include "engine/scheduler.h"
#include "engine/send_queue.h"
#include "engine/sluice_config.h"
#include "engine/socket_mode.h"
#include "engine/socket_pacer.h"
#include "engine/status_macros.h"
#include "engine/transfer_plan.h"
#include "engine/unique_fd.h"

#if SLUICE_HAVE_EPOLL
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#endif

namespace sluice {

using internal::Backend;
using internal::Scheduler;
using internal::SchedulerOptions;
using internal::TransferPlan;
using internal::UniqueFd;

struct Engine::Impl {
  EngineStats stats;
  internal::RealClock clock;
  internal::KernelSendQueue send_queue;
  internal::KernelSocketPacer pacer;
  // EngineOptions::traffic_classes by name: the scheduler's class numbers
  // (0 is the default class).
  absl::flat_hash_map<std::string, uint32_t> class_numbers;
  // The sockets and stream sources of live transfers and registered
  // streams, held non-blocking; declared before the scheduler, whose
  // callbacks release them.
  internal::NonBlockingFds nonblocking{&stats.submit_syscalls};
  // What RegisterFd() learned of each registered fd: its facts as a source,
  // and whether it is a stream socket (a destination needs no check).
  struct Registered {
    internal::SourceFacts source;
    bool stream_socket = false;
  };
  absl::flat_hash_map<int, Registered> registered;
  // EngineOptions::notsent_lowat, and the sockets it is set on now (one
  // live transfer per socket); declared before the scheduler for the same
  // reason.
  std::optional<uint32_t> notsent_lowat;
  absl::node_hash_map<int, internal::NotSentLowatScope> lowat_scopes;
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Scheduler> scheduler;
  // Sockets with a live transfer: a second transfer on one would interleave
  // bytes, so Submit() refuses it.
  absl::flat_hash_set<int> busy_sockets;
  // Set by the destructor: callbacks that Submit() then are refused, so
  // cancelling everything ends.
  bool closing = false;

  // wake_fd() is an epoll set holding the backend's wake fd and an eventfd
  // that says "the scheduler has work without waiting". Both exist only
  // once a host asked for wake_fd(); Run() never pays for them.
  UniqueFd wake_epoll;
  UniqueFd work_event;
  bool work_signalled = false;
  // Readable when the scheduler's nearest timer is due, so a host that
  // sleeps on wake_fd() alone still sees idle timeouts and deadlines fire.
  // It may be armed earlier than needed (see UpdateWake()), never later.
  // The timerfd and the scheduler's timers share one clock, CLOCK_MONOTONIC.
  UniqueFd timer;
  absl::Time timer_set_for = absl::InfiniteFuture();

  absl::Status SetUpWake();
  void SignalWork();
  void ClearWork();
  // After anything that may change the work or the nearest timer.
  void UpdateWake();
};

absl::Status Engine::Impl::SetUpWake() {
#if SLUICE_HAVE_EPOLL
  SLUICE_ASSIGN_OR_RETURN(const int backend_fd, backend->WakeFd());
  wake_epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!wake_epoll.valid())
    return internal::ErrnoStatus(errno, "epoll_create1", -1);
  work_event.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!work_event.valid()) return internal::ErrnoStatus(errno, "eventfd", -1);
  timer.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer.valid()) return internal::ErrnoStatus(errno, "timerfd_create", -1);
  for (const int fd : {work_event.get(), backend_fd, timer.get()}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (::epoll_ctl(wake_epoll.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      return internal::ErrnoStatus(errno, "epoll_ctl(ADD) for wake fd", fd);
    }
  }
  return absl::OkStatus();
#else
  return absl::UnimplementedError("no epoll in this build");
#endif
}

void Engine::Impl::SignalWork() {
#if SLUICE_HAVE_EPOLL
  if (!work_event.valid() || work_signalled) return;
  const uint64_t one = 1;
  if (::write(work_event.get(), &one, sizeof(one)) == sizeof(one)) {
    work_signalled = true;
  }
#endif
}

void Engine::Impl::UpdateWake() {
#if SLUICE_HAVE_EPOLL
  if (!work_event.valid()) return;
  if (scheduler->HasReadyWork()) SignalWork();
  const absl::Time next = scheduler->NextTimer();
  const absl::Time now = clock.Now();
  const bool fired = now >= timer_set_for;
  // An armed timer no later than `next` stays: at worst it wakes the host
  // once early, and that Poll() re-arms it. Every transfer moves the
  // nearest idle timeout a little later, so re-arming each time would cost
  // two timerfd_settime() per transfer. A fired timer is always re-armed
  // (or disarmed): that clears its expiry, which keeps the wake fd readable.
  if (!fired && next >= timer_set_for) return;
  itimerspec spec{};
  int64_t ns = 0;
  if (next != absl::InfiniteFuture()) {
    ns = std::max<int64_t>(1, absl::ToInt64Nanoseconds(next - now));
    spec.it_value.tv_sec = ns / 1000000000;
    spec.it_value.tv_nsec = ns % 1000000000;
  }
  if (::timerfd_settime(timer.get(), 0, &spec, nullptr) == 0) {
    timer_set_for = next;
  }
#endif
}

void Engine::Impl::ClearWork() {
#if SLUICE_HAVE_EPOLL
  if (!work_signalled) return;
  uint64_t count;
  (void)!::read(work_event.get(), &count, sizeof(count));
  work_signalled = false;
#endif
}

namespace {

// The parts of engines destroyed while the kernel may still use their memory
// (see ~Engine): never freed, and reachable, so leak checkers agree.
void KeepUntilExit(std::unique_ptr<Scheduler> scheduler,
                   std::unique_ptr<Backend> backend) {
  struct Kept {
    std::unique_ptr<Scheduler> scheduler;
    std::unique_ptr<Backend> backend;
  };
  static std::mutex* const mutex = new std::mutex;
  static std::vector<Kept>* const kept = new std::vector<Kept>;
  std::lock_guard<std::mutex> lock(*mutex);
  kept->push_back(Kept{std::move(scheduler), std::move(backend)});
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(
    const EngineOptions& options) {
  if (options.quantum_bytes == 0) {
    return absl::InvalidArgumentError(
        "EngineOptions.quantum_bytes must be > 0");
  }
  if (options.max_active == 0) {
    return absl::InvalidArgumentError("EngineOptions.max_active must be > 0");
  }
  auto impl = std::make_unique<Impl>();
  std::vector<uint32_t> class_weights = {1};
  for (const TrafficClass& traffic_class : options.traffic_classes) {
    if (traffic_class.name.empty() || traffic_class.weight == 0) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "EngineOptions.traffic_classes: class \"%s\" needs a name and a "
          "weight > 0 (got %u)",
          traffic_class.name, traffic_class.weight));
    }
    const auto number = static_cast<uint32_t>(class_weights.size());
    if (!impl->class_numbers.emplace(traffic_class.name, number).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "EngineOptions.traffic_classes: class \"%s\" is named twice",
          traffic_class.name));
    }
    class_weights.push_back(traffic_class.weight);
  }
  impl->notsent_lowat = options.notsent_lowat;
  SLUICE_ASSIGN_OR_RETURN(impl->backend,
                          internal::CreateBackend(options, impl->stats));
  impl->scheduler = std::make_unique<Scheduler>(
      *impl->backend, impl->clock, impl->send_queue, impl->pacer,
      SchedulerOptions{.quantum_bytes = options.quantum_bytes,
                       .max_active = options.max_active,
                       .class_weights = std::move(class_weights),
                       .turn_bytes = options.turn_bytes,
                       .max_rate = options.max_rate},
      impl->stats);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::~Engine() {
  impl_->closing = true;
  impl_->scheduler->CancelAll();
  // Readiness backends give cancelled pushes back on the next turn; a
  // completion-based backend may need a few for the kernel to let go.
  absl::Status failed;
  int failures_in_a_row = 0;
  while (impl_->scheduler->live() > 0 && failures_in_a_row < 3) {
    absl::StatusOr<size_t> turn =
        impl_->scheduler->Turn(absl::Milliseconds(100));
    failures_in_a_row = turn.ok() ? 0 : failures_in_a_row + 1;
    if (!turn.ok()) failed = turn.status();
  }
  if (impl_->scheduler->live() == 0) return;
  // The waiter broke with pushes still out: the kernel (an io_uring
  // request, a cold-read thread) may still read or write the memory they
  // point into. Every callback still runs once; that memory is leaked, never
  // freed under the kernel.
  impl_->scheduler->Abandon(failed);
  KeepUntilExit(std::move(impl_->scheduler), std::move(impl_->backend));
}

absl::StatusOr<TransferId> Engine::Submit(TransferSpec spec,
                                          DoneCallback done) {
  if (impl_->closing) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "engine is being destroyed; transfer on socket fd %d refused",
        spec.socket_fd));
  }
  if (!done) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "transfer on socket fd %d has no done callback", spec.socket_fd));
  }
  const int socket_fd = spec.socket_fd;
  const int file_fd = spec.file_fd;
  SLUICE_RETURN_IF_ERROR(internal::CheckSpec(spec));
  uint32_t traffic_class = 0;
  if (!spec.traffic_class.empty()) {
    const auto number = impl_->class_numbers.find(spec.traffic_class);
    if (number == impl_->class_numbers.end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "transfer on socket fd %d names traffic class \"%s\", which "
          "EngineOptions.traffic_classes does not have",
          socket_fd, spec.traffic_class));
    }
    traffic_class = number->second;
  }
  // A registered fd was checked once, at RegisterFd(). A regular file is
  // asked again when the transfer may reach past the size it had then:
  // without a count it is sent up to its size now, and the residency probe
  // must not take a grown file's new ranges for resident.
  const auto file = impl_->registered.find(file_fd);
  internal::SourceFacts source;
  if (file != impl_->registered.end() &&
      (file->second.source.kind != internal::SourceKind::kRegularFile ||
       (spec.count.has_value() &&
        spec.offset + *spec.count <= file->second.source.size))) {
    source = file->second.source;
  } else {
    impl_->stats.submit_syscalls += 2;
    SLUICE_ASSIGN_OR_RETURN(source, internal::ProbeSource(file_fd));
    if (file != impl_->registered.end()) file->second.source = source;
  }
  if (const auto socket = impl_->registered.find(socket_fd);
      socket == impl_->registered.end() || !socket->second.stream_socket) {
    ++impl_->stats.submit_syscalls;
    SLUICE_RETURN_IF_ERROR(internal::CheckSocket(socket_fd));
  }
  SLUICE_ASSIGN_OR_RETURN(TransferPlan plan,
                          internal::PlanFrom(std::move(spec), source));
  plan.traffic_class = traffic_class;
  if (impl_->busy_sockets.contains(socket_fd)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "socket fd %d already has a live transfer on this engine", socket_fd));
  }
  // A pipe or socket source is read as it fills; blocking on it would stall
  // every other transfer of the engine.
  const bool stream_source =
      plan.endpoints.source == internal::SourceKind::kStream;
  SLUICE_RETURN_IF_ERROR(impl_->nonblocking.Acquire(socket_fd));
  if (stream_source) {
    if (absl::Status held = impl_->nonblocking.Acquire(file_fd); !held.ok()) {
      impl_->nonblocking.Release(socket_fd);
      return held;
    }
  }
  if (impl_->notsent_lowat.has_value()) {
    const auto [scope, added] = impl_->lowat_scopes.try_emplace(
        socket_fd,
        internal::NotSentLowatScope::Enter(socket_fd, *impl_->notsent_lowat));
    // getsockopt, then setsockopt now and once more to put it back.
    impl_->stats.submit_syscalls += added && scope->second.set() ? 3 : 1;
  }
  Impl* impl = impl_.get();
  const auto release = [impl, socket_fd, file_fd, stream_source] {
    impl->lowat_scopes.erase(socket_fd);  // puts the socket's value back
    impl->nonblocking.Release(socket_fd);
    if (stream_source) impl->nonblocking.Release(file_fd);
  };
  DoneCallback finish = [impl, socket_fd, release, done = std::move(done)](
                            TransferId id,
                            const TransferResult& result) mutable {
    release();
    impl->busy_sockets.erase(socket_fd);
    done(id, result);
  };
  absl::StatusOr<TransferId> id =
      impl_->scheduler->Submit(std::move(plan), std::move(finish));
  if (!id.ok()) {
    release();
    return id.status();
  }
  impl_->busy_sockets.insert(socket_fd);
  impl_->UpdateWake();
  return *id;
}

absl::Status Engine::RegisterFd(int fd) {
  if (fd < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fd %d is not an fd", fd));
  }
  if (impl_->registered.contains(fd)) return absl::OkStatus();
  impl_->stats.submit_syscalls += 2;
  SLUICE_ASSIGN_OR_RETURN(internal::SourceFacts source,
                          internal::ProbeSource(fd));
  Impl::Registered facts{.source = source};
  if (source.kind == internal::SourceKind::kStream) {
    // A socket may be a destination: SOCK_STREAM only. A pipe or device is
    // a source alone.
    ++impl_->stats.submit_syscalls;
    facts.stream_socket = internal::CheckSocket(fd).ok();
    SLUICE_RETURN_IF_ERROR(impl_->nonblocking.Acquire(fd));
  }
  impl_->registered.emplace(fd, facts);
  return absl::OkStatus();
}

void Engine::ForgetFd(int fd) {
  const auto it = impl_->registered.find(fd);
  if (it == impl_->registered.end()) return;
  if (it->second.source.kind == internal::SourceKind::kStream) {
    impl_->nonblocking.Release(fd);
  }
  impl_->registered.erase(it);
}

bool Engine::Cancel(TransferId id) {
  const bool live = impl_->scheduler->Cancel(id);
  if (live) impl_->UpdateWake();
  return live;
}

absl::StatusOr<size_t> Engine::Poll(absl::Duration timeout) {
  impl_->ClearWork();
  absl::StatusOr<size_t> ended = impl_->scheduler->Turn(timeout);
  impl_->UpdateWake();
  return ended;
}

absl::Status Engine::Run() {
  while (impl_->scheduler->live() > 0) {
    SLUICE_RETURN_IF_ERROR(Poll(absl::InfiniteDuration()).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int> Engine::wake_fd() const {
  if (!impl_->wake_epoll.valid()) {
    if (absl::Status set_up = impl_->SetUpWake(); !set_up.ok()) {
      impl_->wake_epoll.reset();
      impl_->work_event.reset();
      impl_->timer.reset();
      return set_up;
    }
    impl_->UpdateWake();
  }
  return impl_->wake_epoll.get();
}

size_t Engine::live_transfers() const { return impl_->scheduler->live(); }

EngineStats Engine::stats() const { return impl_->stats; }

BackendKind Engine::backend() const { return impl_->backend->kind(); }

}  // namespace sluice
