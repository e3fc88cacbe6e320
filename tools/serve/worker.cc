// Copyright 2026 The sluice Authors.

#include "serve/worker.h"

#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "serve/http_date.h"
#include "serve/http_request.h"
#include "serve/request_target.h"
#include "sluice/backend_kind.h"

namespace sluice::serve {
namespace {

using tools::UniqueFd;

// epoll tags; connection ids start above them and are never reused, so an
// event for a connection closed earlier in the same batch finds nothing.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kEngineTag = 1;
constexpr uint64_t kStopTag = 2;
constexpr uint64_t kFirstConnectionId = 16;

constexpr size_t kReadChunk = 16 * 1024;

// Edge-triggered; EPOLLOUT is added only while a write waits (see Flush).
constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

absl::Status Watch(int epoll_fd, int fd, uint32_t events, uint64_t tag) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("epoll_ctl(ADD) on fd ", fd));
  }
  return absl::OkStatus();
}

bool IsStatsRequest(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  absl::StatusOr<std::string> path = ResolveTarget(request.target);
  return path.ok() && *path == "-/stats";
}

}  // namespace

struct Worker::Connection {
  uint64_t id = 0;
  UniqueFd fd;
  // Received bytes not yet answered: at most one partial head plus what
  // one read brought (pipelined requests), since reading stops while a
  // whole head is buffered.
  std::string in;
  // `in` holds no head end before this offset.
  size_t scanned = 0;
  // A response the worker writes itself, and how much of it went out.
  std::string out;
  size_t out_sent = 0;
  // The open file of the response the engine is sending.
  UniqueFd file;
  bool sending_file = false;
  // When the last byte of `out` went out (or `out` was set).
  absl::Time last_progress;
  // Edge-triggered readiness, cleared when a call says EAGAIN.
  bool readable = true;
  bool writable = true;
  // The peer shut down or reset: reads go on until they say so.
  bool hung_up = false;
  // EPOLLOUT is in the epoll set (only while a write of ours waits).
  bool watching_out = false;
  // Waits in ready_ for its next turn.
  bool ready = false;
  bool peer_closed = false;
  bool close_after = false;
  bool lingering = false;
  absl::Time timer = absl::InfiniteFuture();
  absl::Time head_started;
  // The response in flight, for the access log.
  absl::Time response_started;
  std::string method;
  std::string target;
  int status = 0;
};

Worker::Worker(const ServeOptions& options, size_t index, StatsBoard* board)
    : options_(options), index_(index), board_(board) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(
    const ServeOptions& options, size_t index, UniqueFd listener,
    StatsBoard* board) {
  std::unique_ptr<Worker> worker(new Worker(options, index, board));
  worker->listener_ = std::move(listener);
  // accept4() runs until EAGAIN.
  const int flags = ::fcntl(worker->listener_.get(), F_GETFL);
  if (flags < 0 || ::fcntl(worker->listener_.get(), F_SETFL,
                           flags | O_NONBLOCK) != 0) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("fcntl(O_NONBLOCK) on listener fd ",
                            worker->listener_.get()));
  }
  worker->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!worker->epoll_.valid()) return absl::ErrnoToStatus(errno, "epoll_create1");
  worker->stop_event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!worker->stop_event_.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(options.engine);
  if (!engine.ok()) return engine.status();
  worker->engine_ = *std::move(engine);
  const int epoll_fd = worker->epoll_.get();
  absl::Status watched =
      Watch(epoll_fd, worker->listener_.get(), EPOLLIN, kListenerTag);
  if (watched.ok()) {
    watched = Watch(epoll_fd, worker->engine_->wake_fd(), EPOLLIN, kEngineTag);
  }
  if (watched.ok()) {
    watched = Watch(epoll_fd, worker->stop_event_.get(), EPOLLIN, kStopTag);
  }
  if (!watched.ok()) return watched;
  worker->scratch_ = std::make_unique<char[]>(kReadChunk);
  worker->next_id_ = kFirstConnectionId;
  worker->now_ = absl::Now();
  return worker;
}

Worker::~Worker() { Shutdown(); }

void Worker::Shutdown() {
  // The engine first: its destructor ends every live transfer through its
  // callback, which needs the connections.
  stopping_ = true;
  engine_.reset();
  connections_.clear();
  FlushLog();
}

void Worker::FlushLog() {
  if (options_.access_log_fd >= 0 && !log_.empty()) {
    (void)!::write(options_.access_log_fd, log_.data(), log_.size());
  }
  log_.clear();
}

