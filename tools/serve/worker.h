// Copyright 2026 The sluice Authors.
//
// worker.h: one sluice-serve thread — an epoll loop that accepts, reads and
// parses requests and times connections out, and an Engine that sends the
// response bodies, woken through the engine's wake_fd() in the same loop.
//
// This is the embedding pattern the README shows: the host owns the event
// loop and the sockets; the engine owns nothing but its transfers. While a
// connection's response is a live transfer the worker leaves the socket
// alone (pipelined requests wait in its buffer) and picks it up again in
// the transfer's done callback.
//
//   absl::StatusOr<std::unique_ptr<Worker>> worker =
//       Worker::Create(options, 0, std::move(listener), &board);
//   std::thread t([&] { (void)(*worker)->Run(); });
//   ... (*worker)->Stop(); t.join();

#ifndef SLUICE_TOOLS_SERVE_WORKER_H_
#define SLUICE_TOOLS_SERVE_WORKER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/acceptor.h"
#include "posix/unique_fd.h"
#include "serve/access_log.h"
#include "serve/connection.h"
#include "serve/open_file_cache.h"
#include "serve/response.h"
#include "sluice/engine.h"
#include "stats/stats_board.h"

namespace sluice::serve {

struct ServeOptions {
  // The served directory, opened O_PATH | O_DIRECTORY. Borrowed.
  int root_fd = -1;
  EngineOptions engine;
  // Longest request head (request line, headers, final empty line).
  size_t max_head_bytes = 8192;
  // From the first byte of a request to the end of its head (slowloris).
  absl::Duration header_timeout = absl::Seconds(10);
  // An open connection with no request in progress.
  absl::Duration keepalive_timeout = absl::Seconds(60);
  // A response the client does not read: the transfer's idle timeout, and
  // the same bound for responses the worker writes itself.
  absl::Duration send_timeout = absl::Seconds(60);
  // Files kept open per thread (0: none; each request opens its file), and
  // how long one is trusted before its path is checked again; see
  // open_file_cache.h.
  size_t open_file_cache = 0;
  absl::Duration open_file_cache_valid = absl::Seconds(1);
  // The floor under every response body the engine sends (a slow-read
  // client is closed); none if absent.
  std::optional<MinRate> min_rate;
  // The ceiling on every response body the engine sends; none if absent.
  std::optional<MaxRate> max_rate;
  // After the last response of a closing connection, how long unread client
  // bytes are drained so the response is not lost to a reset.
  absl::Duration linger_timeout = absl::Seconds(2);
  // One access log line per response, written to this fd (-1: none).
  int access_log_fd = -1;
  // Answer GET /-/stats with the StatsBoard's JSON.
  bool stats_page = false;
};

class Worker {
 public:
  // `listener` is a listening TCP socket of this thread's own
  // (SO_REUSEPORT). `board` outlives the worker.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(
      const ServeOptions& options, size_t index, tools::UniqueFd listener,
      tools::StatsBoard* board);
  ~Worker();

  // Serves until Stop(); the error only if the loop itself broke.
  absl::Status Run();
  // Makes Run() return soon; any thread.
  void Stop();

  BackendKind backend() const { return engine_->backend(); }

 private:
  Worker(const ServeOptions& options, size_t index, tools::StatsBoard* board);

  void OnAccepted(tools::UniqueFd fd);
  void OnConnectionEvent(uint64_t id, uint32_t events);
  // Moves a connection in kReading or kWriting along as far as it can
  // without blocking: write what is pending, parse and answer buffered
  // requests, read more. May destroy `c`.
  void Advance(Connection& c);
  // Starts sending a response: by the engine (kSendingFile) when its body
  // is a file, else by the worker (kWriting).
  void Respond(Connection& c, Response response);
  void OnTransferDone(uint64_t id, const TransferResult& result);
  // After a response is sent: back to kReading (true), or lingering if it
  // was the last (false: `c` may be gone).
  bool Sent(Connection& c);
  // Ends a connection after its last response (kLingering; see
  // connection.h), or drains more of a lingering one. May destroy `c`.
  void Linger(Connection& c);
  void Close(Connection& c);
  void SetTimer(Connection& c, absl::Time when);
  void ExpireTimers();
  void LogResponse(const Connection& c, uint64_t bytes,
                   absl::string_view outcome);
  void PublishStats();
  absl::Status Loop();
  // Ends every transfer and connection; runs on the worker's thread at the
  // end of Run() (and in the destructor if Run() never ran).
  void Shutdown();
  absl::string_view Date();

  const ServeOptions options_;
  const size_t index_;
  tools::StatsBoard* const board_;
  tools::UniqueFd epoll_;
  tools::UniqueFd stop_event_;
  std::unique_ptr<Engine> engine_;
  // Registers its fds with `engine_`, so it goes first (Shutdown()).
  std::unique_ptr<OpenFileCache> files_;
  std::unique_ptr<tools::Acceptor> acceptor_;
  AccessLog log_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  // (when, connection id), earliest first.
  absl::btree_set<std::pair<absl::Time, uint64_t>> timers_;
  // Connections whose Advance() used up its turn, to go on next iteration.
  absl::flat_hash_set<uint64_t> ready_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
  bool submitted_ = false;
  absl::Time now_;
  int64_t date_second_ = -1;
  std::string date_;
  std::unique_ptr<char[]> scratch_;
  absl::Time published_ = absl::InfinitePast();
  uint64_t accepted_ = 0;
  uint64_t requests_ = 0;
};

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_WORKER_H_
