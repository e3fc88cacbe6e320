// Copyright 2026 The sluice Authors.
//
// The io_uring backend's copy path: IORING_OP_READ into the transfer's
// buffer, then IORING_OP_SEND of what was read. It copies through user
// space but reads any source: pipes, character devices and sockets take it
// before their first byte, files sendfile or splice refuse (procfs) on
// their first call. A push small enough for one buffer goes as one linked
// READ -> SENDMSG of header, data and trailer: one submission, one segment.
// A cold source's READ comes with a read-ahead of the range after it
// (FADVISE WILLNEED, which io_uring runs on io-wq), so that while one chunk
// is sent the next is already being read.

#ifndef SLUICE_ENGINE_URING_COPY_PATH_H_
#define SLUICE_ENGINE_URING_COPY_PATH_H_

#include "engine/uring_file_path.h"

namespace sluice::internal {

class UringCopyPath final : public UringFilePath {
 public:
  PathStep Advance(UringTransfer& t, UringTurn& turn) override;
  PathStep Complete(UringTransfer& t, UringOp op, int result,
                    UringTurn& turn) override;
  // The linked READ -> SENDMSG, for the rest of a push from a regular file
  // that fits one buffer with nothing read ahead.
  PathStep AdvanceWhole(UringTransfer& t, UringTurn& turn) override;

 private:
  // Asks the kernel to read up to kColdReadAhead bytes from `from` into the
  // page cache, past what was asked before.
  static void ReadAhead(UringTransfer& t, UringTurn& turn, uint64_t from);
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_COPY_PATH_H_
