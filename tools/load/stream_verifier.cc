// Copyright 2026 The sluice Authors.

#include "load/stream_verifier.h"

#include <algorithm>
#include <optional>

namespace sluice::load {

void StreamVerifier::Check(const char* data, size_t size,
                           tools::PatternMatcher& matcher) {
  while (size > 0) {
    switch (phase_) {
      case Phase::kFrame: {
        const size_t take = std::min(size, kFrameBytes - frame_bytes_.size());
        frame_bytes_.append(data, take);
        data += take;
        size -= take;
        if (frame_bytes_.size() < kFrameBytes) break;
        std::optional<Frame> parsed = ParseFrame(frame_bytes_);
        frame_bytes_.clear();
        if (!parsed.has_value()) {
          // Not a frame: the stream is out of step; count the rest as
          // mismatched.
          mismatched_bytes_ += kFrameBytes + size;
          phase_ = Phase::kLost;
          return;
        }
        frame_ = *parsed;
        head_left_ = frame_.head_bytes - kFrameBytes;
        body_done_ = 0;
        phase_ = Phase::kHead;
        break;
      }
      case Phase::kHead: {
        const size_t take =
            static_cast<size_t>(std::min<uint64_t>(size, head_left_));
        data += take;
        size -= take;
        head_left_ -= take;
        if (head_left_ == 0) phase_ = Phase::kBody;
        if (phase_ == Phase::kBody && frame_.count == 0) {
          ++frames_;
          phase_ = Phase::kFrame;
        }
        break;
      }
      case Phase::kBody: {
        const size_t take = static_cast<size_t>(
            std::min<uint64_t>(size, frame_.count - body_done_));
        mismatched_bytes_ += matcher.CountMismatches(
            data, take, frame_.offset + body_done_, frame_.object);
        verified_bytes_ += take;
        data += take;
        size -= take;
        body_done_ += take;
        if (body_done_ == frame_.count) {
          ++frames_;
          phase_ = Phase::kFrame;
        }
        break;
      }
      case Phase::kLost:
        mismatched_bytes_ += size;
        return;
    }
  }
}

}  // namespace sluice::load
