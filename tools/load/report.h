// Copyright 2026 The sluice Authors.
//
// sluice-load's report: per backend, the median and min-max over rounds,
// then ratios against the sendfile backend; the same as JSON for tools.

#ifndef SLUICE_TOOLS_LOAD_REPORT_H_
#define SLUICE_TOOLS_LOAD_REPORT_H_

#include <cstdio>
#include <vector>

#include "load/runner.h"
#include "nlohmann/json.hpp"

namespace sluice::load {

struct BackendRounds {
  BackendKind backend = BackendKind::kAuto;
  std::vector<RoundResult> rounds;
};

void PrintReport(std::FILE* out, const std::vector<BackendRounds>& results);

// {"params": params, "machine": {...}, "results": [...]}; see README.
nlohmann::json ReportJson(const nlohmann::json& params,
                          const std::vector<BackendRounds>& results);

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_REPORT_H_
