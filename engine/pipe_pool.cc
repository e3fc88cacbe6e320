// Copyright 2026 The sluice Authors.

#include "engine/pipe_pool.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sluice::internal {
namespace {

// Reads a number from a /proc/sys file; `fallback` if it cannot.
size_t ReadSysctl(const char* path, size_t fallback) {
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return fallback;
  unsigned long long value = 0;
  const bool ok = std::fscanf(f, "%llu", &value) == 1;
  std::fclose(f);
  return ok ? static_cast<size_t>(value) : fallback;
}

}  // namespace

PipePlan PlanPipes(size_t max_pipes, size_t pipe_size) {
  constexpr size_t kMinPipe = 64 * 1024;
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  size_t count = files.rlim_cur == RLIM_INFINITY
                     ? size_t{1} << 20
                     : static_cast<size_t>(files.rlim_cur) / 8;
  if (max_pipes != 0) count = std::min(count, max_pipes);
  size_t size =
      std::min(std::max(pipe_size, kMinPipe),
               ReadSysctl("/proc/sys/fs/pipe-max-size", size_t{1} << 20));
  // fs.pipe-user-pages-soft of 0 means no limit.
  const size_t soft_pages =
      ReadSysctl("/proc/sys/fs/pipe-user-pages-soft", 16384);
  if (soft_pages != 0 && count > 0) {
    const size_t budget = soft_pages / 2 * 4096;
    while (size > kMinPipe && count * size > budget) size /= 2;
    count = std::min(count, budget / size);
  }
  return PipePlan{count, size};
}

PipePool::PipePool(size_t max_pipes, size_t pipe_size) {
  const PipePlan plan = PlanPipes(max_pipes, pipe_size);
  pipe_size_ = plan.size;
  bound_ = plan.count;
}

std::optional<Pipe> PipePool::Acquire() {
  if (!idle_.empty()) {
    Pipe pipe = std::move(idle_.back());
    idle_.pop_back();
    return pipe;
  }
  if (open_ >= bound_) return std::nullopt;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    bound_ = open_;  // EMFILE/ENFILE: this is all the system will give
    return std::nullopt;
  }
  Pipe pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
  // A pipe smaller than asked splices in small steps; past the user's page
  // budget the kernel refuses to grow it (EPERM), so stop making more.
  if (::fcntl(fds[1], F_SETPIPE_SZ, static_cast<int>(pipe_size_)) < 0) {
    bound_ = open_;
    return std::nullopt;
  }
  ++open_;
  return pipe;
}

void PipePool::Release(Pipe pipe, bool may_hold_bytes) {
  if (may_hold_bytes) {
    --open_;
    return;  // its fds close here
  }
  idle_.push_back(std::move(pipe));
}

}  // namespace sluice::internal
