// Copyright 2026 The sluice Authors.

#include "flags/flag_names.h"

namespace sluice::tools {

std::vector<char*> NormalizeFlagNames(int argc, char** argv) {
  std::vector<char*> out(argv, argv + argc);
  for (int i = 1; i < argc; ++i) {
    char* arg = argv[i];
    if (arg[0] != '-' || arg[1] != '-') continue;
    for (char* c = arg + 2; *c != '\0' && *c != '='; ++c) {
      if (*c == '-') *c = '_';
    }
  }
  return out;
}

}  // namespace sluice::tools
