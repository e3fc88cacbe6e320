// Copyright 2026 The sluice Authors.
//
// Lets the tools' flags be written with '-' as well as '_' (--object-size
// and --object_size): abseil flag names cannot contain '-'.
//
//   std::vector<char*> args = sluice::tools::NormalizeFlagNames(argc, argv);
//   absl::ParseCommandLine(static_cast<int>(args.size()), args.data());

#ifndef SLUICE_TOOLS_FLAGS_FLAG_NAMES_H_
#define SLUICE_TOOLS_FLAGS_FLAG_NAMES_H_

#include <vector>

namespace sluice::tools {

// Rewrites '-' to '_' in the name part of every "--name[=value]" argument,
// in place, and returns argv as a vector.
std::vector<char*> NormalizeFlagNames(int argc, char** argv);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_FLAG_NAMES_H_
