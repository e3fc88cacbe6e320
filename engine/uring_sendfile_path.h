// Copyright 2026 The sluice Authors.
//
// The io_uring backend's inline sendfile path: sendfile(2) on the engine
// thread as soon as a push arrives and again whenever io_uring reports the
// socket writable. io_uring carries the readiness, the header and the
// trailer; the file bytes keep sendfile's zero copy and cost no worker
// thread. It issues no request of its own.

#ifndef SLUICE_ENGINE_URING_SENDFILE_PATH_H_
#define SLUICE_ENGINE_URING_SENDFILE_PATH_H_

#include "engine/uring_file_path.h"

namespace sluice::internal {

class UringSendfilePath final : public UringFilePath {
 public:
  PathStep Advance(UringTransfer& t, UringTurn& turn) override;
  PathStep Complete(UringTransfer&, UringOp, int, UringTurn&) override {
    return PathStep::kProgress;
  }
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_SENDFILE_PATH_H_
