// Copyright 2026 The sluice Authors.
//
// content_type.h: the Content-Type sluice-serve sends for a file name.

#ifndef SLUICE_TOOLS_SERVE_CONTENT_TYPE_H_
#define SLUICE_TOOLS_SERVE_CONTENT_TYPE_H_

#include "absl/strings/string_view.h"

namespace sluice::serve {

// The media type for the extension of `path` (case-insensitive), from a
// small table of web formats; "application/octet-stream" otherwise.
absl::string_view ContentTypeFor(absl::string_view path);

}  // namespace sluice::serve

#endif  // SLUICE_TOOLS_SERVE_CONTENT_TYPE_H_
