// Copyright 2026 The sluice Authors.
//
// sluice-load's --classes: the weighted fair-share classes its engines get
// (EngineOptions::traffic_classes), written NAME:WEIGHT,...
//
//   absl::StatusOr<std::vector<sluice::TrafficClass>> classes =
//       sluice::load::ParseTrafficClasses("gold:3,bronze:1");
//   // {{"gold", 3}, {"bronze", 1}}; "" gives no class at all.

#ifndef SLUICE_TOOLS_LOAD_TRAFFIC_CLASSES_H_
#define SLUICE_TOOLS_LOAD_TRAFFIC_CLASSES_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sluice/engine.h"

namespace sluice::load {

// The classes in `text`, in its order: comma-separated NAME:WEIGHT pairs, a
// name of letters, digits, '-', '_' and '.' (it is printed in a table and
// written to JSON as it is), named once, and a whole weight from 1 to 2^32 - 1.
// Empty text: no class. InvalidArgument names the bad part and says what
// was expected, so that the message can be shown to the user as it is:
// Engine::Create() would refuse the same classes, but only once objects
// and connections exist.
absl::StatusOr<std::vector<TrafficClass>> ParseTrafficClasses(
    absl::string_view text);

}  // namespace sluice::load

#endif  // SLUICE_TOOLS_LOAD_TRAFFIC_CLASSES_H_
