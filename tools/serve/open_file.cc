// Copyright 2026 The sluice Authors.

#include "serve/open_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "serve/http_date.h"

namespace sluice::serve {
namespace {

using tools::UniqueFd;

int OpenAt2Beneath(int root_fd, const std::string& path) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(::syscall(SYS_openat2, root_fd,
                                    path.empty() ? "." : path.c_str(), &how,
                                    sizeof(how)));
}

absl::Status OpenError(int err, int root_fd, const std::string& path) {
  const std::string message =
      absl::StrCat("openat2(\"", path, "\") beneath root fd ", root_fd, ": ",
                   std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:
    case EXDEV:  // a symlink pointing outside the root: as if absent
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EMFILE:
    case ENFILE:
    case ENOMEM:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

std::string EntityTag(const struct stat& st) {
  const auto mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                        static_cast<uint64_t>(st.st_mtim.tv_nsec);
  return absl::StrCat("\"", absl::Hex(mtime_ns), "-",
                      absl::Hex(static_cast<uint64_t>(st.st_size)), "\"");
}

}  // namespace

OpenFile::OpenFile(UniqueFd fd, const struct stat& st)
    : fd_(std::move(fd)),
      stat_(st),
      etag_(EntityTag(st)),
      validators_(absl::StrCat(
          "ETag: ", etag_, "\r\nLast-Modified: ",
          FormatHttpDate(absl::FromUnixSeconds(st.st_mtim.tv_sec)), "\r\n")) {}

absl::StatusOr<SharedFile> OpenBeneath(int root_fd, const std::string& path) {
  UniqueFd fd(OpenAt2Beneath(root_fd, path));
  if (!fd.valid()) return OpenError(errno, root_fd, path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) {
    return absl::InternalError(absl::StrCat(
        "fstat of \"", path, "\" (fd ", fd.get(), "): ", std::strerror(errno)));
  }
  // Never a listing, never a device or FIFO.
  if (!S_ISREG(st.st_mode)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "\"", path, "\" beneath root fd ", root_fd, " is not a regular file"));
  }
  return std::make_shared<const OpenFile>(std::move(fd), st);
}

bool SameVersion(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino &&
         a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
         a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

absl::Status CheckConfinedOpen(int root_fd) {
  UniqueFd probe(OpenAt2Beneath(root_fd, ""));
  if (probe.valid()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "openat2(RESOLVE_BENEATH) on the root (fd ", root_fd,
      ") failed: ", std::strerror(errno),
      "; sluice-serve needs it (Linux 5.6+) to keep requests inside --root"));
}

}  // namespace sluice::serve
