// Copyright 2026 The sluice Authors.
//
// UringStreamSplicePath: the io_uring backend's path for a stream source (a
// relay's upstream socket, a pipe): splice(2) through the transfer's pipe,
// called on the engine thread (splice_stream.h), readiness re-armed through
// the ring like every other path. io_uring runs every SPLICE on io-wq, a
// worker round trip per chunk; a stream's fds are non-blocking, so the
// engine thread never waits in the call, and a relay of small messages
// costs two syscalls per chunk instead. A forced uring_data_path = kSplice
// still takes io-wq (uring_splice_path.h).
//
// The pipe state (SpliceState) is the splice path's: whichever path a
// step takes, bytes a short step left in the pipe go out first.

#ifndef SLUICE_ENGINE_URING_STREAM_SPLICE_PATH_H_
#define SLUICE_ENGINE_URING_STREAM_SPLICE_PATH_H_

#include "engine/pipe_pool.h"
#include "engine/uring_file_path.h"

namespace sluice::internal {

class UringStreamSplicePath final : public UringFilePath {
 public:
  explicit UringStreamSplicePath(PipePool& pipes) : pipes_(pipes) {}

  // kDeclined when no pipe can be had: the copy path takes the step.
  PathStep Advance(UringTransfer& t, UringTurn& turn) override;
  PathStep Complete(UringTransfer&, UringOp, int, UringTurn&) override {
    return PathStep::kProgress;
  }

 private:
  PipePool& pipes_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_STREAM_SPLICE_PATH_H_
