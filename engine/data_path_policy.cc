// Copyright 2026 The sluice Authors.

#include "engine/data_path_policy.h"

namespace sluice::internal {

namespace {

DataPath ChooseForHotData(const DataPathInputs& inputs) {
  if (inputs.requested != DataPath::kAuto) return inputs.requested;
  // An unknown size (0) counts as large only for splice_min_bytes == 0.
  const bool large = inputs.size_hint >= inputs.splice_min_bytes;
  const bool busy = inputs.open_transfers >= kSpliceMinTransfers;
  const bool spare_cores = inputs.cpus_per_engine >= kSpliceMinCpus;
  return large && busy && spare_cores ? DataPath::kSplice : DataPath::kSendfile;
}

}  // namespace

DataPath ChooseDataPath(const DataPathInputs& inputs) {
  if (inputs.source == SourceKind::kStream) {
    // sendfile(2) cannot read a socket or pipe: splice is the zero-copy
    // way, unless copying was asked for.
    return inputs.requested == DataPath::kCopy ? DataPath::kCopy
                                               : DataPath::kSplice;
  }
  const DataPath hot = ChooseForHotData(inputs);
  if (!inputs.resident && ReadsOnEngineThread(hot)) return DataPath::kCopy;
  return hot;
}

}  // namespace sluice::internal
