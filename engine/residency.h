// Copyright 2026 The sluice Authors.
//
// ResidencyProbe: whether a file range is in the page cache, asked before a
// call that would read it on the engine thread (inline sendfile, pread). A
// read that misses the cache blocks whichever thread issues it, and Linux's
// sendfile(2) has no way to say "only if cached" (no SF_NODISKIO), so the
// engine must know before it calls. A cold range then goes by a path that
// cannot stall the thread: io_uring's io-wq, or the readiness backends'
// I/O threads (cold_reader.h).
//
// cachestat(2) (Linux 6.5+) answers for a whole range in one call, about
// half a microsecond here. Small hot files are asked about so often (one
// 16 KiB response per push, ~13 us each on the 2-vCPU VM) that the call
// would cost several percent of a hot benchmark, so a file of up to
// kSmallFile found wholly resident is trusted for kTrustForNs without
// asking again; a range of a larger file is asked about every time, which
// costs well under 1 % of a 512 KiB push. The price: a small file evicted
// within that window is read in place once. cachestat counts pages that
// readahead has added but not yet filled as cached, so a transfer once
// found cold stays on the cold path (OpenTransfer::cold_source).
//
// Where the kernel lacks cachestat (before 6.5), the probe reads one byte of
// the range's first and of its last page with preadv2(RWF_NOWAIT) (Linux
// 4.14+), which fails with EAGAIN rather than wait for storage: two calls
// instead of one, and a sample rather than a count (a hole in the middle of
// a range goes unseen; sequential reads and readahead make that rare).
// Where neither answers (a file system without RWF_NOWAIT), the range
// counts as resident, and the engine stops asking: it behaves as it did
// before it could tell.

#ifndef SLUICE_ENGINE_RESIDENCY_H_
#define SLUICE_ENGINE_RESIDENCY_H_

#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "engine/backend.h"
#include "sluice/stats.h"

namespace sluice::internal {

// How far past a cold range both cold paths read ahead (io_uring's copy
// path, the readiness backends' cold-read threads): two scheduler quanta.
inline constexpr uint64_t kColdReadAhead = 1 << 20;

class ResidencyProbe {
 public:
  // Files up to this size are asked about whole, and trusted once found
  // resident.
  static constexpr uint64_t kSmallFile = 128 * 1024;
  // How long a small file found resident is trusted, in nanoseconds of
  // CLOCK_MONOTONIC_COARSE (it ticks every few milliseconds; the exact
  // span does not matter, only that it is short).
  static constexpr int64_t kTrustForNs = 50'000'000;

  // How the kernel is asked: cachestat(2), or two RWF_NOWAIT reads.
  enum class Method { kCachestat, kNowaitRead };

  // `enabled` false: every range counts as resident (no probing at all).
  // `method`: where to start (tests force kNowaitRead); kCachestat falls
  // back to kNowaitRead on a kernel without it.
  ResidencyProbe(bool enabled, EngineStats& stats,
                 Method method = Method::kCachestat);

  // Whether [offset, offset + length) of the regular file `endpoints`
  // names may be read on the engine thread without waiting for storage.
  // Streams and empty ranges always may.
  bool IsResident(const TransferEndpoints& endpoints, uint64_t offset,
                  uint64_t length);

  // Whether this probe can tell at all (cachestat exists and is enabled).
  bool active() const { return active_; }

 private:
  bool AskKernel(int fd, uint64_t offset, uint64_t length, bool& resident);
  bool ReadsWithoutWaiting(int fd, uint64_t offset, bool& resident);

  bool active_;
  Method method_;
  EngineStats& stats_;
  // Small files found wholly resident, and when (coarse monotonic ns).
  absl::flat_hash_map<FileId, int64_t> trusted_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_RESIDENCY_H_
