// Copyright 2026 The sluice Authors.

#include "load/soak.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "load/frame.h"
#include "load/stream_verifier.h"
#include "net/address.h"
#include "pattern/pattern_matcher.h"
#include "posix/unique_fd.h"

namespace sluice::load {
namespace {

constexpr uint64_t kNoReset = UINT64_MAX;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// AddressSanitizer's quarantine keeps freed memory (up to 256 MiB), and
// ThreadSanitizer's shadow memory grows with what it tracks, so RSS rises
// through any run: growth says nothing about leaks there.
constexpr bool kRssMeansLeaks = false;
#else
constexpr bool kRssMeansLeaks = true;
#endif
constexpr size_t kAnomalyExamples = 20;
constexpr int kStatusCodes = 17;

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

class Anomalies {
 public:
  void Add(std::string what) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++count_;
    if (examples_.size() < kAnomalyExamples) {
      examples_.push_back(std::move(what));
    }
  }
  uint64_t count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }
  std::vector<std::string> examples() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return examples_;
  }

 private:
  mutable std::mutex mutex_;
  uint64_t count_ = 0;
  std::vector<std::string> examples_;
};

// What the two ends of one connection saw; reconciled when both are done.
struct Ledger {
  uint64_t serial = 0;
  // The offset in the connection's stream at which the receiver resets it;
  // set by the sender before it submits the transfer with the reset fault.
  std::atomic<uint64_t> reset_at{kNoReset};

  std::mutex mutex;
  int ends_done = 0;
  // The sender's side: bytes the socket accepted over all transfers,
  // transfers that sent head and body entirely, and the last transfer.
  uint64_t sent = 0;
  uint64_t whole_transfers = 0;
  std::string last;
  // The receiver's side.
  uint64_t received = 0;
  uint64_t frames = 0;
  uint64_t mismatched = 0;
  bool reset = false;
  bool read_error = false;
};

// What every thread of one soak shares.
struct Shared {
  Shared(const SoakConfig& c, std::FILE* p) : config(c), progress(p) {}

