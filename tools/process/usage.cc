// Copyright 2026 The sluice Authors.

#include "process/usage.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>

namespace sluice::tools {
namespace {

uint64_t ResidentBytes() {
  std::FILE* statm = std::fopen("/proc/self/statm", "re");
  if (statm == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  const int read = std::fscanf(statm, "%llu %llu", &size, &resident);
  std::fclose(statm);
  if (read != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

int64_t OpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int64_t count = 0;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory's own fd
}

}  // namespace

Usage CurrentUsage() {
  return Usage{.rss_bytes = ResidentBytes(), .open_fds = OpenFds()};
}

}  // namespace sluice::tools
