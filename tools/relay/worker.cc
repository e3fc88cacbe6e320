// Copyright 2026 The sluice Authors.

#include "relay/worker.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/epoll_watch.h"
#include "net/socket_progress.h"
#include "sluice/backend_kind.h"

namespace sluice::relay {
namespace {

using tools::UniqueFd;
using State = Session::State;

// epoll tags; session ids start above them and are never reused, so an
// event for a session closed earlier in the same batch finds nothing. A
// session is in the epoll set only while its upstream connect is pending.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kEngineTag = 1;
constexpr uint64_t kControlTag = 2;
constexpr uint64_t kFirstSessionId = 16;

// The TCP progress of a session's two sockets together; nullopt when
// neither is a TCP socket.
std::optional<uint64_t> Progress(const Session& s) {
  const std::optional<uint64_t> client = tools::SocketProgress(s.client.get());
  const std::optional<uint64_t> upstream =
      tools::SocketProgress(s.upstream.get());
  if (!client.has_value() && !upstream.has_value()) return std::nullopt;
  return client.value_or(0) + upstream.value_or(0);
}

}  // namespace

Worker::Worker(const RelayOptions& options, size_t index,
               tools::StatsBoard* board)
    : options_(options), index_(index), board_(board) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(
    const RelayOptions& options, size_t index, UniqueFd listener,
    tools::StatsBoard* board) {
  std::unique_ptr<Worker> worker(new Worker(options, index, board));
  worker->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!worker->epoll_.valid()) {
    return absl::ErrnoToStatus(errno, "epoll_create1");
  }
  worker->control_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!worker->control_.valid()) {
    return absl::ErrnoToStatus(errno, "eventfd");
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(options.engine);
  if (!engine.ok()) return engine.status();
  worker->engine_ = *std::move(engine);
  const int epoll_fd = worker->epoll_.get();
  absl::StatusOr<std::unique_ptr<tools::Acceptor>> acceptor =
      tools::Acceptor::Create(std::move(listener), epoll_fd, kListenerTag);
  if (!acceptor.ok()) return acceptor.status();
  worker->acceptor_ = *std::move(acceptor);
  absl::StatusOr<int> wake = worker->engine_->wake_fd();
  if (!wake.ok()) return wake.status();
  absl::Status watched = tools::Watch(epoll_fd, *wake, EPOLLIN, kEngineTag);
  if (watched.ok()) {
    watched =
        tools::Watch(epoll_fd, worker->control_.get(), EPOLLIN, kControlTag);
  }
  if (!watched.ok()) return watched;
  worker->next_id_ = kFirstSessionId;
  worker->now_ = absl::Now();
  return worker;
}

Worker::~Worker() { Shutdown(); }

void Worker::Stop() {
  stop_requested_ = true;
  const uint64_t one = 1;
  (void)!::write(control_.get(), &one, sizeof(one));
}

uint64_t Worker::RequestStats() {
  const uint64_t ticket = ++stats_requested_;
  const uint64_t one = 1;
  (void)!::write(control_.get(), &one, sizeof(one));
  return ticket;
}

bool Worker::StatsPublished(uint64_t ticket) const {
  return stats_published_ >= ticket;
}

absl::Status Worker::Run() {
  absl::Status status = Loop();
  // On this thread: an engine belongs to the thread that polls it, its
  // destructor included.
  Shutdown();
  return status;
}

absl::Status Worker::Loop() {
  std::array<epoll_event, 256> events;
  while (!stopping_) {
    int timeout_ms = -1;
    absl::Time wake = acceptor_->paused_until();
    if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first);
    if (wake != absl::InfiniteFuture()) {
      const absl::Duration wait = wake - absl::Now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 0,
          60'000));
    }
    const int n = ::epoll_wait(epoll_.get(), events.data(),
                               static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      const int err = errno;
      return absl::ErrnoToStatus(
          err, absl::StrCat("epoll_wait on fd ", epoll_.get()));
    }
    now_ = absl::Now();
    bool engine_ready = false;
    for (int i = 0; i < n; ++i) {
      switch (const uint64_t tag = events[i].data.u64) {
        case kListenerTag:
          acceptor_->Accept(now_,
                            [this](UniqueFd fd) { OnAccepted(std::move(fd)); });
          break;
        case kEngineTag:
          engine_ready = true;
          break;
        case kControlTag:
          OnControl();
          break;
        default:
          OnConnectEvent(tag);
      }
    }
    // New transfers get their first push in this same iteration, together.
    if (engine_ready || submitted_) {
      submitted_ = false;
      absl::StatusOr<size_t> polled = engine_->Poll(absl::ZeroDuration());
      if (!polled.ok()) return polled.status();
    }
    ExpireTimers();
    acceptor_->Resume(now_);
  }
  return absl::OkStatus();
}

void Worker::OnControl() {
  uint64_t count;
  (void)!::read(control_.get(), &count, sizeof(count));
  if (stop_requested_) stopping_ = true;
  const uint64_t wanted = stats_requested_;
  if (stats_published_ < wanted) {
    PublishStats();
    stats_published_ = wanted;
  }
}

void Worker::OnAccepted(UniqueFd client) {
  ++accepted_;
  absl::StatusOr<tools::PendingConnect> pending =
      tools::StartConnect(options_.upstream);
  if (!pending.ok()) {
    ++connect_failures_;
    return;  // `client` closes here
  }
  auto session = std::make_unique<Session>(next_id_++, std::move(client),
                                           std::move(pending->fd));
  Session& s = *session;
  sessions_.emplace(s.id, std::move(session));
  if (!pending->in_progress) {
    StartRelay(s);
    return;
  }
  // Level-triggered: writable once, when the connect ends either way.
  if (!tools::Watch(epoll_.get(), s.upstream.get(), EPOLLOUT, s.id).ok()) {
    ++connect_failures_;
    Close(s);
    return;
  }
  SetTimer(s, now_ + options_.connect_timeout);
}