  const SoakConfig& config;
  std::FILE* const progress;
  const absl::Time start = absl::Now();
  Anomalies anomalies;
  std::atomic<uint64_t> tickets{0};  // transfers started (or refused)
  std::atomic<uint64_t> ended{0};    // callbacks run
  std::atomic<uint64_t> opened{0};   // connections
  std::atomic<uint64_t> reconciled{0};
  std::atomic<uint64_t> sender_ends{0};  // connections the sender closed
  std::atomic<uint64_t> resets{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> verified{0};
  std::atomic<uint64_t> mismatched{0};
  std::atomic<int> next_decile{1};
  std::atomic<int> senders_running{0};
  std::mutex samples_mutex;
  std::vector<SoakSample> samples;

  void Sample(const std::string& label) {
    SoakSample s;
    s.label = label;
    s.transfers = ended.load();
    s.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    s.usage = tools::CurrentUsage();
    if (progress != nullptr) {
      std::fprintf(progress,
                   "soak %s/%s: %-8s %10llu transfers %8.1f s  RSS %7.1f MiB "
                   " %5lld fds\n",
                   std::string(BackendKindName(config.engine.backend)).c_str(),
                   config.transport.c_str(), label.c_str(),
                   static_cast<unsigned long long>(s.transfers), s.seconds,
                   MiB(s.usage.rss_bytes),
                   static_cast<long long>(s.usage.open_fds));
      std::fflush(progress);
    }
    std::lock_guard<std::mutex> lock(samples_mutex);
    samples.push_back(s);
  }

  // Both ends of `ledger` are done (its mutex held): do they agree?
  void Reconcile(const Ledger& l) {
    const std::string where =
        absl::StrFormat("connection #%d (last transfer: %s)", l.serial, l.last);
    if (l.read_error) {
      anomalies.Add(absl::StrCat(where, ": the receiver's read failed"));
    }
    if (l.mismatched > 0) {
      anomalies.Add(absl::StrFormat("%s: %d received bytes unlike the pattern",
                                    where, l.mismatched));
    }
    const uint64_t reset_at = l.reset_at.load();
    if (l.reset) {
      if (l.received > l.sent) {
        anomalies.Add(absl::StrFormat(
            "%s: reset after the receiver read %d bytes, more than the %d "
            "the sender's results say were sent",
            where, l.received, l.sent));
      }
    } else {
      if (reset_at != kNoReset) {
        anomalies.Add(absl::StrFormat(
            "%s: a reset was planned at byte %d but the receiver reached "
            "EOF at %d",
            where, reset_at, l.received));
      }
      if (l.received != l.sent) {
        anomalies.Add(absl::StrFormat(
            "%s: the sender's results say %d bytes were sent, the receiver "
            "got %d",
            where, l.sent, l.received));
      } else if (l.frames != l.whole_transfers) {
        anomalies.Add(absl::StrFormat(
            "%s: %d transfers sent whole, the receiver parsed %d", where,
            l.whole_transfers, l.frames));
      }
    }
    reconciled.fetch_add(1);
  }

  // Records one end's part of `ledger`; the second end reconciles.
  template <typename Fill>
  void EndOf(Ledger& ledger, Fill fill) {
    std::lock_guard<std::mutex> lock(ledger.mutex);
    fill(ledger);
    if (++ledger.ends_done == 2) Reconcile(ledger);
  }
};

// The receiving side: threads that read every connection to its end (or
// to its reset point), checking each byte.
class Receiver {
 public:
  Receiver(Shared& shared, int threads) : shared_(shared) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      auto worker = std::make_unique<Worker>();
      worker->epoll.reset(::epoll_create1(EPOLL_CLOEXEC));
      worker->wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = worker->wake.get();
      ::epoll_ctl(worker->epoll.get(), EPOLL_CTL_ADD, worker->wake.get(),
                  &event);
      Worker* raw = worker.get();
      worker->thread = std::thread([this, raw] { Run(*raw); });
      workers_.push_back(std::move(worker));
    }
  }

  // Stops the threads; connections still open are closed unreconciled.
  ~Receiver() {
    stop_.store(true);
    for (auto& worker : workers_) {
      Wake(*worker);
      worker->thread.join();
    }
  }

  void Add(tools::UniqueFd fd, std::shared_ptr<Ledger> ledger) {
    Worker& worker = *workers_[next_.fetch_add(1) % workers_.size()];
    {
      std::lock_guard<std::mutex> lock(worker.mutex);
      worker.incoming.push_back({std::move(fd), std::move(ledger)});
    }
    Wake(worker);
  }

 private:
  struct Connection {
    tools::UniqueFd fd;
    std::shared_ptr<Ledger> ledger;
    uint64_t received = 0;
    StreamVerifier verifier;
  };
  struct Worker {
    tools::UniqueFd epoll;
    tools::UniqueFd wake;
    std::mutex mutex;
    std::deque<std::pair<tools::UniqueFd, std::shared_ptr<Ledger>>> incoming;
    std::unordered_map<int, Connection> open;
    std::vector<char> buffer = std::vector<char>(256 * 1024);
    tools::PatternMatcher matcher;
    std::thread thread;
  };
  enum class End { kEof, kReset, kError };

  static void Wake(Worker& worker) {
    const uint64_t one = 1;
    (void)!::write(worker.wake.get(), &one, sizeof(one));
  }

  void Run(Worker& w) {
    epoll_event events[256];
    while (!stop_.load()) {
      const int n = ::epoll_wait(w.epoll.get(), events, 256, 100);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == w.wake.get()) {
          uint64_t count;
          (void)!::read(w.wake.get(), &count, sizeof(count));
          Accept(w);
          continue;
        }
        auto it = w.open.find(fd);
        if (it != w.open.end()) Read(w, it->second);
      }
    }
    w.open.clear();
  }

  void Accept(Worker& w) {
    std::deque<std::pair<tools::UniqueFd, std::shared_ptr<Ledger>>> fresh;
    {
      std::lock_guard<std::mutex> lock(w.mutex);
      fresh.swap(w.incoming);
    }
    for (auto& [fd, ledger] : fresh) {
      const int raw = fd.get();
      ::fcntl(raw, F_SETFL, ::fcntl(raw, F_GETFL) | O_NONBLOCK);
      Connection& c = w.open[raw];
      c.fd = std::move(fd);
      c.ledger = std::move(ledger);
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP;
      event.data.fd = raw;
      ::epoll_ctl(w.epoll.get(), EPOLL_CTL_ADD, raw, &event);
    }
  }

  // Reads `c` until it would block, reaches its end or its reset point.
  void Read(Worker& w, Connection& c) {
    while (true) {
      // Loaded before each read, so a read stops at the reset point once
      // the plan is known; a read that raced the plan may pass it.
      const uint64_t reset_at =
          c.ledger->reset_at.load(std::memory_order_acquire);
      if (c.received >= reset_at) return Finish(w, c, End::kReset);
      const size_t want = static_cast<size_t>(
          std::min<uint64_t>(w.buffer.size(), reset_at - c.received));
      const ssize_t n = ::recv(c.fd.get(), w.buffer.data(), want, 0);
      if (n > 0) {
        c.verifier.Check(w.buffer.data(), static_cast<size_t>(n), w.matcher);
        c.received += static_cast<uint64_t>(n);
        continue;
      }
      if (n == 0) return Finish(w, c, End::kEof);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      return Finish(w, c, End::kError);
    }
  }

  void Finish(Worker& w, Connection& c, End end) {
    // SO_LINGER 0: close() resets the connection (TCP sends RST; a unix
    // socket closed with unread data gives its peer ECONNRESET). After an
    // EOF it only spares the port a TIME_WAIT: every byte has been read.
    const linger abort{.l_onoff = 1, .l_linger = 0};
    ::setsockopt(c.fd.get(), SOL_SOCKET, SO_LINGER, &abort, sizeof(abort));
    ::epoll_ctl(w.epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
    const int fd = c.fd.get();
    c.fd.reset();
    shared_.received.fetch_add(c.received);
    shared_.verified.fetch_add(c.verifier.verified_bytes());
    shared_.mismatched.fetch_add(c.verifier.mismatched_bytes());
    if (end == End::kReset) shared_.resets.fetch_add(1);
    shared_.EndOf(*c.ledger, [&](Ledger& l) {
      l.received = c.received;
      l.frames = c.verifier.frames();
      l.mismatched = c.verifier.mismatched_bytes();
      l.reset = end == End::kReset;
      l.read_error = end == End::kError;
    });
    w.open.erase(fd);
  }

  Shared& shared_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> next_{0};  // sender threads hand connections in
};

