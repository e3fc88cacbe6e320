// Copyright 2026 The sluice Authors.

#define FUSE_USE_VERSION 34

#include "tests/testing/held_read_fs.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "pattern/pattern.h"

namespace sluice::testing {
namespace {

constexpr fuse_ino_t kFileInode = 2;
constexpr char kFileName[] = "cold.bin";

HeldReadFs& FsOf(fuse_req_t req) {
  return *static_cast<HeldReadFs*>(fuse_req_userdata(req));
}

struct stat AttrOf(fuse_ino_t ino, uint64_t size) {
  struct stat st {};
  st.st_ino = ino;
  if (ino == FUSE_ROOT_ID) {
    st.st_mode = S_IFDIR | 0755;
    st.st_nlink = 2;
  } else {
    st.st_mode = S_IFREG | 0444;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(size);
  }
  return st;
}

void Lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent != FUSE_ROOT_ID || std::strcmp(name, kFileName) != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param entry{};
  entry.ino = kFileInode;
  entry.attr = AttrOf(kFileInode, FsOf(req).size());
  entry.attr_timeout = 3600;
  entry.entry_timeout = 3600;
  fuse_reply_entry(req, &entry);
}

void GetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  if (ino != FUSE_ROOT_ID && ino != kFileInode) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  const struct stat st = AttrOf(ino, FsOf(req).size());
  fuse_reply_attr(req, &st, 3600);
}

void OpenFile(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != kFileInode) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  if ((fi->flags & O_ACCMODE) != O_RDONLY) {
    fuse_reply_err(req, EACCES);
    return;
  }
  fi->keep_cache = 0;  // every open starts with nothing cached
  fuse_reply_open(req, fi);
}

void ReadFile(fuse_req_t req, fuse_ino_t, size_t size, off_t offset,
              fuse_file_info*) {
  FsOf(req).OnRead(req, size, offset);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HeldReadFs>> HeldReadFs::Mount(uint64_t size) {
  if (::geteuid() != 0) {
    return absl::UnavailableError("mounting FUSE here needs root");
  }
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return absl::UnavailableError("no usable /dev/fuse");
  }
  std::unique_ptr<HeldReadFs> fs(new HeldReadFs(size));
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/sluice-held-read-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("mkdtemp ", dir, ": ", std::strerror(errno)));
  }
  fs->mount_point_ = dir;

  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.lookup = Lookup;
    o.getattr = GetAttr;
    o.open = OpenFile;
    o.read = ReadFile;
    return o;
  }();
  char name[] = "sluice-held-read";
  char* argv[] = {name, nullptr};
  fuse_args args = FUSE_ARGS_INIT(1, argv);
  fs->session_ = fuse_session_new(&args, &ops, sizeof(ops), fs.get());
  // The session keeps what it needs; the argument list it grew is ours.
  fuse_opt_free_args(&args);
  if (fs->session_ == nullptr) {
    return absl::UnavailableError("fuse_session_new failed");
  }
  if (fuse_session_mount(fs->session_, dir.c_str()) != 0) {
    fuse_session_destroy(fs->session_);
    fs->session_ = nullptr;
    return absl::UnavailableError(absl::StrCat("cannot mount FUSE at ", dir));
  }
  fs->loop_ = std::thread(
      [session = fs->session_] { (void)fuse_session_loop(session); });
  return fs;
}

HeldReadFs::~HeldReadFs() {
  Release();
  if (session_ != nullptr) {
    fuse_session_exit(session_);
    // Unmounting aborts the connection, which ends the loop's read of
    // /dev/fuse. fuse_session_unmount() would also close that fd under the
    // loop (ThreadSanitizer caught it), so the loop is joined first; then
    // it only closes the fd (its poll sees the connection gone).
    (void)::umount2(mount_point_.c_str(), MNT_DETACH);
    if (loop_.joinable()) loop_.join();
    fuse_session_unmount(session_);
    fuse_session_destroy(session_);
  }
  if (!mount_point_.empty()) ::rmdir(mount_point_.c_str());
}

absl::StatusOr<tools::UniqueFd> HeldReadFs::Open() const {
  const std::string path = absl::StrCat(mount_point_, "/", kFileName);
  tools::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return absl::UnavailableError(
        absl::StrCat("open ", path, ": ", std::strerror(errno)));
  }
  return fd;
}

void HeldReadFs::OnRead(fuse_req* req, size_t size, int64_t offset) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (holding_) {
    held_.push_back(HeldRead{req, size, offset});
    held_changed_.notify_all();
    return;
  }
  lock.unlock();
  Answer(HeldRead{req, size, offset});
}

void HeldReadFs::Answer(const HeldRead& read) {
  const uint64_t begin = std::min<uint64_t>(read.offset, size_);
  const uint64_t end = std::min<uint64_t>(begin + read.size, size_);
  std::string bytes(end - begin, '\0');
  for (uint64_t i = begin; i < end; ++i)
    bytes[i - begin] = tools::PatternByte(i);
  fuse_reply_buf(read.req, bytes.data(), bytes.size());
  std::lock_guard<std::mutex> lock(mutex_);
  ++answered_;
}

bool HeldReadFs::WaitForHeldRead(absl::Duration limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  return held_changed_.wait_for(lock, absl::ToChronoNanoseconds(limit),
                                [this] { return !held_.empty(); });
}

void HeldReadFs::Release() {
  std::vector<HeldRead> held;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    holding_ = false;
    held.swap(held_);
  }
  for (const HeldRead& read : held) Answer(read);
}

int HeldReadFs::reads_answered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return answered_;
}

}  // namespace sluice::testing
