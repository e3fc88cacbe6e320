// Copyright 2026 The sluice Authors.
//
// Fuzzes PlanTransfer() (engine/transfer_plan.h), the check every
// Engine::Submit() runs on a TransferSpec, against real fds of every kind,
// made once per process, and an oracle that asks the OS about the same fds
// itself. The contract (sluice/transfer.h, sluice/engine.h) as checked:
// - a spec is accepted exactly when count != 0, offset + count <= 2^63 - 1,
//   the socket is an open SOCK_STREAM socket, the source is open for
//   reading and not a directory, and a source without offsets (pipe,
//   socket, device) starts at offset 0;
// - a refusal is InvalidArgument or FailedPrecondition, the code of one of
//   the faults the spec has, and its message names an fd;
// - an accepted plan carries the spec: fds, offset, header, trailer,
//   timeouts, count (promised), or for a non-empty regular file without a
//   count the bytes from offset to its end (0 past it).
//
// Input (bytes past the end read as 0):
//   [0] socket fd   [1] source fd      choice: an entry of the fd table,
//                                      a small raw fd number, or negative
//   [2] offset mode [3..10] value      little-endian; see Offset()
//   [11] count mode [12..19] value     see Count()
//   [20] idle timeout in ms (0: none)  [21] header length
//   then the header, and the rest is the trailer.

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/transfer_plan.h"
#include "sluice/transfer.h"
#include "tests/fuzz/fuzz_check.h"

namespace sluice::internal {
namespace {

constexpr uint64_t kMaxOffset = std::numeric_limits<int64_t>::max();
constexpr uint64_t kFileSize = 4096;

int Must(int fd, const char* what) {
  if (fd < 0) {
    std::perror(what);
    std::abort();
  }
  return fd;
}

// One fd of every kind a caller might hand Submit(), made once and never
// closed (the table outlives every input).
std::vector<int> MakeFdTable() {
  std::vector<int> fds;
  char path[] = "/tmp/sluice-transfer-spec-fuzz-XXXXXX";
  const int read_write = Must(::mkstemp(path), "mkstemp");
  const std::string bytes(kFileSize, 'x');
  if (::write(read_write, bytes.data(), bytes.size()) !=
      static_cast<ssize_t>(bytes.size())) {
    std::abort();
  }
  fds.push_back(read_write);
  fds.push_back(Must(::open(path, O_RDONLY | O_CLOEXEC), "open"));
  fds.push_back(Must(::open(path, O_WRONLY | O_CLOEXEC), "open write-only"));
  fds.push_back(Must(::open(path, O_PATH | O_CLOEXEC), "open O_PATH"));
  ::unlink(path);
  const int empty = Must(::memfd_create("empty", MFD_CLOEXEC), "memfd");
  fds.push_back(empty);
  fds.push_back(Must(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), "/"));
  fds.push_back(Must(::open("/dev/null", O_RDONLY | O_CLOEXEC), "/dev/null"));
  fds.push_back(Must(::eventfd(0, EFD_CLOEXEC), "eventfd"));
  int pair[2];
  Must(::pipe2(pair, O_CLOEXEC), "pipe2");
  fds.push_back(pair[0]);
  fds.push_back(pair[1]);
  for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET}) {
    Must(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, pair), "socketpair");
    fds.push_back(pair[0]);
    fds.push_back(pair[1]);
  }
  // A stream socket that was never connected.
  fds.push_back(Must(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), "sock"));
  // A number that was an fd and is closed now (nothing reopens it: the
  // table is made once and the target opens nothing else).
  const int closed = Must(::dup(read_write), "dup");
  ::close(closed);
  fds.push_back(closed);
  fds.push_back(987654);  // past any fd table
  return fds;
}

struct Input {
  absl::string_view data;
  size_t at = 0;

  uint8_t Byte() { return at < data.size() ? data[at++] : (at++, 0); }
  uint64_t U64() {
    uint64_t value = 0;
    for (int i = 0; i < 8; ++i) value |= uint64_t{Byte()} << (8 * i);
    return value;
  }
  std::string Bytes(size_t n) {
    const size_t start = std::min(at, data.size());
    at += n;
    return std::string(data.substr(start, n));
  }
  std::string Rest() {
    const size_t start = std::min(at, data.size());
    at = data.size();
    return std::string(data.substr(start));
  }
};

int Fd(uint8_t choice, const std::vector<int>& table) {
  if (choice < table.size()) return table[choice];
  if (choice >= 250) return choice == 255 ? INT_MIN : 249 - choice;  // < 0
  return choice - static_cast<int>(table.size());  // 0, 1, 2, ... raw
}

// Offsets near the interesting edges: 0, the file's size, 2^63 and 2^64.
uint64_t Offset(uint8_t mode, uint64_t value) {
  const auto small = static_cast<int8_t>(value);
  switch (mode % 5) {
    case 0:
      return value;
    case 1:
      return value & 0xffff;
    case 2:
      return kFileSize + small;
    case 3:
      return kMaxOffset - (value & 0xff) + (mode & 0x80 ? 1 : 0);
    default:
      return std::numeric_limits<uint64_t>::max() - (value & 0xff);
  }
}

std::optional<uint64_t> Count(uint8_t mode, uint64_t value, uint64_t offset) {
  const auto small = static_cast<int8_t>(value);
  switch (mode % 6) {
    case 0:
      return std::nullopt;
    case 1:
      return 0;
    case 2:
      return value & 0xffff;
    case 3:
      return value;
    case 4:  // around the largest count the offset allows
      return kMaxOffset - offset + small;
    default:
      return std::numeric_limits<uint64_t>::max() - (value & 0xff);
  }
}

