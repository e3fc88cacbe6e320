// Copyright 2026 The sluice Authors.
//
// PushProgress: one pending push and what it has moved so far, and WriteStep,
// what an attempt to move more of it did. Shared by every backend.

#ifndef SLUICE_ENGINE_PUSH_PROGRESS_H_
#define SLUICE_ENGINE_PUSH_PROGRESS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "engine/backend.h"

namespace sluice::internal {

// What a write attempt did.
enum class WriteStep {
  // Everything asked for went out (or the source reached EOF).
  kDone,
  // The socket is full; there may have been progress first.
  kSocketFull,
  // A non-blocking pipe source has no data yet.
  kSourceDry,
  // The OS refused; the outcome's `error` says why.
  kFailed,
  // The zero-copy call cannot read this source and no file byte has moved:
  // the caller may fall back to copying.
  kUnsupported,
};

// One pending push and what it has moved so far.
struct PushProgress {
  PushRequest request;
  PushOutcome outcome;

  absl::string_view header_left() const {
    return request.header.substr(outcome.header_bytes);
  }
  absl::string_view trailer_left() const {
    return request.trailer.substr(outcome.trailer_bytes);
  }
  uint64_t file_left() const {
    return request.file_budget - outcome.file_bytes;
  }
  uint64_t file_position() const {
    return request.file_offset + outcome.file_bytes;
  }
  bool moved_bytes() const {
    return outcome.header_bytes + outcome.file_bytes + outcome.trailer_bytes >
           0;
  }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_PUSH_PROGRESS_H_
