// Copyright 2026 The sluice Authors.

#include "flags/help_flags.h"

#include <utility>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace sluice::tools {

void ListFlagsOfFile(std::string suffix) {
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [suffix =
                                   std::move(suffix)](absl::string_view file) {
    return absl::EndsWith(file, suffix);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.normalize_filename = [](absl::string_view file) {
    while (absl::ConsumePrefix(&file, "../")) {
    }
    return std::string(file);
  };
  absl::SetFlagsUsageConfig(usage);
}

}  // namespace sluice::tools
