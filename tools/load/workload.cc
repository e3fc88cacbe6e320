// Copyright 2026 The sluice Authors.

#include "load/workload.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "flags/byte_size.h"
#include "pattern/pattern_file.h"

namespace sluice::load {

absl::StatusOr<SizeMix> ParseSizeMix(absl::string_view text) {
  SizeMix mix;
  double total_weight = 0;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> size_weight = absl::StrSplit(part, ':');
    uint64_t size = 0;
    double weight = 1;
    // SimpleAtod() takes "inf", "nan" and reads "1e400" as infinity;
    // std::discrete_distribution needs finite weights.
    if (size_weight.empty() || size_weight.size() > 2 ||
        !tools::ParseByteSize(size_weight[0], size) || size == 0 ||
        (size_weight.size() == 2 &&
         (!absl::SimpleAtod(size_weight[1], &weight) ||
          !std::isfinite(weight) || weight <= 0))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "bad object size \"%s\": expected a size with a unit (B, KiB, "
          "MiB, GiB) and an optional positive weight, e.g. 16KiB or "
          "16KiB:80,1MiB:15,64MiB:5",
          part));
    }
    total_weight += weight;
    if (!std::isfinite(total_weight)) {
      return absl::InvalidArgumentError(
          "object size weights add up to more than a double holds");
    }
    mix.sizes.push_back(size);
    mix.weights.push_back(weight);
  }
  return mix;
}

absl::StatusOr<ObjectSet> ObjectSet::Generate(const SizeMix& mix, int count,
                                              const std::string& parent,
                                              uint64_t seed) {
  ObjectSet set;
  std::string dir = absl::StrCat(parent, "/sluice-load-XXXXXX");
  if (::mkdtemp(dir.data()) == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("mkdtemp in ", parent));
  }
  set.temp_dir_ = dir;
  std::mt19937_64 rng(seed);
  std::discrete_distribution<size_t> pick(mix.weights.begin(),
                                          mix.weights.end());
  for (int i = 0; i < count; ++i) {
    Object object;
    object.path = absl::StrCat(dir, "/object-", i);
    object.size = mix.sizes[pick(rng)];
    const int fd = ::open(object.path.c_str(),
                          O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      return absl::ErrnoToStatus(errno, absl::StrCat("create ", object.path));
    }
    object.fd = fd;
    set.objects_.push_back(object);
    if (absl::Status written =
            tools::WritePattern(fd, object.size, static_cast<uint32_t>(i));
        !written.ok()) {
      return absl::Status(written.code(),
                          absl::StrCat(object.path, ": ", written.message()));
    }
    // Written back before anything is measured (writeback under a run
    // slows whichever backend runs first).
    ::fdatasync(fd);
  }
  return set;
}

absl::StatusOr<ObjectSet> ObjectSet::Open(const std::string& dir) {
  ObjectSet set;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    return absl::ErrnoToStatus(errno, absl::StrCat("--dir ", dir));
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    Object object;
    object.path = absl::StrCat(dir, "/", name);
    const int fd = ::open(object.path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size == 0) {
      if (fd >= 0) ::close(fd);
      continue;
    }
    object.fd = fd;
    object.size = static_cast<uint64_t>(st.st_size);
    set.objects_.push_back(object);
  }
  if (set.objects_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--dir %s holds no non-empty regular file", dir));
  }
  return set;
}

ObjectSet::ObjectSet(ObjectSet&& other) noexcept
    : objects_(std::move(other.objects_)),
      temp_dir_(std::move(other.temp_dir_)) {
  other.objects_.clear();
  other.temp_dir_.clear();
}

ObjectSet::~ObjectSet() {
  for (const Object& object : objects_) {
    ::close(object.fd);
    if (!temp_dir_.empty()) ::unlink(object.path.c_str());
  }
  if (!temp_dir_.empty()) ::rmdir(temp_dir_.c_str());
}

uint64_t ObjectSet::total_bytes() const {
  uint64_t total = 0;
  for (const Object& object : objects_) total += object.size;
  return total;
}

Pick ObjectSet::Choose(OffsetMode mode, std::mt19937_64& rng) const {
  Pick pick;
  pick.object = static_cast<uint32_t>(rng() % objects_.size());
  const uint64_t size = objects_[pick.object].size;
  if (mode == OffsetMode::kWhole) {
    pick.count = size;
    return pick;
  }
  // Like an HTTP Range request: any non-empty slice.
  pick.offset = rng() % size;
  pick.count = 1 + rng() % (size - pick.offset);
  return pick;
}

}  // namespace sluice::load
