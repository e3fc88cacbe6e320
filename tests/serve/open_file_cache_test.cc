// Copyright 2026 The sluice Authors.
//
// OpenFileCache on a real directory and a fake clock (the `now` each call
// passes): within the validity interval a file is served as cached, even
// once it has been replaced or deleted on disk; after it, the path decides.
// A file leaving the cache closes its fd only once no holder is left.

#include "serve/open_file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/status_matchers.h"

namespace sluice::serve {
namespace {

using ::sluice::testing::IsOk;
using ::sluice::testing::StatusIs;

constexpr absl::Duration kValid = absl::Seconds(1);
const absl::Time kStart = absl::FromUnixSeconds(1'000'000);

bool IsOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
bool IsClosed(int fd) { return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF; }

// The whole file behind `file`'s fd, read with pread (its offset stays).
std::string Contents(const SharedFile& file) {
  std::string bytes(file->size() + 1, '\0');
  const ssize_t n = ::pread(file->fd(), bytes.data(), bytes.size(), 0);
  bytes.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return bytes;
}

class OpenFileCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/sluice-ofc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    base_ = templ;
    root_ = base_ / "www";
    std::filesystem::create_directories(root_);
    root_fd_ = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(root_fd_, 0);
  }
  void TearDown() override {
    if (root_fd_ >= 0) ::close(root_fd_);
    std::filesystem::remove_all(base_);
  }

  void Write(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    out.close();
    ASSERT_TRUE(out.good()) << path;
  }
  // As a deploy does it: a new file renamed over the old one (new inode).
  void Replace(const std::string& name, const std::string& bytes) {
    Write(base_ / "incoming", bytes);
    ASSERT_EQ(std::rename((base_ / "incoming").c_str(), (root_ / name).c_str()),
              0);
  }

  // The file, which must open.
  SharedFile Get(OpenFileCache& cache, const std::string& path,
                 absl::Time now) {
    absl::StatusOr<SharedFile> file = cache.Open(path, now);
    EXPECT_THAT(file.status(), IsOk()) << path;
    return file.ok() ? *file : nullptr;
  }

  std::filesystem::path base_;
  std::filesystem::path root_;
  int root_fd_ = -1;
};

TEST_F(OpenFileCacheTest, ServesTheCachedVersionUntilTheIntervalEnds) {
  Write(root_ / "a.txt", "old");
  OpenFileCache cache(root_fd_, 4, kValid, nullptr);
  const SharedFile first = Get(cache, "a.txt", kStart);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(Contents(first), "old");

  Replace("a.txt", "the new version");
  // Had the cache opened (or stat'ed) the path, it would know the new one.
  const SharedFile hit = Get(cache, "a.txt", kStart + kValid / 2);
  EXPECT_EQ(hit, first);
  EXPECT_EQ(Contents(hit), "old");
  const SharedFile last_hit =
      Get(cache, "a.txt", kStart + kValid - absl::Nanoseconds(1));
  EXPECT_EQ(last_hit, first);
  EXPECT_EQ(cache.counters().opens, 1u);
  EXPECT_EQ(cache.counters().hits, 2u);

  const SharedFile fresh = Get(cache, "a.txt", kStart + kValid);
  ASSERT_NE(fresh, nullptr);
  EXPECT_NE(fresh, first);
  EXPECT_EQ(Contents(fresh), "the new version");
  EXPECT_EQ(fresh->size(), 15u);
  EXPECT_EQ(cache.counters().opens, 2u);
  // The response holding the old version still reads it whole.
  EXPECT_EQ(Contents(first), "old");
  EXPECT_EQ(cache.size(), 1u);
}

TEST_F(OpenFileCacheTest, AnUnchangedFileIsKeptForAnotherInterval) {
  Write(root_ / "a.txt", "same");
  OpenFileCache cache(root_fd_, 4, kValid, nullptr);
  const SharedFile first = Get(cache, "a.txt", kStart);
  const absl::Time checked = kStart + 3 * kValid;
  EXPECT_EQ(Get(cache, "a.txt", checked), first);
  EXPECT_EQ(cache.counters().opens, 2u);
  EXPECT_EQ(cache.counters().revalidated, 1u);
  // Trusted from the check on, not from the first open.
  EXPECT_EQ(Get(cache, "a.txt", checked + kValid - absl::Nanoseconds(1)),
            first);
  EXPECT_EQ(cache.counters().opens, 2u);
  EXPECT_EQ(cache.counters().dropped, 0u);
}

