// Copyright 2026 The sluice Authors.

#include "engine/data_path_policy.h"

#include "gtest/gtest.h"

namespace sluice::internal {
namespace {

// A transfer the automatic policy splices: large, among enough others, on
// an engine with cores to spare.
DataPathInputs Spliceable() {
  return DataPathInputs{.requested = DataPath::kAuto,
                        .source = SourceKind::kRegularFile,
                        .size_hint = 4 << 20,
                        .splice_min_bytes = 256 * 1024,
                        .open_transfers = 64,
                        .cpus_per_engine = 16};
}

TEST(DataPathPolicyTest, AutoSplicesLargeBusyTransfersWithSpareCores) {
  EXPECT_EQ(ChooseDataPath(Spliceable()), DataPath::kSplice);
}

TEST(DataPathPolicyTest, AutoSendsInlineBelowEachThreshold) {
  DataPathInputs small = Spliceable();
  small.size_hint = small.splice_min_bytes - 1;
  EXPECT_EQ(ChooseDataPath(small), DataPath::kSendfile);

  DataPathInputs few = Spliceable();
  few.open_transfers = kSpliceMinTransfers - 1;
  EXPECT_EQ(ChooseDataPath(few), DataPath::kSendfile);

  DataPathInputs crowded = Spliceable();
  crowded.cpus_per_engine = kSpliceMinCpus - 1;
  EXPECT_EQ(ChooseDataPath(crowded), DataPath::kSendfile);
}

TEST(DataPathPolicyTest, AutoThresholdsAreInclusive) {
  DataPathInputs edge = Spliceable();
  edge.size_hint = edge.splice_min_bytes;
  edge.open_transfers = kSpliceMinTransfers;
  edge.cpus_per_engine = kSpliceMinCpus;
  EXPECT_EQ(ChooseDataPath(edge), DataPath::kSplice);
}

TEST(DataPathPolicyTest, UnknownSizeSplicesOnlyWithoutAMinimum) {
  DataPathInputs unknown = Spliceable();
  unknown.size_hint = 0;
  EXPECT_EQ(ChooseDataPath(unknown), DataPath::kSendfile);
  unknown.splice_min_bytes = 0;
  EXPECT_EQ(ChooseDataPath(unknown), DataPath::kSplice);
}

TEST(DataPathPolicyTest, ForcedPathIsTakenWhateverTheLoad) {
  for (const DataPath forced :
       {DataPath::kSendfile, DataPath::kSplice, DataPath::kCopy}) {
    DataPathInputs inputs = Spliceable();
    inputs.requested = forced;
    inputs.open_transfers = 1;
    inputs.cpus_per_engine = 1;
    inputs.size_hint = 1;
    EXPECT_EQ(ChooseDataPath(inputs), forced) << DataPathName(forced);
  }
}

TEST(DataPathPolicyTest, StreamsSpliceUnlessCopyIsAsked) {
  for (const DataPath requested : {DataPath::kAuto, DataPath::kSendfile,
                                   DataPath::kSplice, DataPath::kCopy}) {
    DataPathInputs inputs = Spliceable();
    inputs.requested = requested;
    inputs.source = SourceKind::kStream;
    EXPECT_EQ(ChooseDataPath(inputs), requested == DataPath::kCopy
                                          ? DataPath::kCopy
                                          : DataPath::kSplice)
        << DataPathName(requested);
  }
}

}  // namespace
}  // namespace sluice::internal
