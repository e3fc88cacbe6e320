// Copyright 2026 The sluice Authors.

#include "tests/testing/fixtures.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace sluice::testing {

std::string PatternSlice(uint64_t size, uint64_t offset, uint64_t count) {
  std::string out;
  if (offset >= size) return out;
  const uint64_t end = offset + std::min(count, size - offset);
  out.resize(end - offset);
  for (uint64_t i = offset; i < end; ++i) out[i - offset] = PatternByte(i);
  return out;
}

PatternFile::PatternFile(uint64_t size) : size_(size) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string templ = absl::StrCat(dir != nullptr ? dir : "/tmp",
                                   "/sluice-pattern-XXXXXX");
  const int fd = ::mkstemp(templ.data());
  if (fd < 0) {
    ADD_FAILURE() << "mkstemp: " << std::strerror(errno);
    return;
  }
  path_ = templ;
  UniqueFd writer(fd);
  constexpr uint64_t kChunk = 1 << 20;
  for (uint64_t at = 0; at < size; at += kChunk) {
    const std::string chunk = PatternSlice(size, at, kChunk);
    if (::pwrite(fd, chunk.data(), chunk.size(), static_cast<off_t>(at)) !=
        static_cast<ssize_t>(chunk.size())) {
      ADD_FAILURE() << "pwrite: " << std::strerror(errno);
      return;
    }
  }
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_.valid()) ADD_FAILURE() << "open: " << std::strerror(errno);
}

PatternFile::~PatternFile() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

const char* TransportName(Transport transport) {
  switch (transport) {
    case Transport::kUnix:
      return "Unix";
    case Transport::kTcp4:
      return "Tcp4";
    case Transport::kTcp6:
      return "Tcp6";
  }
  return "Unknown";
}

namespace {

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrFormat("%s: %s", what,
                                             std::strerror(errno)));
}

absl::StatusOr<StreamPair> MakeTcpPair(int family) {
  UniqueFd listener(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return Errno("socket");
  sockaddr_storage address{};
  socklen_t length;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = in6addr_loopback;
    length = sizeof(sockaddr_in6);
  }
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length) !=
      0) {
    return Errno("bind");
  }
  if (::listen(listener.get(), 1) != 0) return Errno("listen");
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address),
                    &length) != 0) {
    return Errno("getsockname");
  }
  StreamPair pair;
  pair.sender.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!pair.sender.valid()) return Errno("socket");
  if (::connect(pair.sender.get(), reinterpret_cast<sockaddr*>(&address),
                length) != 0) {
    return Errno("connect");
  }
  pair.receiver.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!pair.receiver.valid()) return Errno("accept4");
  return pair;
}

}  // namespace

absl::StatusOr<StreamPair> MakeStreamPair(Transport transport) {
  switch (transport) {
    case Transport::kUnix: {
      int fds[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return Errno("socketpair");
      }
      StreamPair pair;
      pair.sender.reset(fds[0]);
      pair.receiver.reset(fds[1]);
      return pair;
    }
    case Transport::kTcp4:
      return MakeTcpPair(AF_INET);
    case Transport::kTcp6:
      return MakeTcpPair(AF_INET6);
  }
  return absl::InvalidArgumentError("unknown transport");
}

bool TransportAvailable(Transport transport) {
  return MakeStreamPair(transport).ok();
}

Drainer::Drainer(int fd, absl::Duration limit)
    : fd_(fd), limit_(limit), thread_([this] {
        const absl::Time end = absl::Now() + limit_;
        char buffer[64 * 1024];
        while (absl::Now() < end) {
          pollfd p{fd_, POLLIN, 0};
          if (::poll(&p, 1, 100) <= 0) continue;
          const ssize_t n = ::read(fd_, buffer, sizeof(buffer));
          if (n > 0) {
            data_.append(buffer, static_cast<size_t>(n));
            continue;
          }
          if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
          break;
        }
      }) {}

Drainer::~Drainer() {
  if (thread_.joinable()) thread_.join();
}

std::string Drainer::Join() {
  if (thread_.joinable()) thread_.join();
  return data_;
}

namespace {

// Reads every fd of `fds` until each reaches EOF or `limit` passes, handing
// each chunk to `got(i, data, size)` for the i-th fd and its end to
// `ended(i, eof)`.
template <typename Got, typename Ended>
void ReadEach(const std::vector<int>& fds, absl::Duration limit, Got got,
              Ended ended) {
  std::vector<pollfd> open;
  std::vector<size_t> index;
  for (size_t i = 0; i < fds.size(); ++i) {
    open.push_back(pollfd{fds[i], POLLIN, 0});
    index.push_back(i);
  }
  const absl::Time end = absl::Now() + limit;
  std::vector<char> buffer(256 * 1024);
  while (!open.empty() && absl::Now() < end) {
    if (::poll(open.data(), open.size(), 100) <= 0) continue;
    for (size_t i = 0; i < open.size();) {
      if (open[i].revents == 0) {
        ++i;
        continue;
      }
      const ssize_t n = ::read(open[i].fd, buffer.data(), buffer.size());
      if (n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN))) {
        if (n > 0) got(index[i], buffer.data(), static_cast<size_t>(n));
        open[i].revents = 0;
        ++i;
        continue;
      }
      ended(index[i], n == 0);
      open[i] = open.back();
      open.pop_back();
      index[i] = index.back();
      index.pop_back();
    }
  }
}

}  // namespace

std::vector<std::string> DrainAll(const std::vector<int>& fds,
                                  absl::Duration limit) {
  std::vector<std::string> data(fds.size());
  ReadEach(
      fds, limit,
      [&](size_t i, const char* bytes, size_t size) {
        data[i].append(bytes, size);
      },
      [](size_t, bool) {});
  return data;
}

std::vector<StreamCheck> CheckStreams(const std::vector<int>& fds,
                                      const std::vector<ExpectedStream>& expected,
                                      absl::Duration limit) {
  std::vector<StreamCheck> checks(fds.size());
  ReadEach(
      fds, limit,
      [&](size_t i, const char* bytes, size_t size) {
        StreamCheck& check = checks[i];
        const ExpectedStream& want = expected[i];
        for (size_t k = 0; k < size && check.first_mismatch < 0; ++k) {
          const uint64_t at = check.received + k;
          const char expected_byte =
              at < want.header.size()
                  ? want.header[at]
                  : PatternByte(want.offset + at - want.header.size());
          if (bytes[k] != expected_byte) {
            check.first_mismatch = static_cast<int64_t>(at);
          }
        }
        check.received += size;
      },
      [&](size_t i, bool eof) { checks[i].eof = eof; });
  return checks;
}

std::string ReadAvailable(int fd) {
  std::string data;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n > 0) {
      data.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return data;
  }
}

int CountOpenFds() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own fd
}

}  // namespace sluice::testing
