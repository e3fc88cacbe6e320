// Copyright 2026 The sluice Authors.
//
// The io_uring backend's splice path: file -> pooled pipe -> socket as a
// linked pair of IORING_OP_SPLICE requests, which the kernel runs on io-wq
// worker threads, so the copy work leaves the engine thread. A short first
// half cancels the second; whatever entered the pipe and did not leave it
// goes out first at the next step, so the pipe is handed back empty, or
// closed (PipePool) when a cancel or error may have left bytes in it.

#ifndef SLUICE_ENGINE_URING_SPLICE_PATH_H_
#define SLUICE_ENGINE_URING_SPLICE_PATH_H_

#include <cstddef>

#include "engine/pipe_pool.h"
#include "engine/uring_file_path.h"

namespace sluice::internal {

class UringSplicePath final : public UringFilePath {
 public:
  explicit UringSplicePath(PipePool& pipes) : pipes_(pipes) {}

  // kDeclined when no pipe can be had: inline sendfile takes the step.
  PathStep Advance(UringTransfer& t, UringTurn& turn) override;
  PathStep Complete(UringTransfer& t, UringOp op, int result,
                    UringTurn& turn) override;
  // A pipe serves one push at a time, so idle transfers hold none.
  void EndPush(UringTransfer& t) override;

 private:
  PathStep PairDone(UringTransfer& t, UringTurn& turn);

  PipePool& pipes_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_SPLICE_PATH_H_
