// Copyright 2026 The sluice Authors.
//
// Every way an engine can move bytes, for suites that must hold on all of
// them: each backend, and each data path of the io_uring backend.

#ifndef SLUICE_TESTS_TESTING_BACKEND_CONFIGS_H_
#define SLUICE_TESTS_TESTING_BACKEND_CONFIGS_H_

#include <ostream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sluice/engine.h"
#include "tests/testing/fixtures.h"

namespace sluice::testing {

struct BackendConfig {
  std::string name;
  EngineOptions options;
};

inline std::vector<BackendConfig> AllBackendConfigs() {
  auto uring = [](DataPath path) {
    EngineOptions options;
    options.backend = BackendKind::kIoUring;
    options.uring_data_path = path;
    return options;
  };
  return {
      {"iouring_sendfile", uring(DataPath::kSendfile)},
      {"iouring_splice", uring(DataPath::kSplice)},
      {"iouring_copy", uring(DataPath::kCopy)},
      {"sendfile", EngineOptions{.backend = BackendKind::kSendfile}},
      {"readsend", EngineOptions{.backend = BackendKind::kReadSend}},
  };
}

// Test output names a configuration by its name.
inline void PrintTo(const BackendConfig& config, std::ostream* os) {
  *os << config.name;
}

inline std::string ConfigName(
    const ::testing::TestParamInfo<BackendConfig>& info) {
  return info.param.name;
}

// Suites over every backend and some transports: their parameter, and the
// test name it makes ("sendfile_Tcp4").
using BackendAndTransport = std::tuple<BackendConfig, Transport>;
inline std::string BackendAndTransportName(
    const ::testing::TestParamInfo<BackendAndTransport>& info) {
  return absl::StrCat(std::get<0>(info.param).name, "_",
                      TransportName(std::get<1>(info.param)));
}

// Skips the running test when `config`'s backend cannot run here.
#define SLUICE_SKIP_UNLESS_AVAILABLE(config)                                   \
  do {                                                                         \
    if (absl::Status probe = ::sluice::ProbeBackend((config).options.backend); \
        !probe.ok()) {                                                         \
      GTEST_SKIP() << (config).name << " unavailable: " << probe;              \
    }                                                                          \
  } while (0)

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_BACKEND_CONFIGS_H_
