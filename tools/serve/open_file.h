// Copyright 2026 The sluice Authors.
//
// open_file.h: a regular file under sluice-serve's root, opened without
// ever leaving the root, and what fstat(2) said of it then.
//
// An OpenFile is immutable and shared: the open-file cache and every
// response sending it hold a SharedFile, and the fd closes when the last of
// them lets go, so a file that leaves the cache is never closed under a
// transfer still reading it. The fd keeps the inode it was opened on: a
// file replaced on disk (renamed over) goes on being read as the version
// opened, so one response is always one version.
//
//   absl::StatusOr<SharedFile> file = OpenBeneath(root_fd, "a/b.txt");
//   if (!file.ok()) ... NotFound (404), PermissionDenied (403), ...
//   spec.file_fd = (*file)->fd(); spec.count = (*file)->size();

#ifndef SLUICE_TOOLS_SERVE_OPEN_FILE_H_
#define SLUICE_TOOLS_SERVE_OPEN_FILE_H_

#include <sys/stat.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "posix/unique_fd.h"

namespace sluice::serve {

class OpenFile {
 public:
  OpenFile(tools::UniqueFd fd, const struct stat& st);

  // Open read-only, non-blocking, close-on-exec.
  int fd() const { return fd_.get(); }
  // What fstat(2) said right after the open.
  const struct stat& stat() const { return stat_; }
  uint64_t size() const { return static_cast<uint64_t>(stat_.st_size); }
  // The version's entity tag ("<mtime ns>-<size>" in hex, quoted: a rewrite
  // of the same size within one second still changes it, so If-Range never
  // stitches two versions together), and the response fields that carry
  // it and Last-Modified. Made once per open, so a cached file's requests
  // format no date.
  const std::string& etag() const { return etag_; }
  const std::string& validators() const { return validators_; }

 private:
  const tools::UniqueFd fd_;
  const struct stat stat_;
  const std::string etag_;
  const std::string validators_;
};

using SharedFile = std::shared_ptr<const OpenFile>;

// Opens `path` (relative to the root, as ResolveTarget() makes it; "" is
// the root itself) beneath the directory `root_fd` with openat2(2):
// RESOLVE_BENEATH fails ".." and symlinks that would leave the root,
// RESOLVE_NO_MAGICLINKS refuses /proc-style links. Then fstat(2). Errors,
// each naming the path, the root fd and the cause:
//   NotFound: absent, or not reachable inside the root (ENOENT, ENOTDIR,
//     ENAMETOOLONG, ELOOP, EXDEV).
//   PermissionDenied: not readable (EACCES, EPERM), or not a regular file
//     (a directory, device or FIFO is never served).
//   ResourceExhausted: out of fds or memory (EMFILE, ENFILE, ENOMEM).
//   Internal: anything else.
[[nodiscard]] absl::StatusOr<SharedFile> OpenBeneath(int root_fd,
                                                     const std::string& path);

// Whether `a` and `b` describe the same version of a file: the same device
// and inode, size and modification time (to the nanosecond, so a rewrite
// of the same size within one second still differs).
bool SameVersion(const struct stat& a, const struct stat& b);

// Checks that `root_fd` can be used to open files confined beneath it
// (openat2(2) with RESOLVE_BENEATH, Linux 5.6); FailedPrecondition if not.
[[nodiscard]] absl::Status CheckConfinedOpen(int root_fd);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_OPEN_FILE_H_
