// Copyright 2026 The sluice Authors.

#include "flags/backend_list.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sluice::tools {

absl::StatusOr<BackendList> ParseBackendList(absl::string_view text) {
  BackendList list;
  if (text.empty()) {
    list.usable = AvailableBackends();
    return list;
  }
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    absl::StatusOr<BackendKind> kind = ParseBackendKind(name);
    if (!kind.ok() || *kind == BackendKind::kAuto) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown backend \"", name,
                       "\"; expected iouring, sendfile or readsend"));
    }
    if (absl::Status probe = ProbeBackend(*kind); !probe.ok()) {
      list.skipped.emplace_back(*kind, std::move(probe));
      continue;
    }
    list.usable.push_back(*kind);
  }
  return list;
}

}  // namespace sluice::tools
