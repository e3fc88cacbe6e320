// Copyright 2026 The sluice Authors.
//
// The --backends flag of the tools that compare backends: a comma-separated
// list of concrete backends, run in the order named.
//
//   absl::StatusOr<sluice::tools::BackendList> list =
//       sluice::tools::ParseBackendList("iouring,sendfile");
//   if (!list.ok()) ... usage error: list.status().message() ...
//   for (const auto& [kind, why] : list->skipped) ... say it is skipped ...
//   for (sluice::BackendKind kind : list->usable) ... run it ...

#ifndef SLUICE_TOOLS_FLAGS_BACKEND_LIST_H_
#define SLUICE_TOOLS_FLAGS_BACKEND_LIST_H_

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sluice/backend_kind.h"

namespace sluice::tools {

struct BackendList {
  // The named backends ProbeBackend() accepts here, in the order named.
  std::vector<BackendKind> usable;
  // The named backends it refuses, each with its reason.
  std::vector<std::pair<BackendKind, absl::Status>> skipped;
};

// Parses "iouring,sendfile,readsend" (names as ParseBackendKind() reads
// them; empty: every backend AvailableBackends() lists) and probes each.
// InvalidArgument names a part that is not a concrete backend ("auto"
// included: a comparison wants to know what it ran).
absl::StatusOr<BackendList> ParseBackendList(absl::string_view text);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_BACKEND_LIST_H_
