// Copyright 2026 The sluice Authors.

#include "engine/uring_sendfile_path.h"

#include "engine/call_timer.h"
#include "engine/sendfile_call.h"

namespace sluice::internal {

PathStep UringSendfilePath::Advance(UringTransfer& t, UringTurn& turn) {
  CallTimer timer(turn.stats);
  switch (SendfileBytes(t.endpoints.socket_fd, t.endpoints.file_fd, t.push,
                        /*may_fall_back=*/!t.file_started, turn.sigpipe.Get(),
                        turn.stats)) {
    case WriteStep::kDone:
      return PathStep::kProgress;
    case WriteStep::kSocketFull:
      return PathStep::kSocketFull;
    case WriteStep::kSourceDry:
      return PathStep::kSourceDry;
    case WriteStep::kUnsupported:
      return PathStep::kUnsupported;
    case WriteStep::kFailed:
      break;
  }
  return PathStep::kFailed;
}

}  // namespace sluice::internal
