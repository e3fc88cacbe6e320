// Copyright 2026 The sluice Authors.

#include "sluice/send_file.h"

#include <memory>
#include <optional>

#include "sluice/engine.h"

namespace sluice {

TransferResult SendFile(const TransferSpec& spec, BackendKind backend) {
  return SendFile(spec, EngineOptions{.backend = backend});
}

TransferResult SendFile(const TransferSpec& spec,
                        const EngineOptions& options) {
  TransferResult result;
  result.next_offset = spec.offset;
  absl::StatusOr<std::unique_ptr<Engine>> engine = Engine::Create(options);
  if (!engine.ok()) {
    result.status = engine.status();
    return result;
  }
  result.backend = (*engine)->backend();
  std::optional<TransferResult> done;
  absl::StatusOr<TransferId> id = (*engine)->Submit(
      spec, [&done](TransferId, const TransferResult& r) { done = r; });
  if (!id.ok()) {
    result.status = id.status();
    return result;
  }
  if (absl::Status ran = (*engine)->Run(); !ran.ok()) {
    // The waiter broke: the destructor still completes the transfer, with
    // its exact progress, as Cancelled.
    engine->reset();
    if (done.has_value()) result = *done;
    result.status = ran;
    return result;
  }
  if (done.has_value()) return *done;
  // Run() returns only once no transfer is live, so the callback ran.
  result.status = absl::InternalError("the transfer ended without a result");
  return result;
}

}  // namespace sluice