void Worker::Stop() {
  const uint64_t one = 1;
  (void)!::write(stop_event_.get(), &one, sizeof(one));
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
    absl::Time wake = accept_paused_until_ == absl::InfinitePast()
                          ? absl::InfiniteFuture()
                          : accept_paused_until_;
    if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first);
    if (wake != absl::InfiniteFuture()) {
      const absl::Duration wait = wake - absl::Now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))),
          0, 60'000));
    }
    // Idle threads still refresh what /-/stats shows.
    if (options_.stats_page && (timeout_ms < 0 || timeout_ms > 1000)) {
      timeout_ms = 1000;
    }
    if (!ready_.empty()) timeout_ms = 0;
    const int n = ::epoll_wait(epoll_.get(), events.data(),
                               static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      return absl::ErrnoToStatus(
          errno, absl::StrCat("epoll_wait on fd ", epoll_.get()));
    }
    now_ = absl::Now();
    bool engine_ready = false;
    for (int i = 0; i < n; ++i) {
      switch (const uint64_t tag = events[i].data.u64) {
        case kListenerTag:
          Accept();
          break;
        case kEngineTag:
          engine_ready = true;
          break;
        case kStopTag:
          stopping_ = true;
          break;
        default:
          OnConnectionEvent(tag, events[i].events);
      }
    }
    // Connections that used up their turn in Advance() go on now, after
    // everyone else had theirs.
    std::vector<uint64_t> ready;
    ready.swap(ready_);
    for (uint64_t id : ready) {
      const auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      c.ready = false;
      if (!c.sending_file && !c.lingering) Advance(c);
    }
    // New transfers get their first push in this same iteration, together.
    if (engine_ready || submitted_) {
      submitted_ = false;
      absl::StatusOr<size_t> polled = engine_->Poll(absl::ZeroDuration());
      if (!polled.ok()) return polled.status();
    }
    ExpireTimers();
    ResumeAccepting();
    FlushLog();
    if (options_.stats_page && now_ - published_ >= absl::Milliseconds(100)) {
      PublishStats();
    }
  }
  return absl::OkStatus();
}

void Worker::Accept() {
  // Bounded, so a flood of connections cannot starve the others.
  for (int i = 0; i < 256; ++i) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN) PauseAccepting();  // out of fds or memory
      return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto connection = std::make_unique<Connection>();
    connection->id = next_id_++;
    connection->fd.reset(fd);
    connection->head_started = now_;
    if (!Watch(epoll_.get(), fd, kConnectionEvents, connection->id).ok()) {
      continue;  // the UniqueFd closes it
    }
    ++accepted_;
    Connection& c = *connection;
    connections_.emplace(c.id, std::move(connection));
    Advance(c);
  }
}

// The listener is level-triggered: while accept4() fails for want of fds,
// it would report readable forever. It leaves the epoll set for a moment
// instead, and the backlog waits for connections to close.
void Worker::PauseAccepting() {
  if (accept_paused_until_ != absl::InfinitePast()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listener_.get(), nullptr);
  accept_paused_until_ = now_ + absl::Milliseconds(100);
}

void Worker::ResumeAccepting() {
  if (accept_paused_until_ == absl::InfinitePast() ||
      now_ < accept_paused_until_) {
    return;
  }
  accept_paused_until_ = absl::InfinitePast();
  if (!Watch(epoll_.get(), listener_.get(), EPOLLIN, kListenerTag).ok()) {
    PauseAccepting();
  }
}

void Worker::OnConnectionEvent(uint64_t id, uint32_t events) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.hung_up = true;
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) c.writable = true;
  // The engine owns the socket until the transfer's callback.
  if (c.sending_file) return;
  if (c.lingering) {
    Linger(c);
    return;
  }
  Advance(c);
}

