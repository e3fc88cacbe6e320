// Copyright 2026 The sluice Authors.
//
// What one io_uring request of a transfer does, and the user_data word that
// brings its completion back to the transfer: index << 32 | 24-bit
// generation << 8 | op. A transfer is closed only once all its requests that
// hold memory or report progress have completed, so the generation is a
// guard, not a necessity; a read-ahead hint (kReadAhead) may complete after
// its transfer closed, and its completion is dropped unread.

#ifndef SLUICE_ENGINE_URING_REQUEST_H_
#define SLUICE_ENGINE_URING_REQUEST_H_

#include <cstdint>

namespace sluice::internal {

enum class UringOp : uint8_t {
  kNone = 0,
  kHeader,
  kTrailer,
  kPollOut,  // socket writability
  kPollIn,   // a non-blocking pipe source has data
  // The copy path: READ, SEND of what was read, or one SENDMSG of header,
  // read data and trailer linked after a READ.
  kRead,
  kFileSend,
  kSendMsg,
  // The splice path: file -> pipe, linked to pipe -> socket.
  kSpliceIn,
  kSpliceOut,
  kCancel,  // its own CQE carries nothing we need
  // FADVISE(WILLNEED) of the range after a cold READ: a hint that holds no
  // memory of ours, so nothing waits for it and its CQE carries nothing.
  kReadAhead,
};

// Every op a transfer may have in flight, for cancelling them all.
inline constexpr UringOp kTransferOps[] = {
    UringOp::kHeader,  UringOp::kTrailer,  UringOp::kPollOut,
    UringOp::kPollIn,  UringOp::kRead,     UringOp::kFileSend,
    UringOp::kSendMsg, UringOp::kSpliceIn, UringOp::kSpliceOut,
};

inline uint32_t OpBit(UringOp op) { return 1u << static_cast<unsigned>(op); }

inline uint64_t UringUserData(uint32_t index, uint32_t generation, UringOp op) {
  return uint64_t{index} << 32 | uint64_t{generation & 0xffffff} << 8 |
         static_cast<uint64_t>(op);
}

struct UringRequestName {
  uint32_t index;
  uint32_t generation;
  UringOp op;
};

inline UringRequestName DecodeUserData(uint64_t user_data) {
  return UringRequestName{static_cast<uint32_t>(user_data >> 32),
                          static_cast<uint32_t>(user_data >> 8) & 0xffffff,
                          static_cast<UringOp>(user_data & 0xff)};
}

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_REQUEST_H_
