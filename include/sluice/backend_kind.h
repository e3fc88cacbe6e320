// Copyright 2026 The sluice Authors.
//
// backend_kind.h: which mechanism moves the bytes of a transfer.
//
// An `Engine` runs one backend, chosen at `Engine::Create()`. `kAuto` asks the
// engine to probe the kernel and take the best backend it allows, best first:
// io_uring, then sendfile(2), then pread+send. The chosen backend is reported
// by `Engine::backend()`, never silently guessed.
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

// The lower-case name used in flags and reports: "auto", "iouring",
// "sendfile", "readsend".
absl::string_view BackendKindName(BackendKind kind);

// Parses a name as printed by BackendKindName() (case-insensitive; "io_uring"
// and "read_send" are accepted too). Returns InvalidArgument naming the
// accepted values for anything else.
absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view name);

// Returns OK if an engine with `kind` can be created on this build and this
// kernel, else the reason: Unimplemented when the build lacks it,
// FailedPrecondition or PermissionDenied when the kernel refuses it. `kAuto`
// is always OK (read+send is always available).
absl::Status ProbeBackend(BackendKind kind);

// The concrete backends that ProbeBackend() accepts, best first.
std::vector<BackendKind> AvailableBackends();

}  // namespace sluice

#endif  // SLUICE_BACKEND_KIND_H_
