// Copyright 2026 The sluice Authors.
//
// PushProgress: one pending push and what it has moved so far, the
// bookkeeping every data path shares: how a send of header, data and
// trailer splits into the three parts, and when a part is sent with
// MSG_MORE. WriteStep is what an attempt to move more of it did.

#ifndef SLUICE_ENGINE_PUSH_PROGRESS_H_
#define SLUICE_ENGINE_PUSH_PROGRESS_H_

#include <algorithm>
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

// What one send of [header, data, trailer] moved of each part.
struct SentParts {
  uint64_t header = 0;
  uint64_t data = 0;
  uint64_t trailer = 0;
  // The socket took less than it was offered: on a non-blocking socket,
  // its buffer is full.
  bool short_send = false;
};

// Splits `sent` bytes of a send of parts sized `header`, `data`, `trailer`
// (in that order) into what each part moved.
inline SentParts SplitSent(uint64_t sent, uint64_t header, uint64_t data,
                           uint64_t trailer) {
  SentParts parts;
  parts.header = std::min(sent, header);
  sent -= parts.header;
  parts.data = std::min(sent, data);
  sent -= parts.data;
  parts.trailer = std::min(sent, trailer);
  parts.short_send =
      parts.header + parts.data + parts.trailer < header + data + trailer;
  return parts;
}

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
  // File bytes still to move in this push: some are left, and the source
  // has not ended.
  bool file_pending() const { return file_left() > 0 && !outcome.file_ended; }
  bool moved_bytes() const {
    return outcome.header_bytes + outcome.file_bytes + outcome.trailer_bytes >
           0;
  }

  // The header goes with MSG_MORE when more of this push follows it, so it
  // shares a segment with the first file bytes (or the trailer).
  bool more_after_header() const {
    return file_left() > 0 || !trailer_left().empty();
  }
  // File bytes that end the file part go with MSG_MORE when the trailer
  // follows, so the trailer shares their last segment.
  bool more_after_file(uint64_t bytes) const {
    return bytes == file_left() && !trailer_left().empty();
  }

  // Adds what a send of [header_left(), `data` file bytes, `trailer`
  // bytes] moved to the outcome.
  SentParts RecordSend(uint64_t sent, uint64_t header, uint64_t data,
                       uint64_t trailer) {
    const SentParts parts = SplitSent(sent, header, data, trailer);
    outcome.header_bytes += parts.header;
    outcome.file_bytes += parts.data;
    outcome.trailer_bytes += parts.trailer;
    return parts;
  }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_PUSH_PROGRESS_H_