// What the OS says about an fd, asked independently of PlanTransfer().
struct FdFacts {
  bool open = false;
  struct stat st = {};
  bool readable = false;  // open for reading (not write-only, not O_PATH)
  int socket_type = -1;   // SO_TYPE, or -1 for no socket
};

FdFacts Facts(int fd) {
  FdFacts facts;
  if (fd < 0 || ::fstat(fd, &facts.st) != 0) return facts;
  facts.open = true;
  const int flags = ::fcntl(fd, F_GETFL);
  facts.readable =
      flags >= 0 && (flags & O_PATH) == 0 && (flags & O_ACCMODE) != O_WRONLY;
  int type = 0;
  socklen_t len = sizeof(type);
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0) {
    facts.socket_type = type;
  }
  return facts;
}

// The codes of the faults `spec` has; empty if Submit() must accept it.
std::vector<absl::StatusCode> Faults(const TransferSpec& spec) {
  using absl::StatusCode;
  std::vector<StatusCode> faults;
  if (spec.count == 0) faults.push_back(StatusCode::kInvalidArgument);
  if (spec.offset > kMaxOffset ||
      spec.count.value_or(0) > kMaxOffset - spec.offset) {
    faults.push_back(StatusCode::kInvalidArgument);
  }
  const FdFacts socket = Facts(spec.socket_fd);
  if (socket.socket_type != SOCK_STREAM) {
    faults.push_back(StatusCode::kInvalidArgument);
  }
  const FdFacts file = Facts(spec.file_fd);
  if (!file.open || S_ISDIR(file.st.st_mode)) {
    faults.push_back(StatusCode::kInvalidArgument);
  } else {
    if (!file.readable) faults.push_back(StatusCode::kFailedPrecondition);
    const bool has_offsets =
        S_ISREG(file.st.st_mode) || S_ISBLK(file.st.st_mode);
    if (!has_offsets && spec.offset != 0) {
      faults.push_back(StatusCode::kInvalidArgument);
    }
  }
  return faults;
}

void CheckPlan(const TransferSpec& spec, const TransferPlan& plan) {
  SLUICE_FUZZ_CHECK(plan.endpoints.socket_fd == spec.socket_fd);
  SLUICE_FUZZ_CHECK(plan.endpoints.file_fd == spec.file_fd);
  SLUICE_FUZZ_CHECK(plan.offset == spec.offset);
  SLUICE_FUZZ_CHECK(plan.header == spec.header);
  SLUICE_FUZZ_CHECK(plan.trailer == spec.trailer);
  SLUICE_FUZZ_CHECK(plan.idle_timeout == spec.idle_timeout);
  SLUICE_FUZZ_CHECK(plan.deadline == spec.deadline);
  SLUICE_FUZZ_CHECK(plan.length_promised == spec.count.has_value());
  const FdFacts file = Facts(spec.file_fd);
  const bool regular = S_ISREG(file.st.st_mode);
  SLUICE_FUZZ_CHECK((plan.endpoints.source == SourceKind::kRegularFile) ==
                    (regular || S_ISBLK(file.st.st_mode)));
  if (spec.count.has_value()) {
    SLUICE_FUZZ_CHECK(plan.length == spec.count);
    SLUICE_FUZZ_CHECK(*plan.length > 0);
  } else if (regular && file.st.st_size > 0) {
    const auto size = static_cast<uint64_t>(file.st.st_size);
    SLUICE_FUZZ_CHECK(plan.length ==
                      (size > spec.offset ? size - spec.offset : 0));
  } else {
    SLUICE_FUZZ_CHECK(!plan.length.has_value());
  }
  SLUICE_FUZZ_CHECK(plan.endpoints.size_hint == plan.length.value_or(0));
}

// Builds a spec from the input, checks it and compares with the oracle.
void Check(absl::string_view data) {
  static const std::vector<int>& table = *new std::vector<int>(MakeFdTable());
  Input in{data};
  TransferSpec spec;
  spec.socket_fd = Fd(in.Byte(), table);
  spec.file_fd = Fd(in.Byte(), table);
  const uint8_t offset_mode = in.Byte();
  spec.offset = Offset(offset_mode, in.U64());
  const uint8_t count_mode = in.Byte();
  spec.count = Count(count_mode, in.U64(), spec.offset);
  if (const uint8_t ms = in.Byte(); ms != 0) {
    spec.idle_timeout = absl::Milliseconds(ms);
  }
  spec.header = in.Bytes(in.Byte());
  spec.trailer = in.Rest();

  const std::vector<absl::StatusCode> faults = Faults(spec);
  const absl::StatusOr<TransferPlan> plan = PlanTransfer(spec);
  if (faults.empty()) {
    SLUICE_FUZZ_CHECK(plan.ok());
    CheckPlan(spec, *plan);
    return;
  }
  SLUICE_FUZZ_CHECK(!plan.ok());
  const absl::StatusCode code = plan.status().code();
  SLUICE_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                    code == absl::StatusCode::kFailedPrecondition);
  bool one_of_the_faults = false;
  for (absl::StatusCode fault : faults) one_of_the_faults |= fault == code;
  SLUICE_FUZZ_CHECK(one_of_the_faults);
  SLUICE_FUZZ_CHECK(absl::StrContains(plan.status().message(), "fd "));
}

}  // namespace
}  // namespace sluice::internal

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::internal::Check(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
