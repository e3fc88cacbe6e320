// Copyright 2026 The sluice Authors.

#include "serve/worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/epoll_watch.h"
#include "serve/http_date.h"
#include "serve/http_request.h"
#include "serve/request_target.h"
#include "sluice/backend_kind.h"

namespace sluice::serve {
namespace {

// A line feed without its carriage return among the bytes from `from` on:
// the head can be judged (400) now, not after the header timeout.
bool HasBareLf(const std::string& in, size_t from) {
  for (size_t lf = in.find('\n', from); lf != std::string::npos;
       lf = in.find('\n', lf + 1)) {
    if (lf == 0 || in[lf - 1] != '\r') return true;
  }
  return false;
}

using tools::UniqueFd;
using tools::Watch;
using State = Connection::State;

// epoll tags; connection ids start above them and are never reused, so an
// event for a connection closed earlier in the same batch finds nothing.
constexpr uint64_t kListenerTag = 0;
constexpr uint64_t kEngineTag = 1;
constexpr uint64_t kStopTag = 2;
constexpr uint64_t kFirstConnectionId = 16;

constexpr size_t kReadChunk = 16 * 1024;

bool IsStatsRequest(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") return false;
  absl::StatusOr<std::string> path = ResolveTarget(request.target);
  return path.ok() && *path == "-/stats";
}

}  // namespace

Worker::Worker(const ServeOptions& options, size_t index,
               tools::StatsBoard* board)
    : options_(options),
      index_(index),
      board_(board),
      log_(options.access_log_fd) {}

absl::StatusOr<std::unique_ptr<Worker>> Worker::Create(
    const ServeOptions& options, size_t index, UniqueFd listener,
    tools::StatsBoard* board) {
  std::unique_ptr<Worker> worker(new Worker(options, index, board));
  worker->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!worker->epoll_.valid()) {
    return absl::ErrnoToStatus(errno, "epoll_create1");
  }
  worker->stop_event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!worker->stop_event_.valid()) {
    return absl::ErrnoToStatus(errno, "eventfd");
  }
  absl::StatusOr<std::unique_ptr<Engine>> engine =
      Engine::Create(options.engine);
  if (!engine.ok()) return engine.status();
  worker->engine_ = *std::move(engine);
  worker->files_ = std::make_unique<OpenFileCache>(
      options.root_fd, options.open_file_cache, options.open_file_cache_valid,
      worker->engine_.get());
  const int epoll_fd = worker->epoll_.get();
  absl::StatusOr<std::unique_ptr<tools::Acceptor>> acceptor =
      tools::Acceptor::Create(std::move(listener), epoll_fd, kListenerTag);
  if (!acceptor.ok()) return acceptor.status();
  worker->acceptor_ = *std::move(acceptor);
  absl::StatusOr<int> wake = worker->engine_->wake_fd();
  if (!wake.ok()) return wake.status();
  absl::Status watched = Watch(epoll_fd, *wake, EPOLLIN, kEngineTag);
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
  // callback, which needs the connections. Before it, the cache forgets
  // its fds in it; responses in flight still hold theirs.
  stopping_ = true;
  files_.reset();
  engine_.reset();
  connections_.clear();
  log_.Flush();
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
    absl::Time wake = acceptor_->paused_until();
    if (!timers_.empty()) wake = std::min(wake, timers_.begin()->first);
    if (wake != absl::InfiniteFuture()) {
      const absl::Duration wait = wake - absl::Now();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1))), 0,
          60'000));
    }
    // Idle threads still refresh what /-/stats shows.
    if (options_.stats_page && (timeout_ms < 0 || timeout_ms > 1000)) {
      timeout_ms = 1000;
    }
    if (!ready_.empty()) timeout_ms = 0;
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
        case kStopTag:
          stopping_ = true;
          break;
        default:
          OnConnectionEvent(tag, events[i].events);
      }
    }
    // Connections that used up their turn in Advance() go on now, after
    // everyone else had theirs.
    absl::flat_hash_set<uint64_t> ready;
    ready.swap(ready_);
    for (uint64_t id : ready) {
      const auto it = connections_.find(id);
      if (it == connections_.end()) continue;
      Connection& c = *it->second;
      if (c.state == State::kReading || c.writing()) Advance(c);
    }
    // New transfers get their first push in this same iteration, together.
    if (engine_ready || submitted_) {
      submitted_ = false;
      absl::StatusOr<size_t> polled = engine_->Poll(absl::ZeroDuration());
      if (!polled.ok()) return polled.status();
    }
    ExpireTimers();
    acceptor_->Resume(now_);
    log_.Flush();
    if (options_.stats_page && now_ - published_ >= absl::Milliseconds(100)) {
      PublishStats();
    }
  }
  return absl::OkStatus();
}

