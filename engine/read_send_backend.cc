// Copyright 2026 The sluice Authors.

#include "engine/read_send_backend.h"

#include <utility>

#include "engine/readiness_backend.h"
#include "engine/status_macros.h"

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
  SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<Readiness> readiness,
                          Readiness::Create(stats));
  return std::make_unique<ReadSendBackend>(std::move(readiness), stats);
}

}  // namespace sluice::internal
