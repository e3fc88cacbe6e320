// Copyright 2026 The sluice Authors.

#include "serve/content_type.h"

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"

namespace sluice::serve {

absl::string_view ContentTypeFor(absl::string_view path) {
  static const auto* const kTypes =
      new absl::flat_hash_map<std::string, absl::string_view>{
          {"html", "text/html; charset=utf-8"},
          {"htm", "text/html; charset=utf-8"},
          {"css", "text/css; charset=utf-8"},
          {"js", "text/javascript; charset=utf-8"},
          {"mjs", "text/javascript; charset=utf-8"},
          {"json", "application/json"},
          {"txt", "text/plain; charset=utf-8"},
          {"xml", "application/xml"},
          {"svg", "image/svg+xml"},
          {"png", "image/png"},
          {"jpg", "image/jpeg"},
          {"jpeg", "image/jpeg"},
          {"gif", "image/gif"},
          {"webp", "image/webp"},
          {"avif", "image/avif"},
          {"ico", "image/vnd.microsoft.icon"},
          {"woff", "font/woff"},
          {"woff2", "font/woff2"},
          {"wasm", "application/wasm"},
          {"pdf", "application/pdf"},
          {"zip", "application/zip"},
          {"gz", "application/gzip"},
          {"mp4", "video/mp4"},
          {"webm", "video/webm"},
          {"mp3", "audio/mpeg"},
          {"m3u8", "application/vnd.apple.mpegurl"},
          {"ts", "video/mp2t"},
      };
  constexpr absl::string_view kDefault = "application/octet-stream";
  const size_t slash = path.rfind('/');
  const absl::string_view name =
      slash == absl::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.rfind('.');
  if (dot == absl::string_view::npos || dot + 1 == name.size()) {
    return kDefault;
  }
  const auto it = kTypes->find(absl::AsciiStrToLower(name.substr(dot + 1)));
  return it == kTypes->end() ? kDefault : it->second;
}

}  // namespace sluice::serve
