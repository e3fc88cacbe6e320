// Copyright 2026 The sluice Authors.

#include "engine/backend_factory.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/read_send_backend.h"
#include "engine/sendfile_backend.h"
#include "engine/sluice_config.h"
#include "engine/uring_backend.h"

namespace sluice {
namespace internal {
namespace {

constexpr BackendKind kBestFirst[] = {
    BackendKind::kIoUring, BackendKind::kSendfile, BackendKind::kReadSend};

absl::StatusOr<std::unique_ptr<Backend>> CreateExactly(
    BackendKind kind, const EngineOptions& options, EngineStats& stats) {
  switch (kind) {
    case BackendKind::kIoUring:
      return CreateUringBackend(options, stats);
    case BackendKind::kSendfile:
      return CreateSendfileBackend(options, stats);
    case BackendKind::kReadSend:
      return CreateReadSendBackend(options, stats);
    case BackendKind::kAuto:
      break;
  }
  return absl::InvalidArgumentError("kAuto is not a concrete backend");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(
    const EngineOptions& options, EngineStats& stats) {
  if (options.backend != BackendKind::kAuto) {
    return CreateExactly(options.backend, options, stats);
  }
  std::string passed_over;
  absl::Status last;
  for (const BackendKind kind : kBestFirst) {
    absl::StatusOr<std::unique_ptr<Backend>> backend =
        CreateExactly(kind, options, stats);
    if (backend.ok()) {
      stats.backend_note = passed_over;
      return backend;
    }
    absl::StrAppend(&passed_over, passed_over.empty() ? "" : "; ",
                    BackendKindName(kind), ": ", backend.status().ToString());
    last = backend.status();
  }
  return last;
}

}  // namespace internal

absl::Status ProbeBackend(BackendKind kind) {
  if (kind == BackendKind::kAuto) return absl::OkStatus();
  EngineStats scratch;
  return internal::CreateExactly(kind, EngineOptions{.backend = kind}, scratch)
      .status();
}

std::vector<BackendKind> AvailableBackends() {
  std::vector<BackendKind> available;
  for (const BackendKind kind : internal::kBestFirst) {
    if (ProbeBackend(kind).ok()) available.push_back(kind);
  }
  return available;
}

}  // namespace sluice
