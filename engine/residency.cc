// Copyright 2026 The sluice Authors.

#include "engine/residency.h"

#include <unistd.h>

#include <algorithm>

#include "engine/sluice_config.h"

#if SLUICE_HAVE_EPOLL
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace sluice::internal {
namespace {

#if SLUICE_HAVE_EPOLL
// cachestat(2), Linux 6.5; Debian 12's headers predate it.
#ifndef __NR_cachestat
#define __NR_cachestat 451
#endif
struct CachestatRange {
  uint64_t offset;
  uint64_t length;
};
struct CachestatResult {
  uint64_t nr_cache;
  uint64_t nr_dirty;
  uint64_t nr_writeback;
  uint64_t nr_evicted;
  uint64_t nr_recently_evicted;
};

int64_t CoarseNowNs() {
  timespec now;
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
  return int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}
#endif

// cachestat counts the kernel's pages, whatever their size (16 or 64 KiB
// on some arm64 and ppc64 kernels).
const uint64_t kPage = [] {
  const long size = ::sysconf(_SC_PAGESIZE);
  return size > 0 ? static_cast<uint64_t>(size) : uint64_t{4096};
}();
// Bound on the files remembered as resident.
constexpr size_t kMaxTrusted = 65536;

}  // namespace

ResidencyProbe::ResidencyProbe(bool enabled, EngineStats& stats)
    : active_(enabled && SLUICE_HAVE_EPOLL), stats_(stats) {}

bool ResidencyProbe::AskKernel(int fd, uint64_t offset, uint64_t length,
                               bool& resident) {
#if SLUICE_HAVE_EPOLL
  CachestatRange range{offset, length};
  CachestatResult stat{};
  ++stats_.residency_probes;
  ++stats_.syscalls;
  if (::syscall(__NR_cachestat, fd, &range, &stat, 0) != 0) {
    // ENOSYS (before 6.5) or EOPNOTSUPP (hugetlbfs): this kernel or file
    // cannot tell. Stop asking where the kernel cannot.
    if (errno == ENOSYS) active_ = false;
    return false;
  }
  const uint64_t pages = (offset + length + kPage - 1) / kPage - offset / kPage;
  resident = stat.nr_cache >= pages;
  return true;
#else
  (void)fd;
  (void)offset;
  (void)length;
  (void)resident;
  return false;
#endif
}

bool ResidencyProbe::IsResident(const TransferEndpoints& endpoints,
                                uint64_t offset, uint64_t length) {
  if (!active_ || endpoints.source != SourceKind::kRegularFile) return true;
  const uint64_t size = endpoints.file_size;
  // Past the end there are no pages to count: a file that shrank reads
  // short, not slowly.
  if (size > 0) length = offset < size ? std::min(length, size - offset) : 0;
  if (length == 0) return true;
  const bool small = size > 0 && size <= kSmallFile;
  int64_t now = 0;
#if SLUICE_HAVE_EPOLL
  if (small) {
    now = CoarseNowNs();
    const auto it = trusted_.find(endpoints.file_id);
    if (it != trusted_.end() && now - it->second < kTrustForNs) return true;
    offset = 0;
    length = size;
  }
#endif
  bool resident = true;
  if (!AskKernel(endpoints.file_fd, offset, length, resident)) return true;
  if (small) {
    if (resident) {
      if (trusted_.size() >= kMaxTrusted) trusted_.clear();
      trusted_[endpoints.file_id] = now;
    } else {
      trusted_.erase(endpoints.file_id);
    }
  }
  return resident;
}

}  // namespace sluice::internal
