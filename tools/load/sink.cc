// Copyright 2026 The sluice Authors.

#include "load/sink.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <unordered_map>
#include <utility>

#include "load/frame.h"
#include "load/stream_verifier.h"
#include "net/stream_reader.h"
#include "pattern/pattern_matcher.h"
#include "process/cpu_time.h"

namespace sluice::load {
namespace {

// One received stream: what it got and, with verification, where its
// check stands.
struct Stream {
  uint64_t bytes = 0;
  StreamVerifier verifier;

  Ack ack() const {
    return Ack{.bytes = bytes,
               .frames = verifier.frames(),
               .mismatched_bytes = verifier.mismatched_bytes()};
  }
};

void PutLittleEndian(uint64_t value, char* to) {
  for (int i = 0; i < 8; ++i) to[i] = static_cast<char>(value >> (8 * i));
}

uint64_t GetLittleEndian(const char* from) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= uint64_t{static_cast<unsigned char>(from[i])} << (8 * i);
  }
  return value;
}

}  // namespace

std::array<char, kAckBytes> EncodeAck(const Ack& ack) {
  std::array<char, kAckBytes> wire;
  PutLittleEndian(ack.bytes, wire.data());
  PutLittleEndian(ack.frames, wire.data() + 8);
  PutLittleEndian(ack.mismatched_bytes, wire.data() + 16);
  return wire;
}

Ack DecodeAck(const std::array<char, kAckBytes>& wire) {
  return Ack{.bytes = GetLittleEndian(wire.data()),
             .frames = GetLittleEndian(wire.data() + 8),
             .mismatched_bytes = GetLittleEndian(wire.data() + 16)};
}

// A reader thread with its own epoll set; the acceptor hands it fds.
struct LoadSink::Worker {
  LoadSink* sink = nullptr;
  int epoll = -1;
  int wake = -1;
  std::mutex mutex;
  std::deque<int> incoming;
  std::unordered_map<int, Stream> streams;
  std::vector<char> buffer = std::vector<char>(256 * 1024);
  tools::PatternMatcher matcher;
  std::thread thread;

  void Hand(int fd) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      incoming.push_back(fd);
    }
    const uint64_t one = 1;
    (void)!::write(wake, &one, sizeof(one));
  }

  void Close(int fd, bool answer) {
    const Ack ack = streams[fd].ack();
    if (answer) {
      // The sender shut its side down and waits for this.
      const std::array<char, kAckBytes> wire = EncodeAck(ack);
      (void)!::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL);
    }
    {
      std::lock_guard<std::mutex> lock(sink->totals_mutex_);
      ++sink->totals_.connections;
      sink->totals_.bytes += ack.bytes;
      sink->totals_.frames += ack.frames;
      sink->totals_.mismatched_bytes += ack.mismatched_bytes;
    }
    ::epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    streams.erase(fd);
  }

  // Reads `fd` until it would block; false once it is closed.
  bool Read(int fd) {
    Stream& stream = streams[fd];
    const tools::Keep keep = sink->verify_ ? tools::Keep::kBytes
                             : sink->address_.family() == AF_UNIX
                                 ? tools::Keep::kCount
                                 : tools::Keep::kCountTcp;
    while (true) {
      const tools::ReceiveResult r =
          tools::ReceiveSome(fd, absl::MakeSpan(buffer), keep);
      switch (r.kind) {
        case tools::ReceiveResult::Kind::kData:
          stream.bytes += r.bytes;
          if (sink->verify_) {
            stream.verifier.Check(buffer.data(), r.bytes, matcher);
          }
          continue;
        case tools::ReceiveResult::Kind::kWouldBlock:
          return true;
        case tools::ReceiveResult::Kind::kEof:
        case tools::ReceiveResult::Kind::kError:
          Close(fd, /*answer=*/r.kind == tools::ReceiveResult::Kind::kEof);
          return false;
      }
    }
  }

  void Run() {
    epoll_event events[256];
    while (!sink->stop_.load()) {
      const int n = ::epoll_wait(epoll, events, 256, 200);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == wake) {
          uint64_t count;
          (void)!::read(wake, &count, sizeof(count));
          std::deque<int> fresh;
          {
            std::lock_guard<std::mutex> lock(mutex);
            fresh.swap(incoming);
          }
          for (const int s : fresh) {
            ::fcntl(s, F_SETFL, ::fcntl(s, F_GETFL) | O_NONBLOCK);
            streams[s] = Stream();
            epoll_event event{};
            event.events = EPOLLIN | EPOLLRDHUP;
            event.data.fd = s;
            ::epoll_ctl(epoll, EPOLL_CTL_ADD, s, &event);
          }
          continue;
        }
        Read(fd);
      }
    }
    while (!streams.empty()) Close(streams.begin()->first, false);
  }
};

absl::StatusOr<std::unique_ptr<LoadSink>> LoadSink::Start(Address address,
                                                          int threads,
                                                          bool verify) {
  absl::StatusOr<tools::UniqueFd> listener = Listen(address);
  if (!listener.ok()) return listener.status();
  std::unique_ptr<LoadSink> sink(
      new LoadSink(address, *std::move(listener), verify));
  for (int i = 0; i < std::max(1, threads); ++i) {
    auto worker = std::make_unique<Worker>();
    worker->sink = sink.get();
    worker->epoll = ::epoll_create1(EPOLL_CLOEXEC);
    worker->wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = worker->wake;
    ::epoll_ctl(worker->epoll, EPOLL_CTL_ADD, worker->wake, &event);
    Worker* raw = worker.get();
    worker->thread = std::thread([raw] { raw->Run(); });
    sink->workers_.push_back(std::move(worker));
  }
  LoadSink* raw = sink.get();
  sink->acceptor_ = std::thread([raw] { raw->AcceptLoop(); });
  return sink;
}

LoadSink::LoadSink(Address address, tools::UniqueFd listener, bool verify)
    : address_(address), listener_(std::move(listener)), verify_(verify) {}

LoadSink::~LoadSink() {
  stop_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& worker : workers_) {
    const uint64_t one = 1;
    (void)!::write(worker->wake, &one, sizeof(one));
    if (worker->thread.joinable()) worker->thread.join();
    ::close(worker->epoll);
    ::close(worker->wake);
  }
  if (address_.family() == AF_UNIX) {
    ::unlink(reinterpret_cast<const sockaddr_un*>(&address_.storage)->sun_path);
  }
}

void LoadSink::AcceptLoop() {
  size_t next = 0;
  while (!stop_.load()) {
    pollfd p{listener_.get(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    workers_[next++ % workers_.size()]->Hand(fd);
  }
}

SinkTotals LoadSink::totals() const {
  std::lock_guard<std::mutex> lock(totals_mutex_);
  return totals_;
}

double LoadSink::cpu_seconds() const {
  double total = 0;
  for (const auto& worker : workers_) {
    total += tools::ThreadCpuSeconds(worker->thread);
  }
  return total;
}

}  // namespace sluice::load
