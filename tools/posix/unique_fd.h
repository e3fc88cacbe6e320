// Copyright 2026 The sluice Authors.
//
// UniqueFd: a move-only owner of one file descriptor that closes it once.
// The tools hold their listeners, connections, epoll sets, eventfds and
// open files in one; fds handed to an Engine stay owned here (the engine
// only borrows them).
//
//   absl::StatusOr<sluice::tools::UniqueFd> fd = sluice::tools::Connect(to);
//   if (!fd.ok()) return fd.status();
//   ::send(fd->get(), ...);  // closed when `fd` goes away

#ifndef SLUICE_TOOLS_POSIX_UNIQUE_FD_H_
#define SLUICE_TOOLS_POSIX_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace sluice::tools {

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
  // Gives the fd up without closing it.
  int release() { return std::exchange(fd_, -1); }
  // Closes the fd held (if any) and holds `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace sluice::tools

#endif  // SLUICE_TOOLS_POSIX_UNIQUE_FD_H_