// One sender thread: an engine, its connections and their transfers.
class Sender {
 public:
  Sender(Shared& shared, Receiver& receiver, int index, int connections)
      : shared_(shared),
        config_(shared.config),
        receiver_(receiver),
        index_(index),
        connections_(connections),
        rng_(shared.config.seed * 7919 + static_cast<uint64_t>(index)) {}

  // The listener its connections come through; before Run().
  absl::Status Listen() {
    absl::StatusOr<tools::Address> address = tools::ParseAddress(
        config_.transport == "unix"
            ? absl::StrFormat("unix:/tmp/sluice-soak-%d-%d", ::getpid(), index_)
            : "127.0.0.1:0");
    if (!address.ok()) return address.status();
    address_ = *address;
    if (address_.family() == AF_UNIX) Unlink();
    absl::StatusOr<tools::UniqueFd> listener = tools::Listen(address_);
    if (!listener.ok()) return listener.status();
    listener_ = *std::move(listener);
    return absl::OkStatus();
  }

  ~Sender() {
    listener_.reset();
    if (address_.family() == AF_UNIX) Unlink();
  }

  void Run() {
    absl::StatusOr<std::unique_ptr<Engine>> engine =
        Engine::Create(config_.engine);
    if (!engine.ok()) {
      failure_ = engine.status();
      Finished();
      return;
    }
    engine_ = engine->get();
    conns_.resize(static_cast<size_t>(connections_));
    for (auto& c : conns_) {
      c = std::make_unique<Conn>();
      if (Open(*c)) StartNext(*c);
    }
    while (engine_->live_transfers() > 0 || !idle_.empty()) {
      FireCancels();
      Reopen();
      absl::Duration wait = absl::Milliseconds(idle_.empty() ? 20 : 1);
      if (!cancels_.empty()) {
        wait = std::clamp(cancels_.top().at - absl::Now(), absl::ZeroDuration(),
                          wait);
      }
      if (engine_->live_transfers() == 0) {
        // The receiver is behind: let it catch up, but not forever.
        const uint64_t reconciled = shared_.reconciled.load();
        if (reconciled != last_reconciled_) {
          last_reconciled_ = reconciled;
          stalled_since_ = absl::Now();
        } else if (absl::Now() - stalled_since_ > absl::Seconds(60)) {
          shared_.anomalies.Add(
              "the receiver finished no connection for 60 s; stopping");
          stopping_ = true;
        }
        absl::SleepFor(wait);
        continue;
      }
      absl::StatusOr<size_t> polled = engine_->Poll(wait);
      if (!polled.ok()) {
        failure_ = polled.status();
        break;
      }
      MaybeSample();
    }
    stopping_ = true;
    stats_ = engine_->stats();
    Finished();
    // Transfers still live (only after a failed Poll) end Cancelled here.
    engine->reset();
    engine_ = nullptr;
    for (auto& c : conns_) {
      if (c->open) Retire(*c);
    }
  }

