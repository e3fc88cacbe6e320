// Copyright 2026 The sluice Authors.
//
// The io_uring backend's data-path policy: which path carries the next file
// bytes of a push. A pure function of what the backend knows at that push,
// so it is unit tested apart from any ring.
//
// Measured on 16 cores, 256 x 4 MiB (docs/measurements/): splice, whose
// work runs on io-wq worker threads, gave 6.1x the sendfile backend with 1
// engine, 5.0x with 2, 2.1x with 4, but 0.75x with 16 engines, where inline
// sendfile gave 1.04x; 0.38x for a single connection. On the 2-vCPU VM it
// swung between 0.7x and 1.35x. So splice needs cores of its own and enough
// transfers to keep its workers busy; inline sendfile serves the rest.

#ifndef SLUICE_ENGINE_DATA_PATH_POLICY_H_
#define SLUICE_ENGINE_DATA_PATH_POLICY_H_

#include <cstddef>
#include <cstdint>

#include "engine/backend.h"
#include "sluice/backend_kind.h"

namespace sluice::internal {

inline constexpr unsigned kSpliceMinCpus = 4;
inline constexpr size_t kSpliceMinTransfers = 4;

struct DataPathInputs {
  // EngineOptions::uring_data_path.
  DataPath requested = DataPath::kAuto;
  SourceKind source = SourceKind::kRegularFile;
  // The transfer's file bytes, where known (0: unknown).
  uint64_t size_hint = 0;
  // EngineOptions::splice_min_bytes.
  uint64_t splice_min_bytes = 0;
  // Transfers open on the engine, this one included.
  size_t open_transfers = 0;
  // CPUs the engine can count on (see cpu_share.h).
  unsigned cpus_per_engine = 1;
  // Whether the push's range is in the page cache. Asked (residency.h)
  // only where the answer matters: see ReadsOnEngineThread().
  bool resident = true;
};

// Whether `path` reads the file on the engine thread, where a read that
// misses the page cache stalls every transfer: only inline sendfile. (The
// readiness backends' own calls are all on the engine thread; they ask
// residency for every file push.)
inline bool ReadsOnEngineThread(DataPath path) {
  return path == DataPath::kSendfile;
}

// kSendfile, kSplice or kCopy (never kAuto). Streams (a relay's socket, a
// pipe) splice, or copy when kCopy is asked for; for files a forced path is
// taken as asked; kAuto splices a large enough transfer when there
// are cores and transfers enough, and sends inline otherwise. A range not
// in the page cache never goes inline: it takes the copy path, whose READ
// io_uring hands to an io-wq worker when the page cache misses.
DataPath ChooseDataPath(const DataPathInputs& inputs);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_DATA_PATH_POLICY_H_
