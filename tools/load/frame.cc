// Copyright 2026 The sluice Authors.

#include "load/frame.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace sluice::load {

std::string MakeHead(const Frame& frame) {
  const uint64_t total = std::max<uint64_t>(frame.head_bytes, kFrameBytes);
  std::string head = absl::StrFormat("SLD1 %08x %016x %016x %08x", frame.object,
                                     frame.offset, frame.count, total);
  head.resize(kFrameBytes - 1, ' ');
  head.push_back('\n');
  head += MakePlainHead(static_cast<size_t>(total - kFrameBytes));
  return head;
}

std::optional<Frame> ParseFrame(absl::string_view bytes) {
  if (bytes.size() < kFrameBytes || bytes.substr(0, 5) != "SLD1 " ||
      bytes[kFrameBytes - 1] != '\n') {
    return std::nullopt;
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(bytes.substr(5, kFrameBytes - 6), ' ', absl::SkipEmpty());
  if (fields.size() != 4) return std::nullopt;
  Frame frame;
  uint32_t object;
  uint64_t offset, count, head;
  if (!absl::SimpleHexAtoi(fields[0], &object) ||
      !absl::SimpleHexAtoi(fields[1], &offset) ||
      !absl::SimpleHexAtoi(fields[2], &count) ||
      !absl::SimpleHexAtoi(fields[3], &head) || head < kFrameBytes) {
    return std::nullopt;
  }
  frame.object = object;
  frame.offset = offset;
  frame.count = count;
  frame.head_bytes = head;
  return frame;
}

std::string MakePlainHead(size_t bytes) {
  static constexpr absl::string_view kStatus =
      "HTTP/1.1 200 OK\r\nServer: sluice-load\r\nX-Pad: ";
  std::string head;
  if (bytes == 0) return head;
  if (bytes < kStatus.size() + 4) return std::string(bytes, 'h');
  head = std::string(kStatus);
  head.resize(bytes - 4, 'p');
  head += "\r\n\r\n";
  return head;
}

}  // namespace sluice::load
