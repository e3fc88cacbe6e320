// Copyright 2026 The sluice Authors.
//
// Reading the receiving end of stream sockets, for the sinks of the tools,
// tests and benchmarks: one recv(2) at a time (ReceiveSome), or every fd
// of a set until each reaches EOF (ReadStreams).
//
//   std::vector<char> buffer(kBufferBytes);
//   ReceiveResult r = sluice::tools::ReceiveSome(fd, buffer, Keep::kCount);
//
//   sluice::tools::ReadStreams(fds, Keep::kBytes, absl::Now() + limit,
//       [&](size_t i, const char* data, size_t size) { ... },
//       [&](size_t i, bool eof) { ... });

#ifndef SLUICE_TOOLS_NET_STREAM_READER_H_
#define SLUICE_TOOLS_NET_STREAM_READER_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace sluice::tools {

// What a receiver wants of the bytes.
enum class Keep {
  // The bytes themselves.
  kBytes,
  // Only how many arrived: recv(2) gets MSG_TRUNC, which on TCP drops the
  // bytes without copying them (on AF_UNIX the kernel still copies).
  kCount,
  // The same, for a TCP socket only: the bytes are dropped without a copy,
  // a buffer's worth per call; the buffer is not written. (Asking for more
  // than the buffer, as this once did to drop all that is queued in one
  // call, fails with EFAULT where the buffer lies within that much of the
  // top of the address space: under TSan with ASLR off it did.)
  kCountTcp,
};

// Whether `fd` is a TCP (IPv4 or IPv6) socket, for choosing kCountTcp.
bool IsTcpSocket(int fd);

struct ReceiveResult {
  enum class Kind { kData, kWouldBlock, kEof, kError };
  Kind kind = Kind::kError;
  // Bytes received (kData only).
  size_t bytes = 0;
};

// One recv(2) of at most buffer.size() bytes from the stream socket `fd`
// (borrowed), without blocking; EINTR is retried. With Keep::kCount the
// buffer's contents are undefined afterwards, but it must still be real
// and as large as it says: on AF_UNIX stream sockets MSG_TRUNC does not
// discard, the kernel copies into the buffer. With Keep::kCountTcp it is
// not written.
ReceiveResult ReceiveSome(int fd, absl::Span<char> buffer, Keep keep);

// Reads every fd of `fds` (borrowed stream sockets; Keep::kCount becomes
// kCountTcp for the TCP ones) until each reaches EOF
// or fails, or `deadline` passes, on the calling thread, one recv(2) per
// ready fd in turn. Each chunk from fds[i] goes to got(i, data, size) —
// `data` is null with Keep::kCount — and each fd's end to ended(i, eof),
// `eof` false when it failed. Fds still open at the deadline get no
// ended() call.
void ReadStreams(absl::Span<const int> fds, Keep keep, absl::Time deadline,
                 absl::FunctionRef<void(size_t, const char*, size_t)> got,
                 absl::FunctionRef<void(size_t, bool)> ended);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_NET_STREAM_READER_H_
