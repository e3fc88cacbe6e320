// Copyright 2026 The sluice Authors.

#include "engine/sendfile_backend.h"

#include "absl/status/status.h"
#include "engine/sluice_config.h"

#if SLUICE_HAVE_LINUX_SENDFILE

#include <sys/socket.h>

#include <utility>

#include "engine/copy_write.h"
#include "engine/readiness_backend.h"
#include "engine/sendfile_call.h"
#include "engine/sigpipe_block.h"

namespace sluice::internal {
namespace {

class SendfileBackend final : public ReadinessBackend {
 public:
  SendfileBackend(std::unique_ptr<Readiness> readiness,
                  const EngineOptions& options, EngineStats& stats)
      : ReadinessBackend(std::move(readiness), options, stats) {}

  BackendKind kind() const override { return BackendKind::kSendfile; }

 private:
  WriteStep Write(ReadinessTransfer& transfer,
                  LazySigpipeBlock& sigpipe) override {
    if (transfer.copying) return CopyWrite(transfer);
    PushProgress& push = transfer.push;
    const int socket_fd = transfer.endpoints.socket_fd;

    if (!push.header_left().empty()) {
      const WriteStep sent = SendSome(socket_fd, push.header_left(),
                                      push.more_after_header() ? MSG_MORE : 0,
                                      push.outcome.header_bytes, push, stats());
      if (sent != WriteStep::kDone) return sent;
    }
    // sendfile(2) cannot read a socket or pipe; splice(2) can.
    const WriteStep file_step =
        transfer.endpoints.source == SourceKind::kStream
            ? SpliceWrite(transfer, sigpipe)
            : SendfileBytes(socket_fd, transfer.endpoints.file_fd, push,
                            !transfer.file_started, sigpipe.Get(), stats());
    if (file_step == WriteStep::kUnsupported) {
      transfer.copying = true;
      return CopyWrite(transfer);
    }
    if (file_step != WriteStep::kDone || push.outcome.file_ended) {
      return file_step;
    }
    if (!push.trailer_left().empty()) {
      return SendSome(socket_fd, push.trailer_left(), 0,
                      push.outcome.trailer_bytes, push, stats());
    }
    return WriteStep::kDone;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateSendfileBackend(
    const EngineOptions& options, EngineStats& stats) {
  return ReadinessBackend::Create<SendfileBackend>(options, stats);
}

}  // namespace sluice::internal

#else  // !SLUICE_HAVE_LINUX_SENDFILE

namespace sluice::internal {

absl::StatusOr<std::unique_ptr<Backend>> CreateSendfileBackend(
    const EngineOptions&, EngineStats&) {
  return absl::UnimplementedError(
      "the sendfile backend is not built (Linux sendfile(2) unavailable or "
      "-Dlinux_backends=false)");
}

}  // namespace sluice::internal

#endif  // SLUICE_HAVE_LINUX_SENDFILE
