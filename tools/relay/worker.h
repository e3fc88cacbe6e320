// Copyright 2026 The sluice Authors.
//
// worker.h: one sluice-relay thread — an epoll loop that accepts clients,
// connects each to the upstream and times sessions out, and an Engine that
// relays the bytes both ways, woken through the engine's wake_fd() in the
// same loop (the embedding pattern of sluice-serve's worker).
//
// Each session is two engine transfers sharing its two sockets: upstream ->
// client and client -> upstream, each until its source's EOF. The worker
// touches the sockets only before the transfers start and after their
// callbacks: to shut a write side down when its direction ended with EOF,
// and to close both once neither transfer is live.
//
//   absl::StatusOr<std::unique_ptr<Worker>> worker =
//       Worker::Create(options, 0, std::move(listener), &board);
//   std::thread t([&] { (void)(*worker)->Run(); });
//   ... (*worker)->Stop(); t.join();

#ifndef SLUICE_TOOLS_RELAY_WORKER_H_
#define SLUICE_TOOLS_RELAY_WORKER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "net/acceptor.h"
#include "net/address.h"
#include "posix/unique_fd.h"
#include "relay/session.h"
#include "sluice/engine.h"
#include "stats/stats_board.h"

namespace sluice::relay {

struct RelayOptions {
  // Where every client's bytes go.
  tools::Address upstream;
  EngineOptions engine;
  // Most time a connect to the upstream may take; the client is closed
  // when it runs out or the connect fails.
  absl::Duration connect_timeout = absl::Seconds(5);
  // A session in which no byte moved either way for this long is closed.
  // Over TCP the kernel's counters tell (both sockets are checked every
  // idle_timeout); where it cannot tell (unix sockets on both sides, or a
  // kernel before 4.1), each direction's transfer times out on its own
  // instead.
  absl::Duration idle_timeout = absl::Seconds(60);
};

class Worker {
 public:
  // `listener` is a listening stream socket of this thread's own
  // (SO_REUSEPORT) or a dup of one shared by all. `board` outlives the
  // worker.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(
      const RelayOptions& options, size_t index, tools::UniqueFd listener,
      tools::StatsBoard* board);
  ~Worker();

  // Relays until Stop(); the error only if the loop itself broke. Publishes
  // its stats to the board at the end.
  absl::Status Run();
  // Makes Run() return soon; any thread.
  void Stop();
  // Asks the worker to publish its stats to the board; any thread. Returns
  // a ticket for StatsPublished().
  uint64_t RequestStats();
  // Whether the publication asked for by `ticket` has happened.
  bool StatsPublished(uint64_t ticket) const;

  BackendKind backend() const { return engine_->backend(); }

 private:
  enum class Way { kToClient, kToUpstream };

  Worker(const RelayOptions& options, size_t index, tools::StatsBoard* board);

  void OnAccepted(tools::UniqueFd client);
  // The upstream socket of a connecting session became writable (or
  // failed).
  void OnConnectEvent(uint64_t id);
  // Submits both transfers of a session whose upstream is connected.
  void StartRelay(Session& s);
  void OnTransferDone(uint64_t id, Way way, const TransferResult& result);
  // Ends a session: closes it now if no transfer is live, else cancels the
  // live ones and closes it from the last callback.
  void End(Session& s);
  void Close(Session& s);
  void SetTimer(Session& s, absl::Time when);
  void ExpireTimers();
  void OnControl();
  void PublishStats();
  absl::Status Loop();
  // Cancels every transfer, waits for their callbacks, closes every
  // session; on the worker's thread at the end of Run() (and in the
  // destructor if Run() never ran).
  void Shutdown();

  const RelayOptions options_;
  const size_t index_;
  tools::StatsBoard* const board_;
  tools::UniqueFd epoll_;
  // Stop() and RequestStats() write it; the flags below say which.
  tools::UniqueFd control_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> stats_requested_{0};
  std::atomic<uint64_t> stats_published_{0};
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<tools::Acceptor> acceptor_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Session>> sessions_;
  // (when, session id), earliest first.
  absl::btree_set<std::pair<absl::Time, uint64_t>> timers_;
  uint64_t next_id_ = 0;
  bool stopping_ = false;
  bool submitted_ = false;
  bool shut_down_ = false;
  absl::Time now_;
  uint64_t accepted_ = 0;
  uint64_t connect_failures_ = 0;
  uint64_t idle_closed_ = 0;
  uint64_t relayed_ = 0;
};

}  // namespace sluice::relay

#endif  // SLUICE_TOOLS_RELAY_WORKER_H_
