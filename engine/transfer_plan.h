// Copyright 2026 The sluice Authors.
//
// Checks a TransferSpec against the OS (fd types, access mode, file size)
// and resolves it into the TransferPlan the scheduler runs. Every refusal is
// InvalidArgument or FailedPrecondition with a message naming the fd.

#ifndef SLUICE_ENGINE_TRANSFER_PLAN_H_
#define SLUICE_ENGINE_TRANSFER_PLAN_H_

#include "absl/status/statusor.h"
#include "engine/scheduler.h"
#include "sluice/transfer.h"

namespace sluice::internal {

// A regular file without a count is sent up to its size at this call (as
// CPython's socket.sendfile() does); other sources until EOF. The header and
// trailer move into the plan.
[[nodiscard]] absl::StatusOr<TransferPlan> PlanTransfer(TransferSpec spec);

}  // namespace sluice::internal

#endif  // SLUICE_ENGINE_TRANSFER_PLAN_H_
