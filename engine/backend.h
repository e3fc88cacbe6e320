// Copyright 2026 The sluice Authors.
//
// Backend: the internal interface between the scheduler, which decides what
// to send and when, and the code that asks the OS to send it.
//
// The scheduler opens a transfer, then pushes it: "send this header rest,
// then up to `file_budget` file bytes from `file_offset`, then this trailer".
// Each push ends with exactly one PushOutcome, reported by a later Wait():
// how many bytes of each part the socket accepted, and whether the source
// ended, the push was cancelled, or the OS failed. A backend never reads a
// timer and never runs a user callback; a push that cannot progress (socket
// full) simply stays pending until it can, or until Cancel().
//
// A transfer has at most one push pending. Close() is called only when none
// is, before the transfer's callback runs.
//
// Where things are:
//   - when a push is made, how big it is, and where an idle timeout or a
//     deadline fires: scheduler.cc (PushRunnable, FireTimers);
//   - the backends: readiness_backend.* (the push loop shared by sendfile
//     and read+send over epoll/poll), sendfile_backend.cc,
//     read_send_backend.cc, and the io_uring backend, uring_backend.cc,
//     which sequences header, file part and trailer over the ring pump in
//     uring_ring.*;
//   - one file per data path, each "this push, this byte budget -> progress,
//     would block, EOF or error": sendfile_call.* (sendfile(2), shared by
//     the sendfile backend and io_uring's inline path), copy_write.*
//     (read + sendmsg, every readiness backend's copy path),
//     uring_splice_path.* (how a splice is issued), uring_copy_path.*
//     (READ + SEND); and the policy that picks io_uring's path per push,
//     data_path_policy.*;
//   - what every path shares: push_progress.h (header/data/trailer
//     accounting, the MSG_MORE rule), copy_buffer.h (bytes read but not
//     yet sent), slot_table.h (per-transfer state behind the handles).

#ifndef SLUICE_ENGINE_BACKEND_H_
#define SLUICE_ENGINE_BACKEND_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sluice/backend_kind.h"
#include "sluice/stats.h"
#include "sluice/transfer.h"

namespace sluice::internal {

enum class SourceKind {
  // A regular file (or block device): zero-copy paths can read it.
  kRegularFile,
  // A pipe, character device, socket, or a file whose size the kernel does
  // not know (procfs): only read() can serve it.
  kStream,
};

// Which file a regular-file source is, whatever fd names it.
struct FileId {
  uint64_t device = 0;
  uint64_t inode = 0;
  friend bool operator==(const FileId&, const FileId&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FileId& id) {
    return H::combine(std::move(h), id.device, id.inode);
  }
};

struct TransferEndpoints {
  int socket_fd = -1;
  int file_fd = -1;
  SourceKind source = SourceKind::kRegularFile;
  // Regular files only: which file, and its size at Submit().
  FileId file_id;
  uint64_t file_size = 0;
  // File bytes the transfer will send, where known (0: unknown), so a
  // backend can pick a data path by size.
  uint64_t size_hint = 0;
  // Regular files: the offset just past the transfer's last file byte
  // (0: unknown), so that reading ahead stops there.
  uint64_t file_end = 0;
};

// A backend's own name for a transfer it has open: an index into its own
// table, dense from 0, handed out by Open() and valid until Close().
class BackendHandle {
 public:
  constexpr BackendHandle() = default;
  constexpr explicit BackendHandle(uint32_t index) : index_(index) {}
  constexpr uint32_t index() const { return index_; }
  friend constexpr bool operator==(BackendHandle a, BackendHandle b) {
    return a.index_ == b.index_;
  }

 private:
  uint32_t index_ = 0;
};

struct PushRequest {
  // The scheduler's name for the transfer, copied into the outcome.
  TransferId id = TransferId();
  // The unsent rest of the header and trailer. The memory stays valid and
  // unchanged until the push's outcome is reported.
  absl::string_view header;
  uint64_t file_offset = 0;
  // File bytes this push may send; 0 when the file part is done or the
  // header alone fills the budget.
  uint64_t file_budget = 0;
  // Non-empty only when the file part ends within this push (known length),
  // so the trailer may leave in the same segment as the last file bytes.
  absl::string_view trailer;
};

struct PushOutcome {
  TransferId id = TransferId();
  // Bytes of each part the socket accepted. Exact whatever else is set.
  uint64_t header_bytes = 0;
  uint64_t file_bytes = 0;
  uint64_t trailer_bytes = 0;
  // The source returned EOF at file_offset + file_bytes.
  bool file_ended = false;
  // The push ended because of Backend::Cancel().
  bool cancelled = false;
  // The OS refused; names the fd, offset and cause.
  absl::Status error = absl::OkStatus();
  // The backend that carried (or would carry) the file bytes: its own kind,
  // or kReadSend after a fallback to copying.
  BackendKind carrier = BackendKind::kAuto;
  // The data path that carried this push's file bytes (the last one tried,
  // if several); kAuto when the push did not reach the file part.
  DataPath data_path = DataPath::kAuto;
  // The file bytes came from a range that was not in the page cache, read
  // off the engine thread.
  bool cold = false;
  // Bytes read from a stream source that the socket has not taken, held
  // for the transfer's next push: lost to the host if the transfer ends
  // now. Always 0 for a regular file, whose bytes stay in the file.
  uint64_t held_bytes = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual BackendKind kind() const = 0;

  // Starts tracking a transfer whose fds the engine has checked and whose
  // socket is non-blocking; the handle names it in the calls below.
  virtual BackendHandle Open(TransferId id,
                             const TransferEndpoints& endpoints) = 0;
  // Queues a push; its outcome comes from a later Wait().
  virtual void Push(BackendHandle handle, const PushRequest& request) = 0;
  // Ends the pending push soon; its outcome has `cancelled` set (or reports
  // what completed before the cancel took hold). No-op without one.
  virtual void Cancel(BackendHandle handle) = 0;
  // Forgets a transfer that has no push pending; the handle may be reused.
  virtual void Close(BackendHandle handle) = 0;

  // Works on the pending pushes and appends the outcomes of those that
  // ended, waiting up to `timeout` for one to. An error means the backend's
  // waiter itself broke.
  [[nodiscard]] virtual absl::Status Wait(
      absl::Duration timeout, std::vector<PushOutcome>& outcomes) = 0;

  // An fd that is readable when Wait() would find work, for the engine's
  // wake_fd(); an error where there is none. Called once, when a host first
  // asks for a wake fd, so a backend pays for keeping it only then.
  [[nodiscard]] virtual absl::StatusOr<int> WakeFd() = 0;
};

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_BACKEND_H_
