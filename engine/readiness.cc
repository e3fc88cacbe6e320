// Copyright 2026 The sluice Authors.

#include "engine/readiness.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
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
  const int64_t ms =
      absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1)));
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

namespace {

// What is watched on one fd: a token per interest, armed or not.
struct FdWatch {
  uint64_t token[2] = {0, 0};
  bool armed[2] = {false, false};

  bool any() const { return armed[0] || armed[1]; }
};

size_t Index(Interest interest) {
  return interest == Interest::kWritable ? 0 : 1;
}

// Fires the armed interests of `watch` that `writable`/`readable` report
// (errors report both), disarming them, and appends their tokens.
void Fire(FdWatch& watch, bool writable, bool readable,
          std::vector<uint64_t>& tokens) {
  const bool ready[2] = {writable, readable};
  for (size_t i = 0; i < 2; ++i) {
    if (watch.armed[i] && ready[i]) {
      watch.armed[i] = false;
      tokens.push_back(watch.token[i]);
    }
  }
}

#if SLUICE_HAVE_EPOLL

class EpollReadiness final : public Readiness {
 public:
  EpollReadiness(UniqueFd epoll, EngineStats& stats)
      : epoll_(std::move(epoll)), stats_(stats) {}

  absl::Status Watch(int fd, Interest interest, uint64_t token) override {
    Registration& r = fds_[fd];
    r.watch.token[Index(interest)] = token;
    r.watch.armed[Index(interest)] = true;
    return Arm(fd, r);
  }

  void Forget(int fd, Interest interest) override {
    const auto it = fds_.find(fd);
    if (it == fds_.end()) return;
    Registration& r = it->second;
    r.watch.armed[Index(interest)] = false;
    if (r.watch.any()) {
      (void)Arm(fd, r);
      return;
    }
    if (r.registered) {
      ++stats_.syscalls;
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
    }
    fds_.erase(it);
  }

  absl::Status Wait(absl::Duration timeout,
                    absl::FunctionRef<void(uint64_t)> ready) override {
    // Nothing watched and nothing to wait for: skip the syscall.
    if (fds_.empty() && timeout == absl::ZeroDuration()) {
      return absl::OkStatus();
    }
    ++stats_.syscalls;
    const int n =
        ::epoll_wait(epoll_.get(), events_, kMaxEvents, TimeoutMillis(timeout));
    if (n < 0) {
      if (errno == EINTR) return absl::OkStatus();
      return ErrnoStatus(errno, "epoll_wait", epoll_.get());
    }
    tokens_.clear();
    for (int i = 0; i < n; ++i) {
      const int fd = events_[i].data.fd;
      const auto it = fds_.find(fd);
      if (it == fds_.end()) continue;
      const uint32_t e = events_[i].events;
      const bool error = e & (EPOLLERR | EPOLLHUP);
      Fire(it->second.watch, error || (e & EPOLLOUT),
           error || (e & (EPOLLIN | EPOLLRDHUP)), tokens_);
      // One-shot disarmed both interests: re-arm the one still wanted.
      if (it->second.watch.any()) (void)Arm(fd, it->second);
    }
    for (const uint64_t token : tokens_) ready(token);
    return absl::OkStatus();
  }

  int fd() const override { return epoll_.get(); }

 private:
  struct Registration {
    FdWatch watch;
    bool registered = false;
  };

  absl::Status Arm(int fd, Registration& r) {
    epoll_event event{};
    event.events = EPOLLONESHOT;
    if (r.watch.armed[0]) event.events |= EPOLLOUT;
    if (r.watch.armed[1]) event.events |= EPOLLIN;
    event.data.fd = fd;
    ++stats_.syscalls;
    if (::epoll_ctl(epoll_.get(), r.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
                    fd, &event) != 0) {
      return ErrnoStatus(
          errno, r.registered ? "epoll_ctl(MOD)" : "epoll_ctl(ADD)", fd);
    }
    r.registered = true;
    return absl::OkStatus();
  }

  static constexpr int kMaxEvents = 256;
  UniqueFd epoll_;
  EngineStats& stats_;
  absl::flat_hash_map<int, Registration> fds_;
  std::vector<uint64_t> tokens_;
  epoll_event events_[kMaxEvents];
};

#endif  // SLUICE_HAVE_EPOLL

class PollReadiness final : public Readiness {
 public:
  explicit PollReadiness(EngineStats& stats) : stats_(stats) {}

  absl::Status Watch(int fd, Interest interest, uint64_t token) override {
    FdWatch& watch = watched_[fd];
    watch.token[Index(interest)] = token;
    watch.armed[Index(interest)] = true;
    return absl::OkStatus();
  }

  void Forget(int fd, Interest interest) override {
    const auto it = watched_.find(fd);
    if (it == watched_.end()) return;
    it->second.armed[Index(interest)] = false;
    if (!it->second.any()) watched_.erase(it);
  }

  absl::Status Wait(absl::Duration timeout,
                    absl::FunctionRef<void(uint64_t)> ready) override {
    if (watched_.empty() && timeout == absl::ZeroDuration()) {
      return absl::OkStatus();
    }
    fds_.clear();
    for (const auto& [fd, watch] : watched_) {
      fds_.push_back(pollfd{fd,
                            static_cast<short>((watch.armed[0] ? POLLOUT : 0) |
                                               (watch.armed[1] ? POLLIN : 0)),
                            0});
    }
    ++stats_.syscalls;
    const int n = ::poll(fds_.data(), fds_.size(), TimeoutMillis(timeout));
    if (n < 0) {
      if (errno == EINTR) return absl::OkStatus();
      return ErrnoStatus(errno, "poll", -1);
    }
    tokens_.clear();
    for (const pollfd& p : fds_) {
      if (p.revents == 0) continue;
      const auto it = watched_.find(p.fd);
      if (it == watched_.end()) continue;
      const bool error = p.revents & (POLLERR | POLLHUP | POLLNVAL);
      Fire(it->second, error || (p.revents & POLLOUT),
           error || (p.revents & POLLIN), tokens_);
      if (!it->second.any()) watched_.erase(it);
    }
    for (const uint64_t token : tokens_) ready(token);
    return absl::OkStatus();
  }

  int fd() const override { return -1; }

 private:
  EngineStats& stats_;
  absl::flat_hash_map<int, FdWatch> watched_;
  std::vector<pollfd> fds_;
  std::vector<uint64_t> tokens_;
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
