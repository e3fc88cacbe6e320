// Copyright 2026 The sluice Authors.
//
// Runs the curl command line tool for the tools' tests (sluice-serve,
// sluice-relay), capturing the body and the response head.
//
//   if (CurlBinary().empty()) GTEST_SKIP() << "curl is not installed";
//   CurlResult r = Curl({"-r", "0-9", "http://127.0.0.1:8080/big.bin"});
//   EXPECT_EQ(r.status, 206);

#ifndef SLUICE_TESTS_TESTING_CURL_H_
#define SLUICE_TESTS_TESTING_CURL_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sluice::testing {

// The curl executable, "" if it is not installed.
std::string CurlBinary();

struct CurlResult {
  int exit_code = -1;
  // The HTTP status of the (last) response.
  int status = 0;
  std::string headers;
  std::string body;
};

// curl -sS with `args` (URL included), its body and headers captured;
// bounded at 60 s of transfer. Thread-safe.
CurlResult Curl(std::vector<std::string> args);

// The bytes of the file at `path`, which is then removed.
std::string TakeFile(const std::string& path);

// The value of header `name` in a response head ("" if absent).
std::string HeaderOf(absl::string_view head, absl::string_view name);

}  // namespace sluice::testing

#endif  // SLUICE_TESTS_TESTING_CURL_H_