  void AddTo(SoakResult& result) const {
    for (int f = 0; f < kFaultKinds; ++f) {
      for (int code = 0; code < kStatusCodes; ++code) {
        result.outcomes[f][code] += outcomes_[f][code];
      }
    }
    result.cancels_accepted += cancels_accepted_;
    result.cancels_refused += cancels_refused_;
    result.bytes_sent += sent_;
    result.longest_call_ns =
        std::max(result.longest_call_ns, stats_.longest_call_ns);
  }
  const absl::Status& failure() const { return failure_; }

 private:
  struct Conn {
    tools::UniqueFd fd;
    std::shared_ptr<Ledger> ledger;
    bool open = false;
    // Over this connection so far.
    uint64_t sent = 0;
    uint64_t whole = 0;
    // The transfer on it (live or last).
    bool live = false;
    uint64_t serial = 0;
    TransferId id;
    Fault fault = Fault::kNone;
    Pick pick;
    uint64_t head_bytes = 0;
    absl::Time deadline = absl::InfiniteFuture();
    // 0: no Cancel() yet; 1: accepted; -1: refused.
    int cancel = 0;
  };
  struct PendingCancel {
    absl::Time at;
    Conn* conn;
    uint64_t serial;
    bool operator>(const PendingCancel& o) const { return at > o.at; }
  };

  void Unlink() {
    ::unlink(reinterpret_cast<const sockaddr_un*>(&address_.storage)->sun_path);
  }

  void Finished() {
    if (shared_.senders_running.fetch_sub(1) == 1) shared_.Sample("end");
  }

  // A sample at every tenth of the transfers, taken by whichever thread
  // sees the count pass it.
  void MaybeSample() {
    const uint64_t ended = shared_.ended.load();
    int decile = shared_.next_decile.load();
    while (decile <= 9 && ended >= config_.transfers * decile / 10) {
      if (shared_.next_decile.compare_exchange_weak(decile, decile + 1)) {
        shared_.Sample(absl::StrCat(decile * 10, "%"));
        ++decile;
      }
    }
  }

  bool Open(Conn& c) {
    absl::StatusOr<tools::UniqueFd> fd = tools::Connect(address_);
    if (!fd.ok()) {
      shared_.anomalies.Add(absl::StrCat("connect: ", fd.status().ToString()));
      return false;
    }
    tools::UniqueFd peer(
        ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!peer.valid()) {
      shared_.anomalies.Add(absl::StrCat("accept: ", std::strerror(errno)));
      return false;
    }
    c.ledger = std::make_shared<Ledger>();
    c.ledger->serial = shared_.opened.fetch_add(1) + 1;
    receiver_.Add(std::move(peer), c.ledger);
    c.fd = *std::move(fd);
    c.open = true;
    c.sent = 0;
    c.whole = 0;
    return true;
  }

  // Opens fresh connections in the slots of retired ones while the
  // receiver is less than `connections` connections behind: a sender can
  // finish (and retire) small transfers faster than a verifying receiver
  // reads them, and without this bound unread connections, their fds and
  // their kernel buffers would pile up.
  void Reopen() {
    while (!idle_.empty()) {
      if (stopping_ || shared_.tickets.load() >= config_.transfers) {
        idle_.clear();
        return;
      }
      if (shared_.sender_ends.load() - shared_.reconciled.load() >=
          static_cast<uint64_t>(config_.connections)) {
        return;
      }
      Conn& c = *idle_.back();
      idle_.pop_back();
      if (Open(c)) StartNext(c);
    }
  }

  // Closes the sending end; the receiver reads to EOF (or has reset it).
  void Retire(Conn& c) {
    shared_.EndOf(*c.ledger, [&](Ledger& l) {
      l.sent = c.sent;
      l.whole_transfers = c.whole;
      l.last = c.serial == 0 ? "none" : Describe(c);
    });
    shared_.sender_ends.fetch_add(1);
    c.ledger.reset();
    c.fd.reset();
    c.open = false;
  }

  std::string Describe(const Conn& c) const {
    return absl::StrFormat("#%d, fault %s, object %d [%d, +%d), head %d",
                           c.serial, FaultName(c.fault), c.pick.object,
                           c.pick.offset, c.pick.count, c.head_bytes);
  }

