// Copyright 2026 The sluice Authors.

#include "tests/testing/fixtures.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/address.h"
#include "net/stream_reader.h"
#include "pattern/pattern_file.h"

namespace sluice::testing {

PatternFile::PatternFile(uint64_t size) : size_(size) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string templ =
      absl::StrCat(dir != nullptr ? dir : "/tmp", "/sluice-pattern-XXXXXX");
  UniqueFd writer(::mkstemp(templ.data()));
  if (!writer.valid()) {
    ADD_FAILURE() << absl::ErrnoToStatus(errno, "mkstemp");
    return;
  }
  path_ = templ;
  if (absl::Status written = tools::WritePattern(writer.get(), size);
      !written.ok()) {
    ADD_FAILURE() << written;
    return;
  }
  fd_.reset(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd_.valid()) ADD_FAILURE() << absl::ErrnoToStatus(errno, "open");
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

absl::StatusOr<StreamPair> MakeStreamPair(Transport transport) {
  switch (transport) {
    case Transport::kUnix: {
      int fds[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        return absl::ErrnoToStatus(errno, "socketpair");
      }
      StreamPair pair;
      pair.sender.reset(fds[0]);
      pair.receiver.reset(fds[1]);
      return pair;
    }
    case Transport::kTcp4:
    case Transport::kTcp6: {
      absl::StatusOr<tools::Address> loopback = tools::ParseAddress(
          transport == Transport::kTcp4 ? "127.0.0.1:0" : "[::1]:0");
      if (!loopback.ok()) return loopback.status();
      absl::StatusOr<std::vector<StreamPair>> pairs =
          tools::ConnectedPairs(*loopback, 1);
      if (!pairs.ok()) return pairs.status();
      return std::move(pairs->front());
    }
  }
  return absl::InvalidArgumentError("unknown transport");
}

bool TransportAvailable(Transport transport) {
  return MakeStreamPair(transport).ok();
}

Drainer::Drainer(int fd, absl::Duration limit)
    : thread_([this, fd, deadline = absl::Now() + limit] {
        data_ = std::move(DrainAll({fd}, deadline - absl::Now()).front());
      }) {}

Drainer::~Drainer() {
  if (thread_.joinable()) thread_.join();
}

std::string Drainer::Join() {
  if (thread_.joinable()) thread_.join();
  return data_;
}

std::vector<std::string> DrainAll(const std::vector<int>& fds,
                                  absl::Duration limit) {
  std::vector<std::string> data(fds.size());
  tools::ReadStreams(
      fds, tools::Keep::kBytes, absl::Now() + limit,
      [&](size_t i, const char* bytes, size_t size) {
        data[i].append(bytes, size);
      },
      [](size_t, bool) {});
  return data;
}

std::vector<StreamCheck> CheckStreams(
    const std::vector<int>& fds, const std::vector<ExpectedStream>& expected,
    absl::Duration limit) {
  std::vector<StreamCheck> checks(fds.size());
  tools::ReadStreams(
      fds, tools::Keep::kBytes, absl::Now() + limit,
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
  std::vector<char> buffer(64 * 1024);
  while (true) {
    const tools::ReceiveResult r =
        tools::ReceiveSome(fd, absl::MakeSpan(buffer), tools::Keep::kBytes);
    if (r.kind != tools::ReceiveResult::Kind::kData) return data;
    data.append(buffer.data(), r.bytes);
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
