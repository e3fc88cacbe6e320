// Copyright 2026 The sluice Authors.
//
// Fuzzes ParseFrame() (tools/load/frame.h), which the verifying sink runs on
// every 64 bytes a peer sends where a frame should start. Beyond "no
// crash":
// - a frame is read only from kFrameBytes bytes or more, and its head is
//   at least kFrameBytes long (the sink subtracts that);
// - what is parsed round-trips: MakeHead() of it (head capped to keep the
//   allocation small) is a head of the stated length whose frame parses
//   back to the same values.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "load/frame.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sluice::load::Frame;
  using sluice::load::kFrameBytes;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::optional<Frame> frame = sluice::load::ParseFrame(bytes);
  if (!frame.has_value()) return 0;
  SLUICE_FUZZ_CHECK(size >= kFrameBytes);
  SLUICE_FUZZ_CHECK(frame->head_bytes >= kFrameBytes);

  Frame capped = *frame;
  capped.head_bytes = std::min<uint64_t>(capped.head_bytes, 4096);
  const std::string head = sluice::load::MakeHead(capped);
  SLUICE_FUZZ_CHECK(head.size() == capped.head_bytes);
  const std::optional<Frame> again = sluice::load::ParseFrame(head);
  SLUICE_FUZZ_CHECK(again.has_value());
  SLUICE_FUZZ_CHECK(
      again->object == capped.object && again->offset == capped.offset &&
      again->count == capped.count && again->head_bytes == capped.head_bytes);
  return 0;
}
