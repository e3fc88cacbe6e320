// Copyright 2026 The sluice Authors.
//
// abseil's --help lists only the flags defined in a file named after the
// binary (sluice-relay.cc); the tools define theirs in <tool>/main.cc.
//
//   sluice::tools::ListFlagsOfFile("relay/main.cc");  // before parsing

#ifndef SLUICE_TOOLS_FLAGS_HELP_FLAGS_H_
#define SLUICE_TOOLS_FLAGS_HELP_FLAGS_H_

#include <string>

namespace sluice::tools {

// Makes --help and --helpshort list the flags defined in the source file
// whose path ends with `suffix`, and show source paths without the build
// directory's "../" prefixes.
void ListFlagsOfFile(std::string suffix);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_HELP_FLAGS_H_