void Worker::Advance(Connection& c) {
  // A client pipelining cheap requests as fast as they are answered must
  // not keep the loop (and every other connection) waiting: after this
  // many reads and answers the connection goes to the back of the line.
  int budget = 32;
  while (!c.sending_file) {
    if (budget-- == 0) {
      if (!c.ready) {
        c.ready = true;
        ready_.push_back(c.id);
      }
      return;
    }
    if (c.out_sent < c.out.size()) {
      switch (Flush(c)) {
        case Io::kDone:
          break;
        case Io::kBlocked:
          // Counted from the last byte that went out: client bytes arriving
          // meanwhile do not extend it.
          SetTimer(c, c.last_progress + options_.send_timeout);
          return;
        default:
          Close(c);
          return;
      }
      LogResponse(c, c.out.size(), "-");
      c.out.clear();
      c.out_sent = 0;
      // A pipelined head already begun waits from now, not from before
      // this response.
      c.head_started = now_;
      if (c.close_after) {
        Linger(c);
        return;
      }
    }

    // Parse only once the end of a head may be there: a client sending one
    // byte at a time must not cost a full parse per byte.
    RequestHeadParse parse;
    const size_t end = c.in.find("\r\n\r\n", c.scanned);
    if (end != std::string::npos || c.in.size() >= options_.max_head_bytes) {
      parse = ParseRequestHead(c.in, options_.max_head_bytes);
    } else {
      c.scanned = c.in.size() < 3 ? 0 : c.in.size() - 3;
    }
    if (parse.outcome == ParseOutcome::kComplete) {
      ++requests_;
      const HttpRequest& request = parse.request;
      c.response_started = c.head_started;
      if (options_.access_log_fd >= 0) {
        c.method = std::string(request.method);
        c.target = std::string(request.target);
      }
      Respond(c, options_.stats_page && IsStatsRequest(request)
                  ? (PublishStats(),
                     TextResponse(200, "application/json", board_->Json(),
                                  &request, Date()))
                  : RespondToRequest(request, options_.root_fd, Date()));
      c.in.erase(0, parse.consumed);
      c.scanned = 0;
      continue;
    }
    if (parse.outcome == ParseOutcome::kError) {
      ++requests_;
      c.response_started = c.head_started;
      c.method = "-";
      c.target = "-";
      Respond(c, ErrorResponse(parse.error_status, nullptr, Date()));
      c.in.clear();
      c.scanned = 0;
      continue;
    }

    if (c.readable && !c.peer_closed) {
      const Io read = ReadMore(c);
      if (read == Io::kDone) continue;
      if (read == Io::kFailed) {
        Close(c);
        return;
      }
      if (read == Io::kEof) c.peer_closed = true;
    }
    if (c.peer_closed) {
      // Whatever partial request is left can never complete.
      Close(c);
      return;
    }
    SetTimer(c, c.in.empty() ? now_ + options_.keepalive_timeout
                             : c.head_started + options_.header_timeout);
    return;
  }
}

void Worker::Respond(Connection& c, Response response) {
  c.status = response.status;
  c.close_after = response.close;
  if (response.file.valid()) {
    TransferSpec spec;
    spec.socket_fd = c.fd.get();
    spec.file_fd = response.file.get();
    spec.offset = response.offset;
    spec.count = response.count;
    spec.header = std::move(response.head);
    spec.idle_timeout = options_.send_timeout;
    const uint64_t id = c.id;
    absl::StatusOr<TransferId> transfer = engine_->Submit(
        std::move(spec), [this, id](TransferId, const TransferResult& result) {
          OnTransferDone(id, result);
        });
    if (transfer.ok()) {
      c.file = std::move(response.file);
      c.sending_file = true;
      submitted_ = true;
      SetTimer(c, absl::InfiniteFuture());
      return;
    }
    // Only an engine being destroyed refuses a checked spec; say so.
    response = ErrorResponse(503, nullptr, Date());
    c.status = response.status;
    c.close_after = true;
  }
  c.out = std::move(response.head);
  c.out.append(response.body);
  c.out_sent = 0;
  c.last_progress = now_;
}

void Worker::OnTransferDone(uint64_t id, const TransferResult& result) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  c.sending_file = false;
  c.file.reset();
  c.writable = true;  // the engine saw its edges; send() will tell
  c.head_started = now_;
  LogResponse(c, result.header_bytes_sent + result.bytes_sent,
              result.status.ok()
                  ? BackendKindName(result.backend)
                  : absl::StatusCodeToString(result.status.code()));
  // Mid-body (peer gone, too slow, shutting down) there is nothing left to
  // say on this connection.
  if (!result.status.ok() || stopping_) {
    Close(c);
    return;
  }
  if (c.close_after) {
    Linger(c);
    return;
  }
  Advance(c);
}

Worker::Io Worker::Flush(Connection& c) {
  while (c.out_sent < c.out.size()) {
    if (!c.writable) {
      // EPOLLOUT is watched only while the worker itself waits to write:
      // during engine transfers it would wake this loop on every ACK.
      if (!c.watching_out && !WatchWritable(c, true)) return Io::kFailed;
      return Io::kBlocked;
    }
    const ssize_t n = ::send(c.fd.get(), c.out.data() + c.out_sent,
                             c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
      c.last_progress = now_;
    } else if (n < 0 && errno == EAGAIN) {
      c.writable = false;
    } else if (n < 0 && errno != EINTR) {
      return Io::kFailed;
    }
  }
  if (c.watching_out && !WatchWritable(c, false)) return Io::kFailed;
  return Io::kDone;
}

