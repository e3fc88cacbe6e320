// Copyright 2026 The sluice Authors.
//
// open_file_cache.h: sluice-serve's open-file cache (--open-file-cache), the
// way nginx's open_file_cache works: the fds and stat results of up to N
// files stay open, so a request for one of them costs no openat2(2) and no
// fstat(2) — within the validity interval, no system call at all.
//
// After the interval a cached file is revalidated on its next request: its
// path is opened again, confined like the first open, and the two compared
// (SameVersion: device, inode, size, mtime in ns). The same version stays
// (the new fd closes, the old one is valid for another interval); a
// different one replaces it; a path that no longer opens (deleted, made a
// directory, a symlink now leading out of the root) drops it and answers
// the error. So a file replaced on disk is served fresh at most one
// interval after, and each response is one version: the fd it holds keeps
// the inode it was opened on. Errors are not cached.
//
// Files leave the cache least recently used first when a new one needs
// room, or when revalidation finds them changed or gone. Leaving only drops
// the cache's share: the fd closes once no response in flight holds it.
//
// With capacity 0 the cache is off: every Open() opens (OpenBeneath()), and
// the fd closes when its response is done, as without a cache.
//
// One per worker thread: not thread-safe, and no locks.
//
//   OpenFileCache files(root_fd, 1000, absl::Seconds(1), engine);
//   absl::StatusOr<SharedFile> file = files.Open("a/b.txt", now);
//   if (file.ok()) ... hold *file until its response is sent ...

#ifndef SLUICE_TOOLS_SERVE_OPEN_FILE_CACHE_H_
#define SLUICE_TOOLS_SERVE_OPEN_FILE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "serve/open_file.h"
#include "sluice/engine.h"

namespace sluice::serve {

class OpenFileCache {
 public:
  // What Open() did, counted since construction.
  struct Counters {
    // Served from the cache within the validity interval: no system call.
    uint64_t hits = 0;
    // Opened: not cached (or the cache is off), or revalidated.
    uint64_t opens = 0;
    // Revalidations that found the cached version still there.
    uint64_t revalidated = 0;
    // Cached files that left: changed, gone, or least recently used.
    uint64_t dropped = 0;
  };

  // Serves files beneath the directory `root_fd` (borrowed), keeping up to
  // `capacity` of them open (0: off) and trusting each for `valid` (> 0)
  // after it was opened or last revalidated. If `engine` is not null, each
  // cached fd is registered with it (Engine::RegisterFd) while it is in the
  // cache, so Submit() with it makes no checks, and forgotten as it leaves;
  // `engine` must then outlive the cache.
  OpenFileCache(int root_fd, size_t capacity, absl::Duration valid,
                Engine* engine);
  // Forgets every cached fd in the engine; responses still holding one
  // keep it open until they let go.
  ~OpenFileCache();

  OpenFileCache(const OpenFileCache&) = delete;
  OpenFileCache& operator=(const OpenFileCache&) = delete;

  // The file at `path` beneath the root (as OpenBeneath() takes it), `now`
  // being the caller's current time (which must not go backwards): cached
  // and trusted until after `now`, the cached file; else opened (and
  // revalidated or cached, as above). Errors as OpenBeneath()'s.
  [[nodiscard]] absl::StatusOr<SharedFile> Open(const std::string& path,
                                                absl::Time now);

  // Files in the cache now.
  size_t size() const { return entries_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  struct Entry {
    std::string path;
    SharedFile file;
    // Served without a check until then.
    absl::Time valid_until;
  };
  using Lru = std::list<Entry>;  // most recently used first

  // Caches `file` as `path`'s, in front (making room), its fd registered.
  SharedFile Keep(const std::string& path, SharedFile file, absl::Time now);
  // Forgets the entry's fd in the engine and drops the cache's share.
  void Drop(Lru::iterator entry);

  const int root_fd_;
  const size_t capacity_;
  const absl::Duration valid_;
  Engine* const engine_;
  Lru lru_;
  // Keys view the path of their entry in `lru_` (list nodes never move).
  absl::flat_hash_map<absl::string_view, Lru::iterator> entries_;
  Counters counters_;
};

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_OPEN_FILE_CACHE_H_
