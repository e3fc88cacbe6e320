// Copyright 2026 The sluice Authors.

#include "engine/residency.h"

#include <unistd.h>

#include <algorithm>

#include "engine/sluice_config.h"

#if SLUICE_HAVE_EPOLL
#include <sys/syscall.h>
#include <sys/uio.h>
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

ResidencyProbe::ResidencyProbe(bool enabled, EngineStats& stats, Method method)
    : active_(enabled && SLUICE_HAVE_EPOLL), method_(method), stats_(stats) {}

bool ResidencyProbe::AskKernel(int fd, uint64_t offset, uint64_t length,
                               bool& resident) {
#if SLUICE_HAVE_EPOLL
  ++stats_.residency_probes;
  if (method_ == Method::kCachestat) {
    CachestatRange range{offset, length};
    CachestatResult stat{};
    ++stats_.syscalls;
    if (::syscall(__NR_cachestat, fd, &range, &stat, 0) == 0) {
      const uint64_t pages =
          (offset + length + kPage - 1) / kPage - offset / kPage;
      resident = stat.nr_cache >= pages;
      return true;
    }
    // EOPNOTSUPP (hugetlbfs): this file cannot tell. ENOSYS (before 6.5):
    // this kernel cannot; ask by reading from now on.
    if (errno != ENOSYS) return false;
    method_ = Method::kNowaitRead;
  }
  const uint64_t last = offset + length - 1;
  if (!ReadsWithoutWaiting(fd, offset, resident)) return false;
  if (resident && last / kPage != offset / kPage) {
    return ReadsWithoutWaiting(fd, last, resident);
  }
  return true;
#else
  (void)fd;
  (void)offset;
  (void)length;
  (void)resident;
  return false;
#endif
}

bool ResidencyProbe::ReadsWithoutWaiting(int fd, uint64_t offset,
                                         bool& resident) {
#if SLUICE_HAVE_EPOLL
  char byte;
  iovec one{&byte, 1};
  ++stats_.syscalls;
  const ssize_t n =
      ::preadv2(fd, &one, 1, static_cast<off_t>(offset), RWF_NOWAIT);
  if (n >= 0) {  // 0: past the end, nothing to wait for
    resident = true;
    return true;
  }
  if (errno == EAGAIN) {
    resident = false;
    return true;
  }
  // EOPNOTSUPP: a kernel before 4.14, or a file system that cannot say;
  // either way asking again costs a call per push for nothing, so this
  // engine stops asking (only kernels without cachestat get here). EINVAL
  // (an O_DIRECT fd refuses a one-byte read) says nothing of other files.
  if (errno == EOPNOTSUPP) active_ = false;
  return false;
#else
  (void)fd;
  (void)offset;
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
