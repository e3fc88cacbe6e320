// Copyright 2026 The sluice Authors.

#include "flags/help.h"

#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace sluice::tools {

void SetHelp(const std::string& usage, const std::string& flags_file) {
  absl::SetProgramUsageMessage(usage);
  absl::FlagsUsageConfig config;
  config.contains_help_flags = [flags_file](absl::string_view file) {
    return absl::EndsWith(file, flags_file);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.normalize_filename = [](absl::string_view file) {
    while (absl::ConsumePrefix(&file, "../")) {
    }
    return std::string(file);
  };
  absl::SetFlagsUsageConfig(config);
}

}  // namespace sluice::tools
