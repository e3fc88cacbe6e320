// Copyright 2026 The sluice Authors.
//
// HeldReadFs: a one-file FUSE file system, mounted by the test, whose reads
// the test holds and releases: a source that is "cold" for as long as the
// test says, deterministically. While held, every read request of the file
// waits in the file system (its reply deferred, the FUSE loop free); a
// thread that reads the file (sendfile, pread, an io-wq worker) blocks in
// the kernel until Release(). The file's bytes are PatternByte(offset).
//
//   absl::StatusOr<std::unique_ptr<HeldReadFs>> fs = HeldReadFs::Mount(size);
//   if (!fs.ok()) GTEST_SKIP() << fs.status();   // no /dev/fuse, not root
//   UniqueFd file = (*fs)->Open();
//   ... start a transfer of `file`; (*fs)->WaitForHeldRead(limit) ...
//   (*fs)->Release();

#ifndef SLUICE_TESTS_TESTING_HELD_READ_FS_H_
#define SLUICE_TESTS_TESTING_HELD_READ_FS_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "posix/unique_fd.h"

struct fuse_session;
struct fuse_req;

namespace sluice::testing {

class HeldReadFs {
 public:
  // Mounts a file system holding one file of `size` bytes, reads held.
  // Unavailable (with the reason) where FUSE cannot be mounted here.
  static absl::StatusOr<std::unique_ptr<HeldReadFs>> Mount(uint64_t size);
  // Releases held reads, unmounts and removes the mount point.
  ~HeldReadFs();
  HeldReadFs(const HeldReadFs&) = delete;
  HeldReadFs& operator=(const HeldReadFs&) = delete;

  // The file, opened read-only.
  absl::StatusOr<tools::UniqueFd> Open() const;
  uint64_t size() const { return size_; }

  // Waits until a read of the file is being held, at most `limit`; false
  // if none came.
  bool WaitForHeldRead(absl::Duration limit);
  // Answers the held reads and every later one at once.
  void Release();
  // Reads answered so far.
  int reads_answered() const;

  // The FUSE handlers' way in (they are C callbacks).
  void OnRead(fuse_req* req, size_t size, int64_t offset);

 private:
  struct HeldRead {
    fuse_req* req;
    size_t size;
    int64_t offset;
  };

  explicit HeldReadFs(uint64_t size) : size_(size) {}
  void Answer(const HeldRead& read);

  const uint64_t size_;
  std::string mount_point_;
  fuse_session* session_ = nullptr;
  std::thread loop_;
  mutable std::mutex mutex_;
  std::condition_variable held_changed_;
  bool holding_ = true;
  std::vector<HeldRead> held_;
  int answered_ = 0;
};

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_HELD_READ_FS_H_
