// Copyright 2026 The sluice Authors.
//
// UringFilePath: the one shape of an io_uring data path, like nginx's
// send_chain per OS mechanism: "this push, this byte budget -> in flight,
// progress, would block, EOF or error". A path moves the file part of a
// push (the header has gone out before it is asked); the backend
// (uring_backend.cc) sequences header, file part and trailer, chooses the
// path per push (data_path_policy.h), re-arms readiness when a path says
// the socket is full, and reports the outcome. A path touches only its own
// requests and the transfer's state.

#ifndef SLUICE_ENGINE_URING_FILE_PATH_H_
#define SLUICE_ENGINE_URING_FILE_PATH_H_

#include "engine/uring_request.h"
#include "engine/uring_transfer.h"

namespace sluice::internal {

class UringFilePath {
 public:
  virtual ~UringFilePath() = default;

  // Moves the file part of `t.push` on: issues requests (kInFlight) or makes
  // calls on the engine thread.
  virtual PathStep Advance(UringTransfer& t, UringTurn& turn) = 0;

  // Applies the result of one of this path's requests, whose in-flight bit
  // is already cleared. kInFlight while the other half of a linked pair is
  // still out.
  virtual PathStep Complete(UringTransfer& t, UringOp op, int result,
                            UringTurn& turn) = 0;

  // Moves the header, the file part and the trailer in one step where the
  // path can (the backend asks before it sends the header); kDeclined
  // where it cannot.
  virtual PathStep AdvanceWhole(UringTransfer&, UringTurn&) {
    return PathStep::kDeclined;
  }

  // The push ended (or the transfer closes): let go of what it held.
  virtual void EndPush(UringTransfer&) {}
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_URING_FILE_PATH_H_
