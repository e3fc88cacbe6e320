// Copyright 2026 The sluice Authors.

#include "engine/residency.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/testing/fixtures.h"

namespace sluice::internal {
namespace {

using ::sluice::testing::PatternFile;

TransferEndpoints EndpointsOf(const PatternFile& file) {
  struct stat st;
  EXPECT_EQ(::fstat(file.fd(), &st), 0);
  TransferEndpoints endpoints;
  endpoints.file_fd = file.fd();
  endpoints.source = SourceKind::kRegularFile;
  endpoints.file_id = {static_cast<uint64_t>(st.st_dev),
                       static_cast<uint64_t>(st.st_ino)};
  endpoints.file_size = static_cast<uint64_t>(st.st_size);
  return endpoints;
}

// Whether this kernel answers cachestat(2) for `fd` at all.
bool CanAsk(int fd) {
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/true, stats);
  PatternFile scratch(1);
  (void)fd;
  TransferEndpoints endpoints = EndpointsOf(scratch);
  (void)probe.IsResident(endpoints, 0, 1);
  return probe.active();
}

TEST(ResidencyProbeTest, CachedFileIsResidentAndEvictedOneIsNot) {
  PatternFile file(1 << 20);  // larger than kSmallFile: asked every time
  if (!CanAsk(file.fd())) GTEST_SKIP() << "no cachestat(2) on this kernel";
  ASSERT_EQ(::fdatasync(file.fd()), 0);  // clean pages can be evicted
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/true, stats);
  const TransferEndpoints endpoints = EndpointsOf(file);
  EXPECT_TRUE(probe.IsResident(endpoints, 4097, 300000));
  ASSERT_EQ(::posix_fadvise(file.fd(), 0, 0, POSIX_FADV_DONTNEED), 0);
  EXPECT_FALSE(probe.IsResident(endpoints, 4097, 300000));
  EXPECT_EQ(stats.residency_probes, 2u);
}

// Kernels before 6.5 have no cachestat: the probe reads a byte of the
// range's first and last page with RWF_NOWAIT instead.
TEST(ResidencyProbeTest, NowaitReadsTellCachedFromEvicted) {
  PatternFile file(1 << 20);
  ASSERT_EQ(::fdatasync(file.fd()), 0);
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/true, stats,
                       ResidencyProbe::Method::kNowaitRead);
  const TransferEndpoints endpoints = EndpointsOf(file);
  const bool resident = probe.IsResident(endpoints, 4097, 300000);
  if (!probe.active()) GTEST_SKIP() << "no RWF_NOWAIT on this kernel";
  EXPECT_TRUE(resident);
  EXPECT_EQ(stats.syscalls, 2u);  // the first page and the last
  ASSERT_EQ(::posix_fadvise(file.fd(), 0, 0, POSIX_FADV_DONTNEED), 0);
  EXPECT_FALSE(probe.IsResident(endpoints, 4097, 300000));
  // Only the last page missing is seen too.
  char buffer[8192];
  ASSERT_EQ(::pread(file.fd(), buffer, sizeof(buffer), 0), 8192);
  EXPECT_FALSE(probe.IsResident(endpoints, 4097, 300000));
  EXPECT_EQ(stats.residency_probes, 3u);
}

TEST(ResidencyProbeTest, SmallResidentFileIsTrustedWithoutAskingAgain) {
  PatternFile file(16 * 1024);
  if (!CanAsk(file.fd())) GTEST_SKIP() << "no cachestat(2) on this kernel";
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/true, stats);
  const TransferEndpoints endpoints = EndpointsOf(file);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(probe.IsResident(endpoints, i, 1000));
  }
  EXPECT_EQ(stats.residency_probes, 1u);
}

TEST(ResidencyProbeTest, DisabledProbeNeverAsks) {
  PatternFile file(1 << 20);
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/false, stats);
  EXPECT_TRUE(probe.IsResident(EndpointsOf(file), 0, 1 << 20));
  EXPECT_EQ(stats.residency_probes, 0u);
}

TEST(ResidencyProbeTest, StreamsAndRangesPastTheEndNeedNoAnswer) {
  PatternFile file(1 << 20);
  EngineStats stats;
  ResidencyProbe probe(/*enabled=*/true, stats);
  TransferEndpoints endpoints = EndpointsOf(file);
  EXPECT_TRUE(probe.IsResident(endpoints, 2 << 20, 4096));
  endpoints.source = SourceKind::kStream;
  EXPECT_TRUE(probe.IsResident(endpoints, 0, 4096));
  EXPECT_EQ(stats.residency_probes, 0u);
}

}  // namespace
}  // namespace sluice::internal
