// Copyright 2026 The sluice Authors.
//
// What a tool's --help prints: its usage message, then the flags it defines.
// abseil's --help lists only the flags of a file named after the binary
// (sluice-serve.cc); the tools define theirs in main.cc, so without this
// --help lists none. The man pages (man/) are checked against that list.
//
//   sluice::tools::SetHelp("a static file server on sluice engines.\n...",
//                          "serve/main.cc");
//   absl::ParseCommandLine(...);

#ifndef SLUICE_TOOLS_FLAGS_HELP_H_
#define SLUICE_TOOLS_FLAGS_HELP_H_

#include <string>

namespace sluice::tools {

// Sets the usage message --help prints first, and makes --help and
// --helpshort list the flags defined in the files whose path ends in
// `flags_file` (such as "serve/main.cc"), under that path without the
// build directory's "../". Call once, before absl::ParseCommandLine().
void SetHelp(const std::string& usage, const std::string& flags_file);

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_FLAGS_HELP_H_
