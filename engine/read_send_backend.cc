// Copyright 2026 The sluice Authors.

#include "engine/read_send_backend.h"

#include <utility>

#include "engine/readiness_backend.h"

namespace sluice::internal {
namespace {

class ReadSendBackend final : public ReadinessBackend {
 public:
  ReadSendBackend(std::unique_ptr<Readiness> readiness,
                  const EngineOptions& options, EngineStats& stats)
      : ReadinessBackend(std::move(readiness), options, stats) {}

  BackendKind kind() const override { return BackendKind::kReadSend; }

 private:
  WriteStep Write(ReadinessTransfer& transfer, LazySigpipeBlock&) override {
    return CopyWrite(transfer);
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<Backend>> CreateReadSendBackend(
    const EngineOptions& options, EngineStats& stats) {
  return ReadinessBackend::Create<ReadSendBackend>(options, stats);
}

}  // namespace sluice::internal
