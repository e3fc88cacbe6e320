// Copyright 2026 The sluice Authors.

#include "engine/pipe_pool.h"

#include <fcntl.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

TEST(PipePoolTest, PlanRespectsTheCountAndTheMinimumSize) {
  const PipePlan plan = PlanPipes(/*max_pipes=*/3, /*pipe_size=*/1024);
  EXPECT_LE(plan.count, 3u);
  // Smaller pipes than 64 KiB splice in steps too small to pay.
  EXPECT_GE(plan.size, 64u * 1024);
}

TEST(PipePoolTest, PlanFitsHalfTheUsersPipeBudget) {
  const PipePlan plan = PlanPipes(/*max_pipes=*/0, /*pipe_size=*/1 << 20);
  FILE* f = std::fopen("/proc/sys/fs/pipe-user-pages-soft", "re");
  if (f == nullptr) GTEST_SKIP() << "no /proc/sys/fs/pipe-user-pages-soft";
  unsigned long long pages = 0;
  const bool read = std::fscanf(f, "%llu", &pages) == 1;
  std::fclose(f);
  if (!read || pages == 0) GTEST_SKIP() << "no pipe page budget here";
  EXPECT_LE(plan.count * plan.size, pages / 2 * 4096);
}

TEST(PipePoolTest, AcquiresUpToTheBoundThenSaysNo) {
  PipePool pool(/*max_pipes=*/2, /*pipe_size=*/64 * 1024);
  ASSERT_EQ(pool.bound(), 2u);
  std::optional<Pipe> a = pool.Acquire();
  std::optional<Pipe> b = pool.Acquire();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(pool.Acquire().has_value());
  EXPECT_EQ(pool.open(), 2u);
  EXPECT_GE(::fcntl(a->write.get(), F_GETPIPE_SZ),
            static_cast<int>(pool.pipe_size()));
  // Non-blocking both ends: a splice must never block the engine thread.
  EXPECT_NE(::fcntl(a->read.get(), F_GETFL) & O_NONBLOCK, 0);
}

TEST(PipePoolTest, CleanPipeIsReused) {
  PipePool pool(/*max_pipes=*/1, /*pipe_size=*/64 * 1024);
  std::optional<Pipe> pipe = pool.Acquire();
  ASSERT_TRUE(pipe.has_value());
  const int read_fd = pipe->read.get();
  pool.Release(*std::move(pipe), /*may_hold_bytes=*/false);
  std::optional<Pipe> again = pool.Acquire();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->read.get(), read_fd);
}

TEST(PipePoolTest, PipeThatMayHoldBytesIsClosedNeverHandedOutAgain) {
  PipePool pool(/*max_pipes=*/1, /*pipe_size=*/64 * 1024);
  std::optional<Pipe> pipe = pool.Acquire();
  ASSERT_TRUE(pipe.has_value());
  ASSERT_EQ(::write(pipe->write.get(), "stale", 5), 5);
  const int read_fd = pipe->read.get();
  pool.Release(*std::move(pipe), /*may_hold_bytes=*/true);
  EXPECT_EQ(pool.open(), 0u);
  EXPECT_EQ(::fcntl(read_fd, F_GETFD), -1) << "the dirty pipe was not closed";
  std::optional<Pipe> fresh = pool.Acquire();
  ASSERT_TRUE(fresh.has_value());
  char byte;
  EXPECT_EQ(::read(fresh->read.get(), &byte, 1), -1);
  EXPECT_EQ(errno, EAGAIN) << "a new pipe must be empty";
}

}  // namespace
}  // namespace sluice::internal
