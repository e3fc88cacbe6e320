// Copyright 2026 The sluice Authors.
//
// One name table per enum behind both printing and parsing, so a name can
// never be printed that does not parse back.

#include "sluice/backend_kind.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace sluice {
namespace {

template <typename Enum>
struct NameEntry {
  Enum value;
  absl::string_view name;
  // Another spelling that parses to `value` ("" for none).
  absl::string_view alias = "";
};

constexpr NameEntry<BackendKind> kBackendNames[] = {
    {BackendKind::kAuto, "auto"},
    {BackendKind::kIoUring, "iouring", "io_uring"},
    {BackendKind::kSendfile, "sendfile"},
    {BackendKind::kReadSend, "readsend", "read_send"},
};

constexpr NameEntry<DataPath> kDataPathNames[] = {
    {DataPath::kAuto, "auto"},
    {DataPath::kSendfile, "sendfile"},
    {DataPath::kSplice, "splice"},
    {DataPath::kCopy, "copy"},
};

template <typename Enum, size_t N>
absl::string_view NameOf(const NameEntry<Enum> (&table)[N], Enum value) {
  for (const NameEntry<Enum>& entry : table) {
    if (entry.value == value) return entry.name;
  }
  return "unknown";
}

template <typename Enum, size_t N>
absl::StatusOr<Enum> Parse(const NameEntry<Enum> (&table)[N],
                           absl::string_view what, absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const NameEntry<Enum>& entry : table) {
    if (lower == entry.name || (!entry.alias.empty() && lower == entry.alias)) {
      return entry.value;
    }
  }
  return absl::InvalidArgumentError(absl::StrFormat(
      "unknown %s \"%s\"; expected one of %s", what, name,
      absl::StrJoin(table, ", ", [](std::string* out, const auto& entry) {
        out->append(entry.name.data(), entry.name.size());
      })));
}

}  // namespace

absl::string_view BackendKindName(BackendKind kind) {
  return NameOf(kBackendNames, kind);
}

absl::string_view DataPathName(DataPath path) {
  return NameOf(kDataPathNames, path);
}

absl::StatusOr<BackendKind> ParseBackendKind(absl::string_view name) {
  return Parse(kBackendNames, "backend", name);
}

absl::StatusOr<DataPath> ParseDataPath(absl::string_view name) {
  return Parse(kDataPathNames, "data path", name);
}

}  // namespace sluice
