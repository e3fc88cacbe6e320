// Copyright 2026 The sluice Authors.

#include "engine/cold_reader.h"

#include "absl/status/status.h"
#include "engine/sluice_config.h"

#if SLUICE_HAVE_EPOLL
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "engine/copy_buffer.h"
#include "engine/errno_status.h"
#include "engine/residency.h"
#endif

namespace sluice::internal {

absl::StatusOr<std::unique_ptr<ColdReader>> ColdReader::Create(
    unsigned threads) {
#if SLUICE_HAVE_EPOLL
  UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event.valid()) {
    return ErrnoStatus(errno, "eventfd for the cold-read threads", -1);
  }
  std::unique_ptr<ColdReader> reader(new ColdReader(std::move(event)));
  for (unsigned i = 0; i < threads; ++i) {
    reader->threads_.emplace_back([r = reader.get()] { r->Run(); });
  }
  return reader;
#else
  (void)threads;
  return absl::UnimplementedError("no cold-read threads in this build");
#endif
}

ColdReader::~ColdReader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void ColdReader::Warm(int fd, uint64_t offset, uint64_t length,
                      uint64_t read_ahead_end, uint64_t token) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(Job{fd, offset, length, read_ahead_end, token});
  }
  wake_.notify_one();
}

void ColdReader::TakeDone(std::vector<uint64_t>& tokens) {
#if SLUICE_HAVE_EPOLL
  uint64_t count;
  (void)!::read(event_.get(), &count, sizeof(count));
#endif
  std::lock_guard<std::mutex> lock(mutex_);
  tokens.insert(tokens.end(), done_.begin(), done_.end());
  done_.clear();
}

void ColdReader::Run() {
#if SLUICE_HAVE_EPOLL
  std::vector<char> scratch(kCopyChunk);
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const Job job = queue_.front();
    queue_.pop_front();
    lock.unlock();
    // The blocking part, off the engine thread: reading brings the range
    // into the page cache (readahead(2) would only start it).
    uint64_t at = job.offset;
    const uint64_t end = job.offset + job.length;
    while (at < end) {
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(end - at, scratch.size()));
      const ssize_t n =
          ::pread(job.fd, scratch.data(), want, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      at += static_cast<uint64_t>(n);
    }
    // Read-ahead: the kernel starts reading what the transfer will ask for
    // next while this range is sent, so the next warm finds it cached or
    // on its way. A hint: its failure changes nothing.
    if (at == end && job.read_ahead_end > end) {
      const uint64_t ahead = std::min(job.read_ahead_end - end, kColdReadAhead);
      (void)::posix_fadvise(job.fd, static_cast<off_t>(end),
                            static_cast<off_t>(ahead), POSIX_FADV_WILLNEED);
    }
    lock.lock();
    done_.push_back(job.token);
    const uint64_t one = 1;
    (void)!::write(event_.get(), &one, sizeof(one));
  }
#endif
}

}  // namespace sluice::internal
