// Copyright 2026 The sluice Authors.
//
// PipePool: reusable pipes for splice, created on demand up to a bound.
//
// The bound comes from what the system can spare, not from the number of
// connections: each pipe costs two fds and its size in the user's pipe page
// budget (fs.pipe-user-pages-soft; past it the kernel hands out one-page
// pipes and splice throughput collapses). So the pool plans how many pipes
// of what size fit (PlanPipes) and sizes every pipe alike: many concurrent
// splices get smaller pipes rather than most of them getting none. When the
// pool is at its bound or the kernel refuses a pipe, Acquire() says so and
// the caller takes another path for that push; no transfer fails for lack of
// a pipe. A pipe that may still hold bytes is closed, never handed out again.

#ifndef SLUICE_ENGINE_PIPE_POOL_H_
#define SLUICE_ENGINE_PIPE_POOL_H_

#include <cstddef>
#include <optional>
#include <vector>

#include "engine/unique_fd.h"
#include "sluice/stats.h"

namespace sluice::internal {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// How many pipes of what size the pool may hold.
struct PipePlan {
  size_t count = 0;
  size_t size = 0;
};

// At most `max_pipes` pipes (0: no limit of its own) and a quarter of the fd
// limit; each of at most `pipe_size` bytes, and together at most half the
// user's pipe page budget, with no pipe smaller than 64 KiB (fewer pipes
// instead).
PipePlan PlanPipes(size_t max_pipes, size_t pipe_size);

class PipePool {
 public:
  PipePool(size_t max_pipes, size_t pipe_size);

  // An empty pipe of `pipe_size()` bytes; nullopt at the bound or when the
  // kernel refuses (EMFILE, ENFILE, or a pipe size over the user's budget,
  // after which the bound shrinks to what is open).
  std::optional<Pipe> Acquire();
  // Takes a pipe back. `may_hold_bytes`: a splice into it did not come out
  // in full (cancel, error), so it is closed rather than reused.
  void Release(Pipe pipe, bool may_hold_bytes);

  size_t pipe_size() const { return pipe_size_; }
  size_t bound() const { return bound_; }
  // Pipes that exist now, idle or handed out.
  size_t open() const { return open_; }

 private:
  size_t pipe_size_ = 0;
  size_t bound_ = 0;
  size_t open_ = 0;
  std::vector<Pipe> idle_;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_PIPE_POOL_H_
