// Copyright 2026 The sluice Authors.

#include "sluice/backend_kind.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace sluice {

absl::string_view BackendKindName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kAuto:
      return "auto";
    case BackendKind::kIoUring:
      return "iouring";
    case BackendKind::kSendfile:
      return "sendfile";
    case BackendKind::kReadSend:
      return "readsend";
  }
  return "unknown";
}

absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "auto") return BackendKind::kAuto;
  if (lower == "iouring" || lower == "io_uring") return BackendKind::kIoUring;
  if (lower == "sendfile") return BackendKind::kSendfile;
  if (lower == "readsend" || lower == "read_send") {
    return BackendKind::kReadSend;
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown backend \"%s\"; expected one of auto, iouring, sendfile, "
      "readsend",
      name));
}

}  // namespace sluice
