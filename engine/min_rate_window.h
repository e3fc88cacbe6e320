// Copyright 2026 The sluice Authors.
//
// MinRateWindow: one transfer's minimum-rate floor (TransferSpec::min_rate),
// judged over tumbling windows.
//
// The scheduler keeps one per transfer. It arms the transfer's one timer at
// due() (with the idle and deadline timers), and at that time hands over
// the transfer's running count of bytes the socket accepted and the
// socket's send queue; nothing happens per push. The first check, `grace`
// after admission, opens the first window; each later one judges the
// window under way and opens the next where it ended.
//
//   MinRateWindow floor(*plan.min_rate, admitted_at);
//   ... at floor.due():
//   if (!floor.Check(now, bytes_accepted, send_queue.Queued(fd)))
//     ... end the transfer, with floor.Describe() in its message ...

#ifndef SLUICE_ENGINE_MIN_RATE_WINDOW_H_
#define SLUICE_ENGINE_MIN_RATE_WINDOW_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sluice/transfer.h"

namespace sluice::internal {

// OK, or InvalidArgument naming `socket_fd` when `floor` is one Submit()
// must refuse: a zero rate, a window not positive and finite, a grace
// negative or infinite.
[[nodiscard]] absl::Status CheckMinRate(const MinRate& floor, int socket_fd);

class MinRateWindow {
 public:
  // No floor: never due.
  MinRateWindow() = default;
  // `floor` must have passed CheckMinRate().
  MinRateWindow(const MinRate& floor, absl::Time admitted);

  // When the window under way ends or, before the first, when the grace
  // period does; InfiniteFuture without a floor.
  absl::Time due() const { return due_; }

  // At due() or later. `accepted`: every byte the socket accepted so far
  // (header, file and trailer); `queued`: its send queue now (nullopt where
  // the kernel cannot tell). Opens the first window, or judges the one
  // under way by what the peer took in it (accepted bytes, plus the queue's
  // shrinking) and opens the next. False when that window fell below the
  // floor; Describe() then says by how much.
  bool Check(absl::Time now, uint64_t accepted, std::optional<uint64_t> queued);
  // Whether a window is under way (the grace period is over).
  bool open() const { return open_; }

  // The last window judged: "N bytes/s over the last D (B bytes), R bytes/s
  // required".
  std::string Describe() const;

 private:
  uint64_t bytes_per_second_ = 0;
  absl::Duration window_ = absl::InfiniteDuration();
  absl::Time due_ = absl::InfiniteFuture();
  bool open_ = false;
  // When the window under way began, and the counts then.
  absl::Time start_;
  uint64_t start_accepted_ = 0;
  std::optional<uint64_t> start_queued_;
  // The last window judged: its length and the bytes the peer took.
  absl::Duration judged_length_;
  uint64_t judged_bytes_ = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_MIN_RATE_WINDOW_H_
