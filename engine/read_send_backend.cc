// Copyright 2026 The sluice Authors.

#include "engine/read_send_backend.h"

#include <utility>

#include "engine/readiness_backend.h"

namespace sluice::internal {
namespace {

class ReadSendBackend final : public ReadinessBackend {
 public:
  ReadSendBackend(std::unique_ptr<Readiness> readiness, EngineStats& stats)
      : ReadinessBackend(std::move(readiness), stats) {}

  BackendKind kind() const override { return BackendKind::kReadSend; }

 private:
  WriteStep Write(ReadinessTransfer& transfer, LazySigpipeBlock&) override {
    return CopyWrite(transfer);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateReadSendBackend(
    EngineStats& stats) {
  return ReadinessBackend::Create<ReadSendBackend>(stats);
}

}  // namespace sluice::internal
