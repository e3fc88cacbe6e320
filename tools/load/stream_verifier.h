// Copyright 2026 The sluice Authors.
//
// StreamVerifier: follows one received sluice-load stream — transfers back
// to back, each a head that starts with a frame (frame.h) and a body — and
// checks every body byte against its object's pattern (pattern/pattern.h).
// The verifying sink (--verify) and the soak's receiver keep one per
// connection.
//
//   sluice::tools::PatternMatcher matcher;  // one per reading thread
//   sluice::load::StreamVerifier stream;    // one per connection
//   stream.Check(buffer, n, matcher);       // each chunk, in order
//   if (stream.mismatched_bytes() > 0) ... wrong bytes ...

#ifndef SLUICE_TOOLS_LOAD_STREAM_VERIFIER_H_
#define SLUICE_TOOLS_LOAD_STREAM_VERIFIER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "load/frame.h"
#include "pattern/pattern_matcher.h"

namespace sluice::load {

class StreamVerifier {
 public:
  // Checks `data`, the next `size` bytes of the stream. Bytes where a frame
  // should start but that do not parse as one put the stream out of step:
  // they and everything after them count as mismatched.
  void Check(const char* data, size_t size, tools::PatternMatcher& matcher);

  // Transfers whose head and whole body arrived.
  uint64_t frames() const { return frames_; }
  // Body bytes unlike the pattern, plus every byte from a bad frame on.
  uint64_t mismatched_bytes() const { return mismatched_bytes_; }
  // Body bytes compared with the pattern.
  uint64_t verified_bytes() const { return verified_bytes_; }

 private:
  enum class Phase { kFrame, kHead, kBody, kLost };

  Phase phase_ = Phase::kFrame;
  std::string frame_bytes_;
  Frame frame_;
  uint64_t head_left_ = 0;
  uint64_t body_done_ = 0;
  uint64_t frames_ = 0;
  uint64_t mismatched_bytes_ = 0;
  uint64_t verified_bytes_ = 0;
};

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_STREAM_VERIFIER_H_
