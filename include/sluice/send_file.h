// Copyright 2026 The sluice Authors.
//
// send_file.h: one blocking transfer, with CPython socket.sendfile()
// semantics.
//
//   sluice::TransferSpec spec{.socket_fd = sock, .file_fd = file,
//                             .offset = 5000, .count = 100007};
//   spec.idle_timeout = absl::Seconds(10);  // plays the socket timeout
//   sluice::TransferResult r = sluice::SendFile(spec);
//   if (!r.status.ok()) resume_at = r.next_offset;
//
// It runs a private engine on the calling thread until the transfer ends, so
// it blocks even if the socket is non-blocking (like socket.sendfile(), it
// waits for writability); the socket's flags are as they were on return.
// Errors that Engine::Submit() would return come back in `status` with
// bytes_sent == 0. Each call creates and destroys an engine — with the
// io_uring backend (kAuto's first choice) a ring, a few hundred
// microseconds: for many transfers, keep an Engine instead.

#ifndef SLUICE_SEND_FILE_H_
#define SLUICE_SEND_FILE_H_

#include "sluice/backend_kind.h"
#include "sluice/engine.h"
#include "sluice/transfer.h"

namespace sluice {

TransferResult SendFile(const TransferSpec& spec,
                        BackendKind backend = BackendKind::kAuto);

// The same on an engine made with `options` (backend, data path, ...).
TransferResult SendFile(const TransferSpec& spec, const EngineOptions& options);

}  // namespace sluice

#endif  // SLUICE_SEND_FILE_H_