void Worker::OnAccepted(UniqueFd fd) {
  auto connection =
      std::make_unique<Connection>(next_id_++, std::move(fd), now_);
  Connection& c = *connection;
  if (!Watch(epoll_.get(), c.fd.get(), kConnectionEvents, c.id).ok()) {
    return;  // the Connection's UniqueFd closes it
  }
  ++accepted_;
  // Checked once for the connection's life, so each response's Submit()
  // makes no fd checks of its own; forgotten in Close(), before the fd
  // closes and its number may name something else. Unregistered, a
  // response works all the same.
  (void)engine_->RegisterFd(c.fd.get());
  connections_.emplace(c.id, std::move(connection));
  Advance(c);
}

void Worker::OnConnectionEvent(uint64_t id, uint32_t events) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  c.OnEvents(events);
  switch (c.state) {
    case State::kSendingFile:
      return;  // the engine owns the socket until the transfer's callback
    case State::kLingering:
      Linger(c);
      return;
    case State::kReading:
    case State::kWriting:
    case State::kWriteBlocked:
      Advance(c);
      return;
  }
}

void Worker::Advance(Connection& c) {
  // A client pipelining cheap requests as fast as they are answered must
  // not keep the loop (and every other connection) waiting: after this
  // many reads and answers the connection goes to the back of the line.
  int budget = 32;
  while (c.state != State::kSendingFile) {
    if (budget-- == 0) {
      ready_.insert(c.id);
      return;
    }
    if (c.writing()) {
      switch (c.Flush(epoll_.get(), now_)) {
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
      if (!Sent(c)) return;
    }

    // Parse only once the end of a head may be there: a client sending one
    // byte at a time must not cost a full parse per byte.
    RequestHeadParse parse;
    const size_t end = c.in.find("\r\n\r\n", c.scanned);
    if (end != std::string::npos || c.in.size() >= options_.max_head_bytes ||
        HasBareLf(c.in, c.scanned)) {
      parse = ParseRequestHead(c.in, options_.max_head_bytes);
    } else {
      c.scanned = c.in.size() < 3 ? 0 : c.in.size() - 3;
    }
    if (parse.outcome == ParseOutcome::kComplete) {
      ++requests_;
      const HttpRequest& request = parse.request;
      c.response.started = c.head_started;
      if (log_.enabled()) {
        c.response.method = std::string(request.method);
        c.response.target = std::string(request.target);
      }
      Respond(c, options_.stats_page && IsStatsRequest(request)
                     ? (PublishStats(),
                        TextResponse(200, "application/json", board_->Json(),
                                     &request, Date()))
                     : RespondToRequest(request, *files_, now_, Date()));
      c.in.erase(0, parse.consumed);
      c.scanned = 0;
      continue;
    }
    if (parse.outcome == ParseOutcome::kError) {
      ++requests_;
      c.response.started = c.head_started;
      c.response.method = "-";
      c.response.target = "-";
      Respond(c, ErrorResponse(parse.error_status, nullptr, Date()));
      c.in.clear();
      c.scanned = 0;
      continue;
    }

    if (c.readable) {
      const Io read =
          c.ReadMore(absl::MakeSpan(scratch_.get(), kReadChunk), now_);
      if (read == Io::kDone) continue;
      // A failed read, or the peer's EOF: whatever partial request is left
      // can never complete.
      if (read == Io::kFailed || read == Io::kEof) {
        Close(c);
        return;
      }
    }
    SetTimer(c, c.in.empty() ? now_ + options_.keepalive_timeout
                             : c.head_started + options_.header_timeout);
    return;
  }
}

void Worker::Respond(Connection& c, Response response) {
  c.response.status = response.status;
  c.response.close = response.close;
  if (response.file != nullptr) {
    TransferSpec spec;
    spec.socket_fd = c.fd.get();
    spec.file_fd = response.file->fd();
    spec.offset = response.offset;
    spec.count = response.count;
    spec.header = std::move(response.head);
    spec.idle_timeout = options_.send_timeout;
    spec.min_rate = options_.min_rate;
    spec.max_rate = options_.max_rate;
    const uint64_t id = c.id;
    absl::StatusOr<TransferId> transfer = engine_->Submit(
        std::move(spec), [this, id](TransferId, const TransferResult& result) {
          OnTransferDone(id, result);
        });
    if (transfer.ok()) {
      c.file = std::move(response.file);
      c.state = State::kSendingFile;
      submitted_ = true;
      SetTimer(c, absl::InfiniteFuture());
      return;
    }
    // Only an engine being destroyed refuses a checked spec; say so.
    response = ErrorResponse(503, nullptr, Date());
    c.response.status = response.status;
    c.response.close = true;
  }
  c.out = std::move(response.head);
  c.out.append(response.body);
  c.out_sent = 0;
  c.last_progress = now_;
  c.state = State::kWriting;
}

void Worker::OnTransferDone(uint64_t id, const TransferResult& result) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  c.file.reset();
  c.writable = true;  // the engine saw its edges; send() will tell
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
  if (Sent(c)) Advance(c);
}