TEST_F(OpenFileCacheTest, AFileChangedInPlaceIsOpenedAgain) {
  Write(root_ / "a.txt", "short");
  OpenFileCache cache(root_fd_, 4, kValid, nullptr);
  SharedFile first = Get(cache, "a.txt", kStart);
  ASSERT_NE(first, nullptr);
  const int first_fd = first->fd();
  {
    std::ofstream out(root_ / "a.txt", std::ios::binary | std::ios::app);
    out << " and longer";
  }
  const SharedFile again = Get(cache, "a.txt", kStart + kValid);
  ASSERT_NE(again, nullptr);
  EXPECT_NE(again, first);
  EXPECT_EQ(again->size(), 16u);
  EXPECT_EQ(again->stat().st_ino, first->stat().st_ino);
  EXPECT_EQ(cache.counters().dropped, 1u);
  // The cache let go of the old one; this test was its last holder.
  EXPECT_TRUE(IsOpen(first_fd));
  first.reset();
  EXPECT_TRUE(IsClosed(first_fd));
}

TEST_F(OpenFileCacheTest, ADeletedFileIsNotServedAfterTheInterval) {
  Write(root_ / "gone.txt", "here");
  OpenFileCache cache(root_fd_, 4, kValid, nullptr);
  int fd = -1;
  {
    const SharedFile file = Get(cache, "gone.txt", kStart);
    ASSERT_NE(file, nullptr);
    fd = file->fd();
  }
  ASSERT_EQ(::unlink((root_ / "gone.txt").c_str()), 0);
  // Within the interval the cache does not look.
  const SharedFile cached = Get(cache, "gone.txt", kStart + kValid / 2);
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(Contents(cached), "here");

  EXPECT_THAT(cache.Open("gone.txt", kStart + kValid),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(IsOpen(fd)) << "closed while `cached` still holds it";
  // Errors are not cached: the next request looks again.
  EXPECT_THAT(cache.Open("gone.txt", kStart + kValid),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(cache.counters().opens, 3u);
}

// A path that now leads out of the root (an absolute symlink, which
// RESOLVE_BENEATH refuses) is not served from the cache after the interval,
// even where it names the very inode cached: the check is the confined
// open, not a stat that follows the link.
TEST_F(OpenFileCacheTest, APathNoLongerConfinedIsNotServedAfterTheInterval) {
  Write(root_ / "a.txt", "inside");
  ASSERT_EQ(::link((root_ / "a.txt").c_str(), (base_ / "outside").c_str()), 0);
  OpenFileCache cache(root_fd_, 4, kValid, nullptr);
  const SharedFile cached = Get(cache, "a.txt", kStart);
  ASSERT_NE(cached, nullptr);
  std::filesystem::create_symlink(base_ / "outside", base_ / "link");
  std::filesystem::rename(base_ / "link", root_ / "a.txt");
  struct stat followed;
  ASSERT_EQ(::stat((root_ / "a.txt").c_str(), &followed), 0);
  ASSERT_TRUE(SameVersion(followed, cached->stat()));

  EXPECT_THAT(cache.Open("a.txt", kStart + kValid),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(cache.size(), 0u);
}

TEST_F(OpenFileCacheTest, TheLeastRecentlyUsedFileLeavesAndClosesOnceFree) {
  for (const char* name : {"a", "b", "c", "d"}) Write(root_ / name, name);
  OpenFileCache cache(root_fd_, 2, kValid, nullptr);
  SharedFile a = Get(cache, "a", kStart);
  ASSERT_NE(a, nullptr);
  const int a_fd = a->fd();
  int b_fd = -1;
  {
    const SharedFile b = Get(cache, "b", kStart);
    ASSERT_NE(b, nullptr);
    b_fd = b->fd();
  }
  // "a" used again: "b" is now the least recently used, and goes for "c".
  EXPECT_EQ(Get(cache, "a", kStart), a);
  ASSERT_NE(Get(cache, "c", kStart), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(IsClosed(b_fd)) << "b left the cache with no holder";
  EXPECT_TRUE(IsOpen(a_fd));

  // "a" leaves for "d" while a response still holds it: open until that
  // lets go.
  ASSERT_NE(Get(cache, "d", kStart), nullptr);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(cache.counters().dropped, 2u);
  EXPECT_TRUE(IsOpen(a_fd));
  EXPECT_EQ(Contents(a), "a");
  a.reset();
  EXPECT_TRUE(IsClosed(a_fd));
  // Back again, it is opened again.
  const uint64_t opens = cache.counters().opens;
  ASSERT_NE(Get(cache, "a", kStart), nullptr);
  EXPECT_EQ(cache.counters().opens, opens + 1);
}

TEST_F(OpenFileCacheTest, DestroyingTheCacheLeavesHeldFilesOpen) {
  Write(root_ / "a.txt", "held");
  SharedFile held;
  int free_fd = -1;
  {
    OpenFileCache cache(root_fd_, 4, kValid, nullptr);
    held = Get(cache, "a.txt", kStart);
    Write(root_ / "b.txt", "free");
    free_fd = Get(cache, "b.txt", kStart)->fd();
  }
  ASSERT_NE(held, nullptr);
  EXPECT_TRUE(IsClosed(free_fd));
  EXPECT_EQ(Contents(held), "held");
}

TEST_F(OpenFileCacheTest, OffOpensEveryTimeAndKeepsNothing) {
  Write(root_ / "a.txt", "old");
  OpenFileCache cache(root_fd_, 0, kValid, nullptr);
  SharedFile first = Get(cache, "a.txt", kStart);
  ASSERT_NE(first, nullptr);
  const int fd = first->fd();
  Replace("a.txt", "new");
  const SharedFile second = Get(cache, "a.txt", kStart);
  ASSERT_NE(second, nullptr);
  EXPECT_NE(second, first);
  EXPECT_EQ(Contents(second), "new");
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.counters().opens, 2u);
  EXPECT_EQ(cache.counters().hits, 0u);
  first.reset();
  EXPECT_TRUE(IsClosed(fd));
}

TEST_F(OpenFileCacheTest, ErrorsAreThoseOfTheConfinedOpen) {
  std::filesystem::create_directories(root_ / "dir");
  std::filesystem::create_symlink("../outside", root_ / "escape");
  Write(base_ / "outside", "secret");
  for (size_t capacity : {size_t{0}, size_t{4}}) {
    OpenFileCache cache(root_fd_, capacity, kValid, nullptr);
    EXPECT_THAT(
        cache.Open("missing", kStart),
        StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("missing")));
    EXPECT_THAT(cache.Open("escape", kStart),
                StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(cache.Open("dir", kStart),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(cache.Open("", kStart),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_EQ(cache.size(), 0u);
  }
}

// With an engine, a cached fd is registered once (RegisterFd probes a
// regular file with two system calls, counted as submit_syscalls), and
// forgotten as it leaves: a later file that gets the same fd number is
// registered anew, not mistaken for the one the engine checked.
TEST_F(OpenFileCacheTest, CachedFdsAreRegisteredWhileCached) {
  EngineOptions options;
  options.backend = BackendKind::kReadSend;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  ASSERT_THAT(engine.status(), IsOk());
  Write(root_ / "a", "a");
  Write(root_ / "b", "b");
  {
    OpenFileCache cache(root_fd_, 1, kValid, engine->get());
    int a_fd = Get(cache, "a", kStart)->fd();
    EXPECT_EQ((*engine)->stats().submit_syscalls, 2u);
    (void)Get(cache, "a", kStart);  // a hit registers nothing
    EXPECT_EQ((*engine)->stats().submit_syscalls, 2u);
    // "b" pushes "a" out (and closes it); "a" back takes the lowest free fd
    // number, its old one.
    (void)Get(cache, "b", kStart);
    EXPECT_EQ((*engine)->stats().submit_syscalls, 4u);
    EXPECT_TRUE(IsClosed(a_fd));
    EXPECT_EQ(Get(cache, "a", kStart)->fd(), a_fd);
    EXPECT_EQ((*engine)->stats().submit_syscalls, 6u);
  }
}

}  // namespace
}  // namespace sluice::serve
