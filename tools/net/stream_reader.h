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
  // bytes without copying them.
  kCount,
};

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
// discard, the kernel copies into the buffer.
ReceiveResult ReceiveSome(int fd, absl::Span<char> buffer, Keep keep);

// Reads every fd of `fds` (borrowed stream sockets) until each reaches EOF
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
