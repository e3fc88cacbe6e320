// Copyright 2026 The sluice Authors.
//
// CopyBuffer: bytes a copy path read from the source that the socket has
// not taken yet. They are the file bytes right after the push's position,
// so a short send loses nothing, even from a pipe, which cannot be read
// again at an offset.

#ifndef SLUICE_ENGINE_COPY_BUFFER_H_
#define SLUICE_ENGINE_COPY_BUFFER_H_

#include <cstddef>
#include <memory>

#include "absl/strings/string_view.h"

namespace sluice::internal {

// The most a copy path reads at once: large enough that one send fills a
// loopback socket's buffer, small enough to stay in L2.
inline constexpr size_t kCopyChunk = 256 * 1024;

class CopyBuffer {
 public:
  // Empties the buffer and returns room for a read of `size` bytes at its
  // start; Filled() then says how many arrived.
  char* PrepareRead(size_t size) {
    if (capacity_ < size) {
      // Uninitialized: the read fills it.
      bytes_.reset(new char[size]);
      capacity_ = size;
    }
    begin_ = 0;
    end_ = 0;
    return bytes_.get();
  }
  void Filled(size_t size) { end_ = size; }

  // The bytes read and not yet sent.
  absl::string_view pending() const {
    return absl::string_view(bytes_.get() + begin_, end_ - begin_);
  }
  bool empty() const { return begin_ == end_; }
  // The socket took the first `size` pending bytes.
  void Consume(size_t size) { begin_ += size; }
  void Clear() { begin_ = end_ = 0; }
  // Gives the memory back once empty: a relay waiting for its upstream
  // holds no buffer (10,000 idle relays would hold 2.5 GiB otherwise).
  void FreeIfEmpty() {
    if (!empty()) return;
    bytes_.reset();
    capacity_ = 0;
    begin_ = end_ = 0;
  }

 private:
  std::unique_ptr<char[]> bytes_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_COPY_BUFFER_H_