  Fault DrawFault() {
    const double x = std::uniform_real_distribution<double>(0, 1)(rng_);
    double edge = config_.cancel_fraction;
    if (x < edge) return Fault::kCancel;
    edge += config_.deadline_fraction;
    if (x < edge) return Fault::kDeadline;
    edge += config_.reset_fraction;
    if (x < edge) return Fault::kReset;
    return Fault::kNone;
  }

  absl::Duration Delay() {
    const int64_t window_ns = absl::ToInt64Nanoseconds(config_.fault_window);
    if (window_ns <= 0) return absl::ZeroDuration();
    return absl::Nanoseconds(
        static_cast<int64_t>(rng_() % static_cast<uint64_t>(window_ns)));
  }

  void StartNext(Conn& c) {
    const uint64_t ticket =
        stopping_ ? config_.transfers : shared_.tickets.fetch_add(1);
    if (ticket >= config_.transfers) {
      Retire(c);
      return;
    }
    c.serial = ticket + 1;
    c.fault = DrawFault();
    c.pick = config_.objects->Choose(config_.offset_mode, rng_);
    c.cancel = 0;
    TransferSpec spec;
    spec.socket_fd = c.fd.get();
    spec.file_fd = config_.objects->objects()[c.pick.object].fd;
    spec.offset = c.pick.offset;
    spec.count = c.pick.count;
    spec.header = MakeHead(
        {c.pick.object, c.pick.offset, c.pick.count, config_.header_bytes});
    spec.idle_timeout = config_.idle_timeout;
    c.head_bytes = spec.header.size();
    c.deadline = c.fault == Fault::kDeadline ? absl::Now() + Delay()
                                             : absl::InfiniteFuture();
    spec.deadline = c.deadline;
    if (c.fault == Fault::kReset) {
      const uint64_t k = rng_() % (c.head_bytes + c.pick.count);
      c.ledger->reset_at.store(c.sent + k, std::memory_order_release);
    }
    c.live = true;
    Conn* conn = &c;
    absl::StatusOr<TransferId> id = engine_->Submit(
        std::move(spec),
        [this, conn](TransferId, const TransferResult& r) { Done(*conn, r); });
    if (!id.ok()) {
      c.live = false;
      c.ledger->reset_at.store(kNoReset);
      ++outcomes_[static_cast<int>(c.fault)]
                 [static_cast<int>(id.status().code())];
      shared_.ended.fetch_add(1);
      shared_.anomalies.Add(absl::StrFormat("transfer %s: Submit() failed: %s",
                                            Describe(c),
                                            id.status().ToString()));
      Retire(c);
      idle_.push_back(&c);
      return;
    }
    c.id = *id;
    if (c.fault == Fault::kCancel) {
      const absl::Duration delay = Delay();
      if (rng_() % 8 == 0) {
        Cancel(c);
      } else {
        cancels_.push({absl::Now() + delay, &c, c.serial});
      }
    }
  }

  void Cancel(Conn& c) {
    if (engine_->Cancel(c.id)) {
      c.cancel = 1;
      ++cancels_accepted_;
    } else {
      c.cancel = -1;
      ++cancels_refused_;
    }
  }

  void FireCancels() {
    const absl::Time now = absl::Now();
    while (!cancels_.empty() && cancels_.top().at <= now) {
      const PendingCancel due = cancels_.top();
      cancels_.pop();
      if (due.conn->live && due.conn->serial == due.serial &&
          due.conn->cancel == 0) {
        Cancel(*due.conn);
      }
    }
  }

  void Done(Conn& c, const TransferResult& r) {
    c.live = false;
    shared_.ended.fetch_add(1);
    const uint64_t bytes =
        r.header_bytes_sent + r.bytes_sent + r.trailer_bytes_sent;
    c.sent += bytes;
    sent_ += bytes;
    const bool whole = r.header_bytes_sent == c.head_bytes &&
                       r.bytes_sent == c.pick.count &&
                       r.trailer_bytes_sent == 0;
    if (whole) ++c.whole;
    const absl::StatusCode code = r.status.code();
    ++outcomes_[static_cast<int>(c.fault)]
               [std::min(static_cast<int>(code), kStatusCodes - 1)];
    Check(c, r, whole);
    if (c.fault == Fault::kNone && r.status.ok()) {
      StartNext(c);
      return;
    }
    // A fault may have cut the stream mid-transfer: this connection is done,
    // and a fresh one takes its slot (Reopen()).
    Retire(c);
    idle_.push_back(&c);
  }

