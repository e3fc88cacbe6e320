// Copyright 2026 The sluice Authors.
//
// Helpers for the fault matrix (tests/fault_test.cc, fault_source_test.cc,
// fault_engine_test.cc): what the kernel accepted on a TCP socket, a
// receiver that stops at a gate the test opens, a bystander transfer that a
// fault elsewhere must not disturb, the process's open fds, and an fd
// limit set for one test.
//
//   testing::FdTable before = testing::OpenFds();
//   {
//     ... an engine, a fault, the checks ...
//   }
//   EXPECT_THAT(testing::NewFds(before), ::testing::IsEmpty());

#ifndef SLUICE_TESTS_TESTING_FAULTS_H_
#define SLUICE_TESTS_TESTING_FAULTS_H_

#include <sys/resource.h>

#include <atomic>
#include <cstdint>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sluice/engine.h"
#include "tests/testing/fixtures.h"

namespace sluice::testing {

// Each open fd of this process and what it names ("socket:[123]",
// "pipe:[45]", "anon_inode:[io_uring]", a path).
using FdTable = std::map<int, std::string>;
FdTable OpenFds();
// The fds open now that `before` did not have (a number that now names
// something else counts too), as "fd N -> target", for a failure message.
std::vector<std::string> NewFds(const FdTable& before);

// Whether SIGPIPE has its default action (which kills the process): a
// fault test that runs so dies of any SIGPIPE the engine lets through.
bool SigpipeIsDefault();

// Sets SO_SNDBUF on the sender and SO_RCVBUF on the receiver to `bytes`
// (the kernel doubles both); fails the test if it cannot.
void ShrinkBuffers(const StreamPair& pair, int bytes);

// Small socket buffers keep "more than the sockets hold" small. Not 4 KiB:
// on loopback TCP that stalls TCP itself.
inline constexpr int kSmallSocketBuffer = 64 * 1024;
// A connected pair with kSmallSocketBuffer buffers; fails the test (and
// returns an empty pair) if it cannot be made.
StreamPair SmallPair(Transport transport);

// An HTTP response head of exactly `size` bytes (at least 30).
std::string ResponseHead(size_t size);

// TCP only: the bytes send calls on `fd` have handed to the kernel so far:
// those the peer acknowledged plus those still queued (tcpi_bytes_acked +
// SIOCOUTQ), which stays right after a reset. On the connecting side it
// counts the SYN too, so take it once before sending and subtract.
absl::StatusOr<uint64_t> TcpBytesAccepted(int fd);

// Reads exactly `count` bytes of the blocking stream socket `fd`; fewer if
// it ends, fails or `limit` passes first.
std::string ReadExactly(int fd, size_t count, absl::Duration limit);

// Reads `fd` on its own thread: exactly `first` bytes, then it waits at a
// gate until Open(), then it reads until EOF (or `limit` passes). The test
// changes the world while the receiver stands still, so "during the
// transfer" is a point it knows, not a race.
class GatedReceiver {
 public:
  GatedReceiver(int fd, size_t first, absl::Duration limit = absl::Seconds(60));
  // Opens the gate and joins.
  ~GatedReceiver();
  GatedReceiver(const GatedReceiver&) = delete;
  GatedReceiver& operator=(const GatedReceiver&) = delete;

  // Whether the first `first` bytes are in (or the read ended short).
  bool at_gate() const { return at_gate_.load(); }
  void Open();
  // Waits for the thread and returns all it read.
  std::string Join();

 private:
  std::atomic<bool> at_gate_{false};
  std::promise<void> gate_;
  bool opened_ = false;
  std::string data_;
  std::thread thread_;
};

// Polls `engine` until no transfer is live, at most `limit`; false if some
// still are then.
[[nodiscard]] bool RunFor(Engine& engine, absl::Duration limit);

// Where `received` differs from `expected`, for a failure message: "" when
// they are equal.
std::string FirstDifference(const std::string& received,
                            const std::string& expected);

// Another transfer on the engine under test, which a fault elsewhere must
// not disturb: an odd slice of a file of its own, with a header, over a
// unix socket pair drained on its own thread.
class Bystander {
 public:
  Bystander();
  ~Bystander();
  // Submits it; fails the test if Submit() does.
  void Submit(Engine& engine);
  // After the engine ran it: its callback ran once, OK, and the receiver
  // got exactly the header and the slice.
  void ExpectByteExact();

 private:
  PatternFile file_;
  StreamPair pair_;
  std::optional<Drainer> drainer_;
  TransferSpec spec_;
  int calls_ = 0;
  TransferResult result_;
};

// Sets RLIMIT_NOFILE for the life of this object, then puts back what was
// there before.
class FdLimitScope {
 public:
  FdLimitScope();
  ~FdLimitScope();
  FdLimitScope(const FdLimitScope&) = delete;
  FdLimitScope& operator=(const FdLimitScope&) = delete;

  // Raises the soft limit to at least `want`: to the hard limit, and past
  // it where the process may (CAP_SYS_RESOURCE). Returns the soft limit in
  // force after.
  uint64_t RaiseTo(uint64_t want);
  // Lowers the soft limit so that exactly `free` more fds can be opened:
  // just below the (free + 1)-th unused fd number. False if it cannot.
  bool AllowOnly(int free);

 private:
  rlimit saved_{};
};

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_FAULTS_H_
