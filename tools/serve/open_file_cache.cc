// Copyright 2026 The sluice Authors.

#include "serve/open_file_cache.h"

#include <iterator>
#include <utility>

namespace sluice::serve {

OpenFileCache::OpenFileCache(int root_fd, size_t capacity, absl::Duration valid,
                             Engine* engine)
    : root_fd_(root_fd), capacity_(capacity), valid_(valid), engine_(engine) {}

OpenFileCache::~OpenFileCache() {
  if (engine_ == nullptr) return;
  for (const Entry& entry : lru_) engine_->ForgetFd(entry.file->fd());
}

absl::StatusOr<SharedFile> OpenFileCache::Open(const std::string& path,
                                               absl::Time now) {
  if (capacity_ == 0) {
    ++counters_.opens;
    return OpenBeneath(root_fd_, path);
  }
  const auto found = entries_.find(path);
  if (found != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, found->second);
    if (now < found->second->valid_until) {
      ++counters_.hits;
      return found->second->file;
    }
  }
  // A miss, or a revalidation: statx(2) cannot resolve a path confined the
  // way openat2(2) does, and an unconfined stat could vouch for a path the
  // confined open now refuses; so revalidating is opening again, which
  // also leaves the new fd at hand when the file did change.
  ++counters_.opens;
  absl::StatusOr<SharedFile> fresh = OpenBeneath(root_fd_, path);
  if (found != entries_.end()) {
    const Lru::iterator entry = found->second;
    if (fresh.ok() && SameVersion((*fresh)->stat(), entry->file->stat())) {
      // The registered fd stays; the new one closes as `fresh` goes.
      ++counters_.revalidated;
      entry->valid_until = now + valid_;
      return entry->file;
    }
    Drop(entry);
  }
  if (!fresh.ok()) return fresh.status();
  return Keep(path, *std::move(fresh), now);
}

SharedFile OpenFileCache::Keep(const std::string& path, SharedFile file,
                               absl::Time now) {
  while (lru_.size() >= capacity_) Drop(std::prev(lru_.end()));
  // Unregistered (out of memory, say), a response works all the same.
  if (engine_ != nullptr) (void)engine_->RegisterFd(file->fd());
  lru_.push_front(Entry{path, file, now + valid_});
  entries_.emplace(lru_.front().path, lru_.begin());
  return file;
}

void OpenFileCache::Drop(Lru::iterator entry) {
  // Before the fd can close: the engine cannot tell a reused fd number
  // from the file it checked.
  if (engine_ != nullptr) engine_->ForgetFd(entry->file->fd());
  entries_.erase(entry->path);
  lru_.erase(entry);
  ++counters_.dropped;
}

}  // namespace sluice::serve
