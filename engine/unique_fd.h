// Copyright 2026 The sluice Authors.
//
// UniqueFd: owns a file descriptor the engine created (epoll, eventfd, pipe,
// ring) and closes it once. User sockets and files are never held in one.

#ifndef SLUICE_ENGINE_UNIQUE_FD_H_
#define SLUICE_ENGINE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace sluice::internal {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_UNIQUE_FD_H_