void Worker::OnConnectEvent(uint64_t id) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second->state != State::kConnecting) return;
  Session& s = *it->second;
  // From here on only the engine watches the upstream socket.
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s.upstream.get(), nullptr);
  if (!tools::FinishConnect(s.upstream.get(), options_.upstream).ok()) {
    ++connect_failures_;
    Close(s);
    return;
  }
  StartRelay(s);
}

void Worker::StartRelay(Session& s) {
  s.state = State::kRelaying;
  const int one = 1;
  ::setsockopt(s.upstream.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  s.progress = Progress(s);
  // Without TCP counters the worker cannot see either direction move, so
  // each transfer times out on its own.
  const absl::Duration transfer_idle =
      s.progress.has_value() ? absl::InfiniteDuration() : options_.idle_timeout;
  const uint64_t id = s.id;
  // Both sockets are already non-blocking (accept4, StartConnect): the
  // engine saves and restores each transfer's flags, and the two transfers
  // share the fds.
  for (Way way : {Way::kToClient, Way::kToUpstream}) {
    TransferSpec spec;
    spec.socket_fd = way == Way::kToClient ? s.client.get() : s.upstream.get();
    spec.file_fd = way == Way::kToClient ? s.upstream.get() : s.client.get();
    spec.idle_timeout = transfer_idle;
    absl::StatusOr<TransferId> transfer = engine_->Submit(
        std::move(spec), [this, id, way](TransferId, const TransferResult& r) {
          OnTransferDone(id, way, r);
        });
    if (!transfer.ok()) {
      End(s);
      return;
    }
    Session::Direction& d = way == Way::kToClient ? s.to_client : s.to_upstream;
    d.transfer = *transfer;
    d.live = true;
    submitted_ = true;
  }
  if (s.progress.has_value()) SetTimer(s, now_ + options_.idle_timeout);
}

void Worker::OnTransferDone(uint64_t id, Way way,
                            const TransferResult& result) {
  const auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  Session::Direction& d = way == Way::kToClient ? s.to_client : s.to_upstream;
  d.live = false;
  if (!result.status.ok() || s.state != State::kRelaying) {
    End(s);
    return;
  }
  // The source sent its FIN: pass it on, and keep relaying the other way.
  d.finished = true;
  ::shutdown(way == Way::kToClient ? s.client.get() : s.upstream.get(),
             SHUT_WR);
  if (s.to_client.finished && s.to_upstream.finished) {
    ++relayed_;
    Close(s);
  }
}

void Worker::End(Session& s) {
  if (s.state == State::kRelaying) s.state = State::kClosing;
  SetTimer(s, absl::InfiniteFuture());
  // The engine borrows both fds until each live transfer's callback; the
  // last callback comes back here and closes.
  for (Session::Direction* d : {&s.to_client, &s.to_upstream}) {
    if (d->live) engine_->Cancel(d->transfer);
  }
  if (!s.live()) Close(s);
}

void Worker::Close(Session& s) {
  SetTimer(s, absl::InfiniteFuture());
  // Closing the fds also takes a connecting upstream out of the epoll set.
  sessions_.erase(s.id);
}

void Worker::SetTimer(Session& s, absl::Time when) {
  if (s.timer == when) return;
  if (s.timer != absl::InfiniteFuture()) timers_.erase({s.timer, s.id});
  s.timer = when;
  if (when != absl::InfiniteFuture()) timers_.insert({when, s.id});
}

void Worker::ExpireTimers() {
  while (!timers_.empty() && timers_.begin()->first <= now_) {
    const uint64_t id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    Session& s = *it->second;
    s.timer = absl::InfiniteFuture();
    if (s.state == State::kConnecting) {
      ++connect_failures_;
      Close(s);
      continue;
    }
    if (s.state != State::kRelaying) continue;
    // Bytes moved either way since the last check: not idle.
    const std::optional<uint64_t> progress = Progress(s);
    if (progress != s.progress) {
      s.progress = progress;
      SetTimer(s, now_ + options_.idle_timeout);
      continue;
    }
    ++idle_closed_;
    End(s);
  }
}

void Worker::PublishStats() {
  tools::ThreadSnapshot snapshot;
  snapshot.backend = std::string(BackendKindName(engine_->backend()));
  snapshot.engine = engine_->stats();
  snapshot.counters = {{"connections_accepted", accepted_},
                       {"connections_open", sessions_.size()},
                       {"upstream_connect_failures", connect_failures_},
                       {"idle_closed", idle_closed_},
                       {"relayed_to_eof", relayed_}};
  board_->Publish(index_, std::move(snapshot));
}

void Worker::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  stopping_ = true;
  if (engine_ != nullptr) {
    std::vector<uint64_t> ids;
    for (const auto& [id, session] : sessions_) ids.push_back(id);
    for (uint64_t id : ids) {
      const auto it = sessions_.find(id);
      if (it != sessions_.end()) End(*it->second);
    }
    // Cancelled transfers end from the next Poll(); bounded, since the
    // engine's destructor ends whatever is left anyway.
    for (int i = 0; i < 100 && engine_->live_transfers() > 0; ++i) {
      if (!engine_->Poll(absl::Milliseconds(10)).ok()) break;
    }
    PublishStats();
    // Its destructor ends any transfer still live through the callbacks,
    // which need the sessions.
    engine_.reset();
  }
  sessions_.clear();
}

}  // namespace sluice::relay
