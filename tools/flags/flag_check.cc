// Copyright 2026 The sluice Authors.

#include "flags/flag_check.h"

#include <string>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace sluice::tools {

absl::Status CheckFlags(const std::vector<char*>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "--") && !absl::ConsumePrefix(&arg, "-")) {
      continue;
    }
    const size_t equals = arg.find('=');
    const absl::string_view name = arg.substr(0, equals);
    // abseil's own flags are not in its registry: help and version end the
    // program before any other flag matters, and flags from a file or the
    // environment are abseil's to read.
    if (absl::StartsWith(name, "help") || name == "version" ||
        name == "only_check_args" || name == "flagfile" || name == "fromenv" ||
        name == "tryfromenv" || name == "undefok") {
      return absl::OkStatus();
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    bool negated = false;
    if (flag == nullptr && absl::StartsWith(name, "no")) {
      flag = absl::FindCommandLineFlag(name.substr(2));
      negated = flag != nullptr;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    std::string value;
    if (equals != absl::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    } else if (flag->IsOfType<bool>()) {
      continue;  // --name / --noname
    } else if (i + 1 < args.size()) {
      value = args[++i];  // "--name value"
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " is missing its value"));
    }
    if (negated) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " takes no value"));
    }
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad value for --", flag->Name(), ": ", error));
    }
  }
  return absl::OkStatus();
}

}  // namespace sluice::tools
