// Copyright 2026 The sluice Authors.

#include "engine/uring_stream_splice_path.h"

#include <utility>

#include "engine/call_timer.h"
#include "engine/splice_stream.h"

namespace sluice::internal {

PathStep UringStreamSplicePath::Advance(UringTransfer& t, UringTurn& turn) {
  SpliceState& splice = t.splice;
  if (!splice.pipe.has_value()) {
    splice.pipe = pipes_.Acquire();
    if (!splice.pipe.has_value()) return PathStep::kDeclined;
  }
  WriteStep step;
  {
    CallTimer timer(turn.stats);
    step = SpliceStream(t.endpoints, t.push, *splice.pipe, splice.in_pipe,
                        pipes_.pipe_size(), turn.sigpipe.Get(), turn.stats);
  }
  switch (step) {
    case WriteStep::kDone:
      return PathStep::kProgress;
    case WriteStep::kSocketFull:
      return PathStep::kSocketFull;
    case WriteStep::kSourceDry:
      // An empty pipe goes back while the source is dry: relays waiting
      // for their upstream hold none.
      if (splice.in_pipe == 0) {
        pipes_.Release(*std::move(splice.pipe), /*may_hold_bytes=*/false);
        splice.pipe.reset();
      }
      return PathStep::kSourceDry;
    case WriteStep::kUnsupported:
      return PathStep::kUnsupported;
    case WriteStep::kFailed:
      break;
  }
  return PathStep::kFailed;  // SpliceStream() set the error
}

}  // namespace sluice::internal
