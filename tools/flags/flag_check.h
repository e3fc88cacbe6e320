// Copyright 2026 The sluice Authors.
//
// Checks a command line's flags the way absl::ParseCommandLine() will read
// them, before it does: abseil reports an unknown flag or a bad value with
// exit status 1, and the tools report usage errors with 2.
//
//   std::vector<char*> args = sluice::tools::NormalizeFlagNames(argc, argv);
//   if (absl::Status bad = sluice::tools::CheckFlags(args); !bad.ok()) {
//     ... usage error: bad.message() ...
//   }
//   absl::ParseCommandLine(static_cast<int>(args.size()), args.data());

#ifndef SLUICE_TOOLS_FLAGS_FLAG_CHECK_H_
#define SLUICE_TOOLS_FLAGS_FLAG_CHECK_H_

#include <vector>

#include "absl/status/status.h"

namespace sluice::tools {

// InvalidArgument naming the first "--name[=value]" (or "--name value")
// argument whose flag is not defined or whose value its type cannot hold.
// Once abseil's own flags come (--help, --helpfull, --version, --flagfile,
// --fromenv, ...), the rest is left to abseil. Arguments after "--" and
// those not starting with '-' are not flags.
absl::Status CheckFlags(const std::vector<char*>& args);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_FLAG_CHECK_H_
