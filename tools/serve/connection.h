// Copyright 2026 The sluice Authors.
//
// Connection: one client connection of a sluice-serve worker, and its life
// as a state machine. The worker decides what happens (worker.h); a
// Connection holds where it stands and does its own socket I/O.
//
// Its life; any state may also end in Close() (the peer left, a read or
// write failed, a timer ran out, the transfer failed):
//
//   kReading      --head parsed, in-memory response--> kWriting
//   kReading      --head parsed, file response-------> kSendingFile
//   kReading      --header timeout with a head begun-> kWriting (a 408)
//   kWriting      --the socket takes no more---------> kWriteBlocked
//   kWriteBlocked --EPOLLOUT, then all of it sent----> kWriting
//   kWriting      --all sent, keep-alive-------------> kReading
//   kWriting      --all sent, closing----------------> kLingering
//   kSendingFile  --transfer done, keep-alive--------> kReading
//   kSendingFile  --transfer done, closing-----------> kLingering
//   kLingering    --EOF, or the linger timer---------> closed
//
// Readiness (readable, writable, hung up) is kept beside the state, not in
// it: epoll reports edges whatever the connection is doing (while the
// engine owns the socket too), and an edge-triggered loop must remember
// them until it next reads or writes.

#ifndef SLUICE_TOOLS_SERVE_CONNECTION_H_
#define SLUICE_TOOLS_SERVE_CONNECTION_H_

#include <sys/epoll.h>

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "posix/unique_fd.h"
#include "serve/open_file.h"

namespace sluice::serve {

// What a read or write on a connection came to.
enum class Io { kDone, kBlocked, kEof, kFailed };

// Edge-triggered; EPOLLOUT is added only in kWriteBlocked.
inline constexpr uint32_t kConnectionEvents = EPOLLIN | EPOLLRDHUP | EPOLLET;

struct Connection {
  enum class State {
    // No response in flight: reading and parsing the next request head.
    kReading,
    // Writing a response of the worker's own (`out`).
    kWriting,
    // The same, with EPOLLOUT watched until the socket takes more. Only
    // here: during engine transfers it would wake the loop on every ACK.
    kWriteBlocked,
    // The engine is sending a file response and owns the socket until the
    // transfer's callback; the worker leaves it alone.
    kSendingFile,
    // After the last response: the write side is shut down and what the
    // client still sends is drained (until EOF or the linger timer), so
    // its unread bytes cannot turn the close into a reset that destroys
    // the response.
    kLingering,
  };

  // The response in flight, for the access log and for what comes after.
  struct InFlight {
    absl::Time started;
    std::string method;
    std::string target;
    int status = 0;
    // The connection closes (lingering first) once it is sent.
    bool close = false;
  };

  Connection(uint64_t id, tools::UniqueFd fd, absl::Time now);

  // Records what epoll reported.
  void OnEvents(uint32_t events);

  // Writes `out` from `out_sent` on; kBlocked (in kWriteBlocked, EPOLLOUT
  // watched in `epoll_fd`) when the socket takes no more, kDone when all
  // of it went out (back in kWriting, EPOLLOUT no longer watched).
  Io Flush(int epoll_fd, absl::Time now);

  // One recv(2) into `scratch`, appended to `in`.
  Io ReadMore(absl::Span<char> scratch, absl::Time now);

  bool writing() const {
    return state == State::kWriting || state == State::kWriteBlocked;
  }

  const uint64_t id;
  const tools::UniqueFd fd;
  State state = State::kReading;

  // Received bytes not yet answered: at most one partial head plus what
  // one read brought (pipelined requests), since reading stops while a
  // whole head is buffered.
  std::string in;
  // `in` holds no head end before this offset.
  size_t scanned = 0;
  // When the request head being read began.
  absl::Time head_started;

  // A response the worker writes itself, and how much of it went out.
  std::string out;
  size_t out_sent = 0;
  // When the last byte of `out` went out (or `out` was set).
  absl::Time last_progress;
  // The open file of the response the engine is sending (shared with the
  // open-file cache, which may drop it meanwhile: this keeps it open).
  SharedFile file;
  InFlight response;

  // Edge-triggered readiness, cleared when a call says EAGAIN.
  bool readable = true;
  bool writable = true;
  // The peer shut down or reset: reads go on until they say so.
  bool hung_up = false;

  // The connection's one timer (InfiniteFuture(): none).
  absl::Time timer = absl::InfiniteFuture();
};

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_CONNECTION_H_
