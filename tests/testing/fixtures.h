// Copyright 2026 The sluice Authors.
//
// Shared test fixtures: pattern files whose bytes are a function of their
// offset (so any slice is checkable), connected stream pairs over unix
// sockets and loopback TCP, and receivers that drain sockets on their own
// thread with a time bound. The pattern, the pairs and the reading are the
// tools' own (tools/pattern, tools/net); this adds what only tests need.

#ifndef SLUICE_TESTS_TESTING_FIXTURES_H_
#define SLUICE_TESTS_TESTING_FIXTURES_H_

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/socket_pairs.h"
#include "pattern/pattern.h"
#include "posix/unique_fd.h"
#include "process/fd_limit.h"

namespace sluice::testing {

using tools::PatternByte;
using tools::PatternSlice;
using tools::RaiseFdLimit;
using tools::UniqueFd;

// A temporary pattern file, removed when destroyed.
class PatternFile {
 public:
  // Creates `size` pattern bytes in $TEST_TMPDIR or /tmp; fails the test on
  // error.
  explicit PatternFile(uint64_t size);
  ~PatternFile();
  PatternFile(const PatternFile&) = delete;
  PatternFile& operator=(const PatternFile&) = delete;

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }
  // A read-only fd of the file.
  int fd() const { return fd_.get(); }
  std::string Slice(uint64_t offset, uint64_t count) const {
    return PatternSlice(size_, offset, count);
  }

 private:
  std::string path_;
  uint64_t size_;
  UniqueFd fd_;
};

enum class Transport { kUnix, kTcp4, kTcp6 };
const char* TransportName(Transport transport);

using StreamPair = tools::SocketPair;

// A connected SOCK_STREAM pair; TCP over 127.0.0.1 or ::1 through a listener
// on port 0. Both ends are blocking.
absl::StatusOr<StreamPair> MakeStreamPair(Transport transport);

// True if this host can make pairs of `transport` (::1 may be absent).
bool TransportAvailable(Transport transport);

// Reads `fd` on its own thread until EOF, an error, or `limit` passes.
class Drainer {
 public:
  explicit Drainer(int fd, absl::Duration limit = absl::Seconds(60));
  ~Drainer();
  // Waits for the thread and returns what it read.
  std::string Join();

 private:
  std::string data_;
  std::thread thread_;
};

// Reads every fd of `fds` until each reaches EOF, on the calling thread, or
// until `limit` passes. Returns what each fd delivered.
std::vector<std::string> DrainAll(const std::vector<int>& fds,
                                  absl::Duration limit);

// What a stream should carry: `header`, then pattern bytes from `offset`.
struct ExpectedStream {
  std::string header;
  uint64_t offset = 0;
};

// What a stream carried, checked byte by byte as it arrived.
struct StreamCheck {
  uint64_t received = 0;
  bool eof = false;
  // Stream position of the first byte that differed from the expectation;
  // -1 when none did.
  int64_t first_mismatch = -1;
};

// Reads every fd until it reaches EOF (or `limit` passes), on the calling
// thread, checking each byte against `expected` without keeping the data.
std::vector<StreamCheck> CheckStreams(
    const std::vector<int>& fds, const std::vector<ExpectedStream>& expected,
    absl::Duration limit);

// Reads what `fd` holds now without blocking (until EAGAIN or EOF).
std::string ReadAvailable(int fd);

// Counts the fds this process holds open.
int CountOpenFds();

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_FIXTURES_H_