bool Worker::Sent(Connection& c) {
  // A pipelined head already begun waits from now, not from before this
  // response.
  c.head_started = now_;
  if (c.response.close) {
    Linger(c);
    return false;
  }
  c.state = State::kReading;
  return true;
}

void Worker::Linger(Connection& c) {
  if (c.state != State::kLingering) {
    c.state = State::kLingering;
    ::shutdown(c.fd.get(), SHUT_WR);
    SetTimer(c, now_ + options_.linger_timeout);
  }
  // Bounded per call; the linger timer bounds the total.
  for (int i = 0; i < 16 && c.readable; ++i) {
    const Io read =
        c.ReadMore(absl::MakeSpan(scratch_.get(), kReadChunk), now_);
    c.in.clear();
    if (read == Io::kEof || read == Io::kFailed) {
      Close(c);
      return;
    }
  }
}

void Worker::Close(Connection& c) {
  SetTimer(c, absl::InfiniteFuture());
  // Null while Shutdown() destroys the engine (its callbacks may close).
  if (engine_ != nullptr) engine_->ForgetFd(c.fd.get());
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
    if (c.state == State::kLingering || c.writing() || c.in.empty()) {
      Close(c);
      continue;
    }
    // A request head still incomplete after header_timeout: a slowloris
    // client, or a broken one. Say so, then close.
    c.response.started = c.head_started;
    c.response.method = "-";
    c.response.target = "-";
    c.in.clear();
    c.scanned = 0;
    Respond(c, ErrorResponse(408, nullptr, Date()));
    Advance(c);
  }
}

void Worker::LogResponse(const Connection& c, uint64_t bytes,
                         absl::string_view outcome) {
  log_.Add(c.response.method, c.response.target, c.response.status, bytes,
           outcome, c.response.started);
}

void Worker::PublishStats() {
  published_ = now_;
  tools::ThreadSnapshot snapshot;
  snapshot.backend = std::string(BackendKindName(engine_->backend()));
  snapshot.engine = engine_->stats();
  snapshot.counters = {{"connections_accepted", accepted_},
                       {"connections_open", connections_.size()},
                       {"requests", requests_},
                       {"open_file_cache_files", files_->size()},
                       {"open_file_cache_hits", files_->counters().hits},
                       {"open_file_cache_opens", files_->counters().opens}};
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
