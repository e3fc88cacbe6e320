// Copyright 2026 The sluice Authors.

#include "tests/testing/curl.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "tests/testing/subprocess.h"

namespace sluice::testing {

std::string CurlBinary() {
  for (const char* path : {"/usr/bin/curl", "/usr/local/bin/curl"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string TakeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  std::filesystem::remove(path);
  return bytes;
}

CurlResult Curl(std::vector<std::string> args) {
  // Tests run curl from several threads at once.
  static std::atomic<int> serial = 0;
  const std::string stem =
      absl::StrCat("/tmp/sluice-test-curl-", ::getpid(), "-", serial++);
  std::vector<std::string> argv = {
      CurlBinary(),   "-sS", "--max-time",   "60", "-o",
      stem + ".body", "-D",  stem + ".head", "-w", "%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult run = RunProcess(argv, absl::Seconds(90));
  CurlResult result;
  result.exit_code = run.exit_code;
  (void)absl::SimpleAtoi(run.out, &result.status);
  result.body = TakeFile(stem + ".body");
  result.headers = TakeFile(stem + ".head");
  return result;
}

std::string HeaderOf(absl::string_view head, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon != absl::string_view::npos &&
        absl::EqualsIgnoreCase(line.substr(0, colon), name)) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

}  // namespace sluice::testing
