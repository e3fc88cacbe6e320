// Copyright 2026 The sluice Authors.

#include "engine/readiness.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/errno_status.h"
#include "engine/sluice_config.h"
#include "engine/unique_fd.h"

#if SLUICE_HAVE_EPOLL
#include <sys/epoll.h>
#endif

namespace sluice::internal {

int TimeoutMillis(absl::Duration timeout) {
  if (timeout == absl::InfiniteDuration()) return -1;
  if (timeout <= absl::ZeroDuration()) return 0;
  const int64_t ms = absl::ToInt64Milliseconds(
      absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

namespace {

#if SLUICE_HAVE_EPOLL

class EpollReadiness final : public Readiness {
 public:
  EpollReadiness(UniqueFd epoll, EngineStats& stats)
      : epoll_(std::move(epoll)), stats_(stats) {}

  absl::Status Watch(int fd, Interest interest, uint64_t token) override {
    epoll_event event{};
    event.events =
        (interest == Interest::kWritable ? EPOLLOUT : EPOLLIN) | EPOLLONESHOT;
    event.data.u64 = token;
    ++stats_.syscalls;
    const bool known = registered_.contains(fd);
    if (::epoll_ctl(epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
                    &event) != 0) {
      return ErrnoStatus(errno, known ? "epoll_ctl(MOD)" : "epoll_ctl(ADD)",
                         fd);
    }
    registered_.insert(fd);
    return absl::OkStatus();
  }

  void Forget(int fd) override {
    if (registered_.erase(fd) == 0) return;
    ++stats_.syscalls;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  absl::Status Wait(absl::Duration timeout,
                    absl::FunctionRef<void(uint64_t)> ready) override {
    // Nothing watched and nothing to wait for: skip the syscall.
    if (registered_.empty() && timeout == absl::ZeroDuration()) {
      return absl::OkStatus();
    }
    ++stats_.syscalls;
    const int n = ::epoll_wait(epoll_.get(), events_, kMaxEvents,
                               TimeoutMillis(timeout));
    if (n < 0) {
      if (errno == EINTR) return absl::OkStatus();
      return ErrnoStatus(errno, "epoll_wait", epoll_.get());
    }
    for (int i = 0; i < n; ++i) ready(events_[i].data.u64);
    return absl::OkStatus();
  }

  int fd() const override { return epoll_.get(); }

 private:
  static constexpr int kMaxEvents = 256;
  UniqueFd epoll_;
  EngineStats& stats_;
  absl::flat_hash_set<int> registered_;
  epoll_event events_[kMaxEvents];
};

#endif  // SLUICE_HAVE_EPOLL

class PollReadiness final : public Readiness {
 public:
  explicit PollReadiness(EngineStats& stats) : stats_(stats) {}

  absl::Status Watch(int fd, Interest interest, uint64_t token) override {
    watched_[fd] = Watched{
        token,
        static_cast<short>(interest == Interest::kWritable ? POLLOUT : POLLIN)};
    return absl::OkStatus();
  }

  void Forget(int fd) override { watched_.erase(fd); }

  absl::Status Wait(absl::Duration timeout,
                    absl::FunctionRef<void(uint64_t)> ready) override {
    if (watched_.empty() && timeout == absl::ZeroDuration()) {
      return absl::OkStatus();
    }
    fds_.clear();
    for (const auto& [fd, watched] : watched_) {
      fds_.push_back(pollfd{fd, watched.events, 0});
    }
    ++stats_.syscalls;
    const int n = ::poll(fds_.data(), fds_.size(), TimeoutMillis(timeout));
    if (n < 0) {
      if (errno == EINTR) return absl::OkStatus();
      return ErrnoStatus(errno, "poll", -1);
    }
    for (const pollfd& p : fds_) {
      if (p.revents == 0) continue;
      const auto it = watched_.find(p.fd);
      // An earlier callback of this round may have forgotten the fd.
      if (it == watched_.end()) continue;
      const uint64_t token = it->second.token;
      watched_.erase(it);
      ready(token);
    }
    return absl::OkStatus();
  }

  int fd() const override { return -1; }

 private:
  struct Watched {
    uint64_t token;
    short events;
  };
  EngineStats& stats_;
  absl::flat_hash_map<int, Watched> watched_;
  std::vector<pollfd> fds_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Readiness>> Readiness::Create(
    EngineStats& stats) {
#if SLUICE_HAVE_EPOLL
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return ErrnoStatus(errno, "epoll_create1", -1);
  return std::make_unique<EpollReadiness>(std::move(epoll), stats);
#else
  return std::make_unique<PollReadiness>(stats);
#endif
}

}  // namespace sluice::internal
