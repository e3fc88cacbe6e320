// Copyright 2026 The sluice Authors.
//
// What sluice-load sends: a set of objects (files) with sizes drawn from a
// weighted mix, and for each transfer an object and a [offset, count) slice
// of it. Generated object i holds the pattern stream i (PatternByte(offset,
// i), pattern/pattern.h), so a sink anywhere can check what it receives
// without the files.

#ifndef SLUICE_TOOLS_LOAD_WORKLOAD_H_
#define SLUICE_TOOLS_LOAD_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluice::load {

// "4MiB", or weighted sizes "16KiB:80,1MiB:15,64MiB:5" (weights positive
// and finite, their sum too; they need not sum to 100). Units: B, KiB, MiB,
// GiB. InvalidArgument names the bad part.
struct SizeMix {
  std::vector<uint64_t> sizes;
  std::vector<double> weights;
};
absl::StatusOr<SizeMix> ParseSizeMix(absl::string_view text);

struct Object {
  std::string path;
  uint64_t size = 0;
  int fd = -1;  // read-only, owned by the ObjectSet
};

enum class OffsetMode { kWhole, kRandomRange };

// One transfer's choice: which object, which slice.
struct Pick {
  uint32_t object = 0;
  uint64_t offset = 0;
  uint64_t count = 0;
};

class ObjectSet {
 public:
  // `count` generated objects with sizes drawn from `mix` in a new temporary
  // directory under `parent` (removed again by the destructor).
  static absl::StatusOr<ObjectSet> Generate(const SizeMix& mix, int count,
                                            const std::string& parent,
                                            uint64_t seed);
  // The regular files in `dir`, left as they are.
  static absl::StatusOr<ObjectSet> Open(const std::string& dir);

  ObjectSet(ObjectSet&& other) noexcept;
  ObjectSet& operator=(ObjectSet&&) = delete;
  ~ObjectSet();

  const std::vector<Object>& objects() const { return objects_; }
  bool generated() const { return !temp_dir_.empty(); }
  uint64_t total_bytes() const;

  // A uniformly chosen object; the whole of it, or a random non-empty slice.
  Pick Choose(OffsetMode mode, std::mt19937_64& rng) const;

 private:
  ObjectSet() = default;
  std::vector<Object> objects_;
  std::string temp_dir_;
};

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_WORKLOAD_H_
