// Copyright 2026 The sluice Authors.

#include "tests/testing/faults.h"

#include <dirent.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace sluice::testing {

FdTable OpenFds() {
  FdTable fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    ADD_FAILURE() << "cannot list /proc/self/fd";
    return fds;
  }
  const int own = ::dirfd(dir);
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    char target[PATH_MAX];
    const ssize_t n =
        ::readlinkat(own, entry->d_name, target, sizeof(target) - 1);
    fds[fd] = n > 0 ? std::string(target, static_cast<size_t>(n)) : "?";
  }
  ::closedir(dir);
  return fds;
}

std::vector<std::string> NewFds(const FdTable& before) {
  std::vector<std::string> added;
  for (const auto& [fd, target] : OpenFds()) {
    // A file unlinked meanwhile reads "path (deleted)": still the same fd.
    const auto it = before.find(fd);
    if (it == before.end() ||
        (it->second != target && it->second + " (deleted)" != target)) {
      added.push_back(absl::StrCat("fd ", fd, " -> ", target));
    }
  }
  return added;
}

bool SigpipeIsDefault() {
  struct sigaction current {};
  return ::sigaction(SIGPIPE, nullptr, &current) == 0 &&
         current.sa_handler == SIG_DFL;
}

StreamPair SmallPair(Transport transport) {
  absl::StatusOr<StreamPair> pair = MakeStreamPair(transport);
  EXPECT_TRUE(pair.ok()) << pair.status();
  if (!pair.ok()) return StreamPair();
  ShrinkBuffers(*pair, kSmallSocketBuffer);
  return *std::move(pair);
}

std::string ResponseHead(size_t size) {
  std::string head = "HTTP/1.1 200 OK\r\nX-Pad: ";
  while (head.size() + 4 < size) head.push_back('a' + head.size() % 26);
  head += "\r\n\r\n";
  return head;
}

void ShrinkBuffers(const StreamPair& pair, int bytes) {
  EXPECT_EQ(::setsockopt(pair.sender.get(), SOL_SOCKET, SO_SNDBUF, &bytes,
                         sizeof(bytes)),
            0);
  EXPECT_EQ(::setsockopt(pair.receiver.get(), SOL_SOCKET, SO_RCVBUF, &bytes,
                         sizeof(bytes)),
            0);
}

absl::StatusOr<uint64_t> TcpBytesAccepted(int fd) {
  tcp_info info{};
  socklen_t size = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0) {
    return absl::ErrnoToStatus(errno, "getsockopt(TCP_INFO)");
  }
  if (size < offsetof(tcp_info, tcpi_bytes_acked) + sizeof(uint64_t)) {
    return absl::UnimplementedError(
        "this kernel's TCP_INFO has no bytes_acked");
  }
  int queued = 0;
  if (::ioctl(fd, SIOCOUTQ, &queued) != 0) {
    return absl::ErrnoToStatus(errno, "ioctl(SIOCOUTQ)");
  }
  return info.tcpi_bytes_acked + static_cast<uint64_t>(queued);
}

std::string ReadExactly(int fd, size_t count, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  std::string data(count, '\0');
  size_t at = 0;
  while (at < count && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, data.data() + at, count - at, MSG_DONTWAIT);
    if (n > 0) {
      at += static_cast<size_t>(n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      break;
    }
  }
  data.resize(at);
  return data;
}

GatedReceiver::GatedReceiver(int fd, size_t first, absl::Duration limit)
    : thread_([this, fd, first, limit, gate = gate_.get_future()]() mutable {
        const absl::Time deadline = absl::Now() + limit;
        data_ = ReadExactly(fd, first, limit);
        at_gate_ = true;
        const auto wait = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(
            std::max(deadline - absl::Now(), absl::ZeroDuration())));
        if (gate.wait_for(wait) != std::future_status::ready) return;
        data_ += DrainAll({fd}, deadline - absl::Now()).front();
      }) {}

