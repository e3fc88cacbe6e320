// Copyright 2026 The sluice Authors.

#include "tools/loopback/loopback.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace sluice::tools {
namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(
      absl::StrFormat("%s: %s", what, std::strerror(errno)));
}

}  // namespace

absl::StatusOr<Connections> Connections::Open(int count) {
  Connections result;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::listen(listener, 4096) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    ::close(listener);
    return Errno("listener");
  }
  for (int i = 0; i < count; ++i) {
    Connection c;
    c.sender = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.sender < 0 ||
        ::connect(c.sender, reinterpret_cast<sockaddr*>(&address), length) !=
            0) {
      if (c.sender >= 0) ::close(c.sender);
      ::close(listener);
      return Errno("connect");
    }
    c.receiver = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (c.receiver < 0) {
      ::close(c.sender);
      ::close(listener);
      return Errno("accept");
    }
    result.connections_.push_back(c);
  }
  ::close(listener);
  return result;
}

Connections::Connections(Connections&& other) noexcept
    : connections_(std::move(other.connections_)) {
  other.connections_.clear();
}

Connections::~Connections() {
  for (const Connection& c : connections_) {
    ::close(c.sender);
    ::close(c.receiver);
  }
}

std::vector<int> Connections::receivers() const {
  std::vector<int> fds;
  for (const Connection& c : connections_) fds.push_back(c.receiver);
  return fds;
}

Sink::Sink(std::vector<int> fds, int threads) {
  threads = std::max(1, threads);
  std::vector<std::vector<int>> shares(threads);
  for (size_t i = 0; i < fds.size(); ++i) shares[i % threads].push_back(fds[i]);
  for (std::vector<int>& share : shares) {
    threads_.emplace_back([this, share = std::move(share)]() mutable {
      Drain(std::move(share));
    });
  }
}

void Sink::Drain(std::vector<int> fds) {
  std::vector<pollfd> open;
  for (int fd : fds) open.push_back(pollfd{fd, POLLIN, 0});
  char scratch[1];
  while (!open.empty()) {
    if (::poll(open.data(), open.size(), 1000) <= 0) continue;
    for (size_t i = 0; i < open.size();) {
      if (open[i].revents == 0) {
        ++i;
        continue;
      }
      // MSG_TRUNC on TCP discards without copying.
      const ssize_t n =
          ::recv(open[i].fd, scratch, 1 << 30, MSG_TRUNC | MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) {
        if (n > 0) {
          received_.fetch_add(static_cast<uint64_t>(n),
                              std::memory_order_relaxed);
        }
        open[i].revents = 0;
        ++i;
        continue;
      }
      open[i] = open.back();
      open.pop_back();
    }
  }
  cpu_micros_.fetch_add(static_cast<int64_t>(ThreadCpuSeconds() * 1e6));
}

Sink::~Sink() { Join(); }

uint64_t Sink::Join() {
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  cpu_seconds_ = static_cast<double>(cpu_micros_.load()) / 1e6;
  return received();
}

absl::StatusOr<int> MakeCachedFile(uint64_t size) {
  char path[] = "/tmp/sluice-data-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return Errno("mkstemp");
  ::unlink(path);
  std::string chunk(1 << 20, '\0');
  for (size_t i = 0; i < chunk.size(); ++i) {
    chunk[i] = static_cast<char>(i * 7 + i / 4096);
  }
  for (uint64_t at = 0; at < size; at += chunk.size()) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(chunk.size(), size - at));
    if (::pwrite(fd, chunk.data(), n, static_cast<off_t>(at)) !=
        static_cast<ssize_t>(n)) {
      ::close(fd);
      return Errno("pwrite");
    }
  }
  // Written back before anything is measured: pages still under writeback
  // made whichever backend ran first look up to 1.35x slower.
  if (::fdatasync(fd) != 0) {
    ::close(fd);
    return Errno("fdatasync");
  }
  return fd;
}

bool ParseByteSize(std::string text, uint64_t& bytes) {
  static constexpr std::pair<const char*, uint64_t> kUnits[] = {
      {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}, {"B", 1}};
  absl::string_view view = text;
  for (const auto& [suffix, scale] : kUnits) {
    if (absl::ConsumeSuffix(&view, suffix)) {
      uint64_t n;
      if (!absl::SimpleAtoi(view, &n)) return false;
      bytes = n * scale;
      return true;
    }
  }
  return absl::SimpleAtoi(view, &bytes);
}

uint64_t RaiseFdLimit(uint64_t want) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < want) {
    limit.rlim_cur = std::min<rlim_t>(want, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

namespace {

double CpuSeconds(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) /
             1e6;
}

}  // namespace

double ThreadCpuSeconds() { return CpuSeconds(RUSAGE_THREAD); }
double ProcessCpuSeconds() { return CpuSeconds(RUSAGE_SELF); }

}  // namespace sluice::tools
