// Copyright 2026 The sluice Authors.
//
// request_target.h: from a request target to a path under the served root.
//
// The target is percent-decoded exactly once and then split into segments;
// the result never leaves the root by name: a ".." segment, a NUL or other
// control byte (encoded or not), a malformed escape or a fragment is an
// error, never "resolved". Symlinks are the file opener's business
// (openat2 with RESOLVE_BENEATH, see open_file.h).
//
//   ResolveTarget("/a/./b%20c.txt?x=1")       -> "a/b c.txt"
//   ResolveTarget("http://host/a/b")          -> "a/b"     (absolute-form)
//   ResolveTarget("/")                        -> ""        (the root itself)
//   ResolveTarget("/%2e%2e/etc/passwd")       -> InvalidArgument

#ifndef SLUICE_TOOLS_SERVE_REQUEST_TARGET_H_
#define SLUICE_TOOLS_SERVE_REQUEST_TARGET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluice::serve {

// The path the target names, relative to the root, segments joined by '/'
// with no empty, "." or ".." segment; "" names the root. InvalidArgument
// (answered 400) for anything that cannot be mapped safely.
absl::StatusOr<std::string> ResolveTarget(absl::string_view target);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_REQUEST_TARGET_H_
