// Copyright 2026 The sluice Authors.
//
// The head sluice-load puts before each object: a fixed 64-byte frame line
// naming the object, the slice and the head's full length, then filler up
// to --header-bytes. A sink that knows the frame can check every body byte
// (PatternByte(offset, object), pattern/pattern.h) and count transfers; a
// discarding sink ignores it.

#ifndef SLUICE_TOOLS_LOAD_FRAME_H_
#define SLUICE_TOOLS_LOAD_FRAME_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace sluice::load {

inline constexpr size_t kFrameBytes = 64;

struct Frame {
  uint32_t object = 0;
  uint64_t offset = 0;
  uint64_t count = 0;
  // The whole head, this frame included (>= kFrameBytes).
  uint64_t head_bytes = kFrameBytes;
};

// A head of max(head_bytes, kFrameBytes) bytes: the frame, then an
// HTTP-like filler.
std::string MakeHead(const Frame& frame);

// Reads a frame from its kFrameBytes bytes; nullopt if they are not one.
std::optional<Frame> ParseFrame(absl::string_view bytes);

// An unframed HTTP-like head of exactly `bytes` bytes (for runs without
// verification whose --header-bytes is below kFrameBytes).
std::string MakePlainHead(size_t bytes);

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_FRAME_H_
