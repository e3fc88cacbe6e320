// Copyright 2026 The sluice Authors.
//
// backend_kind.h: which mechanism moves the bytes of a transfer.
//
// An `Engine` runs one backend, chosen at `Engine::Create()`. `kAuto` asks the
// engine to probe the kernel and take the best backend it allows, best first:
// io_uring, then sendfile(2), then pread+send. The chosen backend is reported
// by `Engine::backend()`, never silently guessed. Within a backend, a data
// path moves the file bytes of each push; the io_uring backend has three and
// picks one per push (`EngineOptions::uring_data_path`), and every result
// says which one carried the bytes (`TransferResult::data_path`).
//
// Example:
//
//   absl::StatusOr<sluice::BackendKind> kind =
//       sluice::ParseBackendKind(flag_value);
//   if (!kind.ok()) return kind.status();
//   if (absl::Status why = sluice::ProbeBackend(*kind); !why.ok()) {
//     std::cerr << "cannot use " << sluice::BackendKindName(*kind) << ": "
//               << why << "\n";
//   }

#ifndef SLUICE_BACKEND_KIND_H_
#define SLUICE_BACKEND_KIND_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluice {

enum class BackendKind {
  // Probe at Engine::Create() and take the best backend the kernel allows.
  kAuto,
  // io_uring: batched splice/read/send submissions for every transfer.
  kIoUring,
  // sendfile(2) with epoll readiness waiting (Linux).
  kSendfile,
  // pread(2) + send(2) with epoll, or poll(2) where epoll is absent. Portable;
  // also the fallback path for sources that cannot be sent zero-copy.
  kReadSend,
};

// How the file bytes of a push move.
enum class DataPath {
  // As an option: let the engine's policy choose per push (see
  // EngineOptions::uring_data_path). In a result: no push reached the file
  // part.
  kAuto,
  // sendfile(2) on the engine thread: zero copy from the page cache. The
  // sendfile backend's path, and the io_uring backend's inline path.
  kSendfile,
  // file -> pipe -> socket with splice(2), issued through io_uring and run
  // on io-wq worker threads: zero copy, off the engine thread.
  kSplice,
  // read into a buffer, then send: copies through user space, but reads any
  // source. The read+send backend's path, and every backend's fallback for
  // pipes, character devices, sockets and procfs files.
  kCopy,
};

// The lower-case names used in flags and reports: "auto", "iouring",
// "sendfile", "readsend"; "auto", "sendfile", "splice", "copy".
absl::string_view BackendKindName(BackendKind kind);
absl::string_view DataPathName(DataPath path);

// Parse a name as printed by the functions above, case-insensitively
// ("io_uring" and "read_send" are accepted too). InvalidArgument naming the
// accepted values for anything else.
absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view name);
absl::StatusOr<DataPath> ParseDataPath(absl::string_view name);

// Returns OK if an engine with `kind` can be created on this build and this
// kernel, else the reason: Unimplemented when the build lacks it,
// FailedPrecondition or PermissionDenied when the kernel refuses it. `kAuto`
// is always OK (read+send is always available). Probing io_uring creates
// (and destroys) a ring, a few hundred microseconds: probe once, not per
// connection.
absl::Status ProbeBackend(BackendKind kind);

// The concrete backends that ProbeBackend() accepts, best first (one ring
// created for the io_uring probe).
std::vector<BackendKind> AvailableBackends();

}  // namespace sluice

#endif  // SLUICE_BACKEND_KIND_H_