bool Worker::WatchWritable(Connection& c, bool watch) {
  epoll_event event{};
  event.events = kConnectionEvents | (watch ? uint32_t{EPOLLOUT} : 0u);
  event.data.u64 = c.id;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c.fd.get(), &event) != 0) {
    return false;
  }
  c.watching_out = watch;
  return true;
}

Worker::Io Worker::ReadMore(Connection& c) {
  const ssize_t n = ::recv(c.fd.get(), scratch_.get(), kReadChunk, 0);
  if (n > 0) {
    if (c.in.empty()) c.head_started = now_;
    c.in.append(scratch_.get(), static_cast<size_t>(n));
    // A short read emptied the socket; with edge-triggered epoll the next
    // bytes bring a new event, so no recv() just to hear EAGAIN. Not after
    // a hangup: its EOF was reported with the bytes and will not be again.
    if (static_cast<size_t>(n) < kReadChunk && !c.hung_up) c.readable = false;
    return Io::kDone;
  }
  if (n == 0) return Io::kEof;
  if (errno == EINTR) return Io::kDone;
  if (errno == EAGAIN) {
    c.readable = false;
    return Io::kBlocked;
  }
  return Io::kFailed;
}

void Worker::Linger(Connection& c) {
  if (c.peer_closed) {
    Close(c);
    return;
  }
  if (!c.lingering) {
    c.lingering = true;
    ::shutdown(c.fd.get(), SHUT_WR);
    SetTimer(c, now_ + options_.linger_timeout);
  }
  // Bounded per call; the linger timer bounds the total.
  for (int i = 0; i < 16 && c.readable; ++i) {
    const Io read = ReadMore(c);
    c.in.clear();
    if (read == Io::kEof || read == Io::kFailed) {
      Close(c);
      return;
    }
  }
}

void Worker::Close(Connection& c) {
  SetTimer(c, absl::InfiniteFuture());
  // Closing the fd also takes it out of the epoll set (no dup exists).
  connections_.erase(c.id);
}

void Worker::SetTimer(Connection& c, absl::Time when) {
  if (c.timer == when) return;
  if (c.timer != absl::InfiniteFuture()) timers_.erase({c.timer, c.id});
  c.timer = when;
  if (when != absl::InfiniteFuture()) timers_.insert({when, c.id});
}

void Worker::ExpireTimers() {
  while (!timers_.empty() && timers_.begin()->first <= now_) {
    const uint64_t id = timers_.begin()->second;
    timers_.erase(timers_.begin());
    const auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    c.timer = absl::InfiniteFuture();
    // Lingering over, a client not reading our response, or an idle
    // keep-alive connection: just close.
    if (c.lingering || c.out_sent < c.out.size() || c.in.empty()) {
      Close(c);
      continue;
    }
    // A request head still incomplete after header_timeout: a slowloris
    // client, or a broken one. Say so, then close.
    c.response_started = c.head_started;
    c.method = "-";
    c.target = "-";
    c.in.clear();
    c.scanned = 0;
    Respond(c, ErrorResponse(408, nullptr, Date()));
    Advance(c);
  }
}

void Worker::LogResponse(const Connection& c, uint64_t bytes,
                         absl::string_view outcome) {
  if (options_.access_log_fd < 0) return;
  // The loop's cached now_ is too coarse for a duration.
  const absl::Time end = absl::Now();
  const std::string line = absl::StrFormat(
      "%s %s %s %d %d %s %.3fms\n",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", end, absl::UTCTimeZone()),
      c.method, c.target, c.status, bytes, outcome,
      absl::ToDoubleMilliseconds(end - c.response_started));
  // Each write(2) stays within PIPE_BUF, so lines of several threads
  // sharing a pipe never interleave.
  if (log_.size() + line.size() > PIPE_BUF) FlushLog();
  log_.append(line);
}

void Worker::PublishStats() {
  published_ = now_;
  ThreadSnapshot snapshot;
  snapshot.backend = std::string(BackendKindName(engine_->backend()));
  snapshot.engine = engine_->stats();
  snapshot.connections_accepted = accepted_;
  snapshot.connections_open = connections_.size();
  snapshot.requests = requests_;
  board_->Publish(index_, std::move(snapshot));
}

absl::string_view Worker::Date() {
  const int64_t second = absl::ToUnixSeconds(now_);
  if (second != date_second_) {
    date_second_ = second;
    date_ = FormatHttpDate(now_);
  }
  return date_;
}

}  // namespace sluice::serve