  // Is `r` what the fault explains?
  void Check(const Conn& c, const TransferResult& r, bool whole) {
    const absl::StatusCode code = r.status.code();
    std::string problem;
    if (r.bytes_sent > c.pick.count) {
      problem = "bytes_sent is above count";
    } else if (r.next_offset != c.pick.offset + r.bytes_sent) {
      problem = absl::StrFormat("next_offset %d is not offset + bytes_sent",
                                r.next_offset);
    } else if (r.header_bytes_sent > c.head_bytes ||
               (r.bytes_sent > 0 && r.header_bytes_sent != c.head_bytes)) {
      problem = absl::StrFormat("header_bytes_sent %d of %d",
                                r.header_bytes_sent, c.head_bytes);
    } else if (r.trailer_bytes_sent != 0) {
      problem = "trailer bytes sent without a trailer";
    } else if (r.status.ok() && !whole) {
      problem = "OK without every byte sent";
    } else {
      switch (c.fault) {
        case Fault::kNone:
          if (!r.status.ok()) problem = "no fault was injected";
          break;
        case Fault::kCancel:
          if (c.cancel == 1 && code != absl::StatusCode::kCancelled) {
            problem = "Cancel() was accepted";
          } else if (c.cancel != 1 && !r.status.ok()) {
            problem = c.cancel == 0 ? "Cancel() had not been called yet"
                                    : "Cancel() was refused";
          }
          break;
        case Fault::kDeadline:
          if (!r.status.ok() && code != absl::StatusCode::kDeadlineExceeded) {
            problem = "only its deadline was injected";
          } else if (code == absl::StatusCode::kDeadlineExceeded &&
                     absl::Now() < c.deadline - absl::Milliseconds(1)) {
            problem =
                absl::StrFormat("its deadline was still %s away",
                                absl::FormatDuration(c.deadline - absl::Now()));
          }
          break;
        case Fault::kReset:
          if (!r.status.ok() && code != absl::StatusCode::kUnavailable) {
            problem = "only a peer reset was injected";
          }
          break;
      }
    }
    if (problem.empty()) return;
    shared_.anomalies.Add(absl::StrFormat(
        "transfer %s ended %s with bytes_sent %d, header_bytes_sent %d: %s",
        Describe(c), r.status.ToString(), r.bytes_sent, r.header_bytes_sent,
        problem));
  }

  Shared& shared_;
  const SoakConfig& config_;
  Receiver& receiver_;
  const int index_;
  const int connections_;
  std::mt19937_64 rng_;
  tools::Address address_;
  tools::UniqueFd listener_;
  Engine* engine_ = nullptr;
  bool stopping_ = false;
  uint64_t last_reconciled_ = 0;
  absl::Time stalled_since_ = absl::Now();
  std::vector<std::unique_ptr<Conn>> conns_;
  // Slots whose connection was retired, waiting for a fresh one.
  std::vector<Conn*> idle_;
  std::priority_queue<PendingCancel, std::vector<PendingCancel>,
                      std::greater<PendingCancel>>
      cancels_;
  std::array<std::array<uint64_t, kStatusCodes>, kFaultKinds> outcomes_{};
  uint64_t cancels_accepted_ = 0;
  uint64_t cancels_refused_ = 0;
  uint64_t sent_ = 0;
  EngineStats stats_;
  absl::Status failure_;
};

const SoakSample* FindSample(const SoakResult& result,
                             const std::string& label) {
  for (const SoakSample& s : result.samples) {
    if (s.label == label) return &s;
  }
  return nullptr;
}

}  // namespace

const char* FaultName(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kCancel:
      return "cancel";
    case Fault::kDeadline:
      return "deadline";
    case Fault::kReset:
      return "reset";
  }
  return "?";
}