GatedReceiver::~GatedReceiver() { Join(); }

void GatedReceiver::Open() {
  if (opened_) return;
  opened_ = true;
  gate_.set_value();
}

std::string GatedReceiver::Join() {
  Open();
  if (thread_.joinable()) thread_.join();
  return data_;
}

bool RunFor(Engine& engine, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (engine.live_transfers() > 0 && absl::Now() < deadline) {
    absl::StatusOr<size_t> polled = engine.Poll(absl::Milliseconds(50));
    EXPECT_TRUE(polled.ok()) << polled.status();
    if (!polled.ok()) return false;
  }
  return engine.live_transfers() == 0;
}

std::string FirstDifference(const std::string& received,
                            const std::string& expected) {
  const size_t common = std::min(received.size(), expected.size());
  for (size_t i = 0; i < common; ++i) {
    if (received[i] != expected[i]) {
      return absl::StrCat("byte ", i, " of ", received.size(), " received (",
                          expected.size(), " expected) differs");
    }
  }
  if (received.size() != expected.size()) {
    return absl::StrCat(received.size(), " bytes received, ", expected.size(),
                        " expected (the common prefix matches)");
  }
  return "";
}

namespace {
constexpr uint64_t kBystanderFile = 400000;
}  // namespace

Bystander::Bystander() : file_(kBystanderFile) {
  absl::StatusOr<StreamPair> pair = MakeStreamPair(Transport::kUnix);
  EXPECT_TRUE(pair.ok()) << pair.status();
  if (pair.ok()) pair_ = *std::move(pair);
  drainer_.emplace(pair_.receiver.get());
  spec_.socket_fd = pair_.sender.get();
  spec_.file_fd = file_.fd();
  spec_.offset = 77;
  spec_.count = 300007;
  spec_.header = "bystander\r\n";
}

Bystander::~Bystander() {
  // The drain ends at EOF, whatever happened.
  pair_.sender.reset();
}

void Bystander::Submit(Engine& engine) {
  absl::StatusOr<TransferId> id =
      engine.Submit(spec_, [this](TransferId, const TransferResult& r) {
        ++calls_;
        result_ = r;
        ::shutdown(pair_.sender.get(), SHUT_WR);
      });
  EXPECT_TRUE(id.ok()) << id.status();
}

void Bystander::ExpectByteExact() {
  const std::string received = drainer_->Join();
  EXPECT_EQ(calls_, 1) << "the bystander's callback";
  EXPECT_TRUE(result_.status.ok()) << "bystander: " << result_.status;
  EXPECT_EQ(result_.bytes_sent, *spec_.count);
  EXPECT_EQ(FirstDifference(received, spec_.header + file_.Slice(spec_.offset,
                                                                 *spec_.count)),
            "")
      << "the bystander's stream";
}

FdLimitScope::FdLimitScope() { ::getrlimit(RLIMIT_NOFILE, &saved_); }

FdLimitScope::~FdLimitScope() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

uint64_t FdLimitScope::RaiseTo(uint64_t want) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < want) {
    limit.rlim_cur = std::min<rlim_t>(want, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur < want) {
    // Past the hard limit: only with CAP_SYS_RESOURCE.
    rlimit raised{want, std::max<rlim_t>(want, limit.rlim_max)};
    ::setrlimit(RLIMIT_NOFILE, &raised);
  }
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

bool FdLimitScope::AllowOnly(int free) {
  const FdTable open = OpenFds();
  int unused_seen = 0;
  for (int fd = 0; fd < INT_MAX; ++fd) {
    if (open.contains(fd)) continue;
    if (unused_seen++ < free) continue;
    // `fd` is the (free + 1)-th unused number: the limit stops there.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    if (static_cast<rlim_t>(fd) > limit.rlim_cur) return false;
    limit.rlim_cur = static_cast<rlim_t>(fd);
    return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
  }
  return false;
}

}  // namespace sluice::testing