absl::StatusOr<SoakResult> RunSoak(const SoakConfig& config,
                                   std::FILE* progress) {
  if (config.objects == nullptr || !config.objects->generated()) {
    return absl::InvalidArgumentError(
        "the soak checks bytes against generated objects");
  }
  Shared shared(config, progress);
  shared.Sample("start");
  const int threads = std::max(1, std::min(config.threads, config.connections));
  SoakResult result;
  {
    Receiver receiver(shared, config.receiver_threads);
    std::vector<std::unique_ptr<Sender>> senders;
    for (int t = 0; t < threads; ++t) {
      const int share = config.connections / threads +
                        (t < config.connections % threads ? 1 : 0);
      senders.push_back(std::make_unique<Sender>(shared, receiver, t, share));
      if (absl::Status listening = senders.back()->Listen(); !listening.ok()) {
        return listening;
      }
    }
    shared.senders_running.store(threads);
    std::vector<std::thread> workers;
    for (auto& sender : senders) {
      workers.emplace_back([s = sender.get()] { s->Run(); });
    }
    for (std::thread& worker : workers) worker.join();
    for (auto& sender : senders) {
      if (!sender->failure().ok()) return sender->failure();
      sender->AddTo(result);
    }
    // Every sending end is closed: the receiver reaches each one's end.
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    while (shared.reconciled.load() < shared.opened.load() &&
           absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (const uint64_t left = shared.opened.load() - shared.reconciled.load();
        left > 0) {
      shared.anomalies.Add(absl::StrFormat(
          "%d connections never reached their end at the receiver", left));
    }
  }
  result.seconds = absl::ToDoubleSeconds(absl::Now() - shared.start);
  shared.Sample("closed");

  result.backend = config.engine.backend;
  result.transport = config.transport;
  result.connections = config.connections;
  result.threads = threads;
  result.transfers = shared.ended.load();
  result.connections_opened = shared.opened.load();
  result.connections_reset = shared.resets.load();
  result.bytes_received = shared.received.load();
  result.bytes_verified = shared.verified.load();
  result.mismatched_bytes = shared.mismatched.load();
  result.rss_growth_limit = config.rss_growth_limit;
  result.samples = shared.samples;
  if (result.transfers != config.transfers) {
    shared.anomalies.Add(absl::StrFormat("%d of %d transfers ran",
                                         result.transfers, config.transfers));
  }
  const SoakSample* start = FindSample(result, "start");
  const SoakSample* warm = FindSample(result, "10%");
  const SoakSample* end = FindSample(result, "end");
  const SoakSample* closed = FindSample(result, "closed");
  if (start != nullptr && closed != nullptr &&
      closed->usage.open_fds > start->usage.open_fds) {
    shared.anomalies.Add(
        absl::StrFormat("%d fds open after the run, %d before it",
                        closed->usage.open_fds, start->usage.open_fds));
  }
  result.rss_checked = kRssMeansLeaks;
  if (kRssMeansLeaks && warm != nullptr && end != nullptr &&
      end->usage.rss_bytes > warm->usage.rss_bytes + config.rss_growth_limit) {
    shared.anomalies.Add(absl::StrFormat(
        "RSS grew from %.1f MiB after warm-up to %.1f MiB at the end (at "
        "most %.1f MiB allowed)",
        MiB(warm->usage.rss_bytes), MiB(end->usage.rss_bytes),
        MiB(config.rss_growth_limit)));
  }
  result.anomalies = shared.anomalies.count();
  result.anomaly_examples = shared.anomalies.examples();
  return result;
}

void PrintSoak(std::FILE* out, const SoakResult& r) {
  std::fprintf(out,
               "soak %s over %s: %llu transfers in %.1f s (%.0f/s), %d "
               "connections, %d thread(s)\n",
               std::string(BackendKindName(r.backend)).c_str(),
               r.transport.c_str(),
               static_cast<unsigned long long>(r.transfers), r.seconds,
               r.seconds > 0 ? double(r.transfers) / r.seconds : 0,
               r.connections, r.threads);
  constexpr absl::StatusCode kColumns[] = {
      absl::StatusCode::kOk, absl::StatusCode::kCancelled,
      absl::StatusCode::kDeadlineExceeded, absl::StatusCode::kUnavailable};
  std::fprintf(out, "  %-9s %10s", "fault", "transfers");
  for (const absl::StatusCode code : kColumns) {
    std::fprintf(out, " %18s", absl::StatusCodeToString(code).c_str());
  }
  std::fprintf(out, " %8s\n", "other");
  std::array<uint64_t, kStatusCodes> totals{};
  for (int f = 0; f < kFaultKinds; ++f) {
    uint64_t all = 0;
    for (int code = 0; code < kStatusCodes; ++code) {
      all += r.outcomes[f][code];
      totals[code] += r.outcomes[f][code];
    }
    uint64_t other = all;
    std::fprintf(out, "  %-9s %10llu", FaultName(static_cast<Fault>(f)),
                 static_cast<unsigned long long>(all));
    for (const absl::StatusCode code : kColumns) {
      const uint64_t n = r.outcomes[f][static_cast<int>(code)];
      other -= n;
      std::fprintf(out, " %18llu", static_cast<unsigned long long>(n));
    }
    std::fprintf(out, " %8llu\n", static_cast<unsigned long long>(other));
  }
  for (int code = 0; code < kStatusCodes; ++code) {
    bool shown = false;
    for (const absl::StatusCode c : kColumns) shown |= int(c) == code;
    if (!shown && totals[code] > 0) {
      std::fprintf(out, "  other: %llu %s\n",
                   static_cast<unsigned long long>(totals[code]),
                   absl::StatusCodeToString(static_cast<absl::StatusCode>(code))
                       .c_str());
    }
  }
  std::fprintf(out,
               "  Cancel() calls: %llu accepted, %llu refused (the transfer "
               "had ended)\n"
               "  connections: %llu opened, %llu reset by the receiver\n"
               "  bytes: %llu sent, %llu received, %llu body bytes verified "
               "against the pattern, %llu wrong\n"
               "  longest data call on an engine thread: %.1f ms\n",
               static_cast<unsigned long long>(r.cancels_accepted),
               static_cast<unsigned long long>(r.cancels_refused),
               static_cast<unsigned long long>(r.connections_opened),
               static_cast<unsigned long long>(r.connections_reset),
               static_cast<unsigned long long>(r.bytes_sent),
               static_cast<unsigned long long>(r.bytes_received),
               static_cast<unsigned long long>(r.bytes_verified),
               static_cast<unsigned long long>(r.mismatched_bytes),
               double(r.longest_call_ns) / 1e6);
  std::fprintf(out, "  %-9s %10s %8s %10s %6s\n", "usage", "transfers",
               "seconds", "RSS MiB", "fds");
  for (const SoakSample& s : r.samples) {
    std::fprintf(out, "  %-9s %10llu %8.1f %10.1f %6lld\n", s.label.c_str(),
                 static_cast<unsigned long long>(s.transfers), s.seconds,
                 MiB(s.usage.rss_bytes),
                 static_cast<long long>(s.usage.open_fds));
  }
  if (r.rss_checked) {
    std::fprintf(out,
                 "  (fds after the run must not exceed those before it; RSS "
                 "may grow at most %.1f MiB from 10%% (warm-up) to end)\n",
                 MiB(r.rss_growth_limit));
  } else {
    std::fprintf(out,
                 "  (fds after the run must not exceed those before it; RSS "
                 "is not checked in a sanitizer build)\n");
  }
  if (r.anomalies == 0) {
    std::fprintf(out, "  anomalies: none\n");
    return;
  }
  std::fprintf(out, "  anomalies: %llu%s\n",
               static_cast<unsigned long long>(r.anomalies),
               r.anomalies > r.anomaly_examples.size() ? ", the first:" : "");
  for (const std::string& a : r.anomaly_examples) {
    std::fprintf(out, "    %s\n", a.c_str());
  }
}

nlohmann::json SoakJson(const SoakResult& r) {
  nlohmann::json outcomes = nlohmann::json::object();
  for (int f = 0; f < kFaultKinds; ++f) {
    nlohmann::json codes = nlohmann::json::object();
    for (int code = 0; code < kStatusCodes; ++code) {
      if (r.outcomes[f][code] == 0) continue;
      codes[absl::StatusCodeToString(static_cast<absl::StatusCode>(code))] =
          r.outcomes[f][code];
    }
    outcomes[FaultName(static_cast<Fault>(f))] = codes;
  }
  nlohmann::json samples = nlohmann::json::array();
  for (const SoakSample& s : r.samples) {
    samples.push_back({{"label", s.label},
                       {"transfers", s.transfers},
                       {"seconds", s.seconds},
                       {"rss_bytes", s.usage.rss_bytes},
                       {"open_fds", s.usage.open_fds}});
  }
  return {
      {"backend", std::string(BackendKindName(r.backend))},
      {"transport", r.transport},
      {"connections", r.connections},
      {"threads", r.threads},
      {"transfers", r.transfers},
      {"seconds", r.seconds},
      {"outcomes", outcomes},
      {"cancels_accepted", r.cancels_accepted},
      {"cancels_refused", r.cancels_refused},
      {"connections_opened", r.connections_opened},
      {"connections_reset", r.connections_reset},
      {"bytes_sent", r.bytes_sent},
      {"bytes_received", r.bytes_received},
      {"bytes_verified", r.bytes_verified},
      {"mismatched_bytes", r.mismatched_bytes},
      {"longest_call_ns", r.longest_call_ns},
      {"samples", samples},
      {"rss_growth_limit", r.rss_growth_limit},
      {"rss_checked", r.rss_checked},
      {"anomalies", r.anomalies},
      {"anomaly_examples", r.anomaly_examples},
  };
}

}  // namespace sluice::load
