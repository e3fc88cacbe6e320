// Copyright 2026 The sluice Authors.

#include "net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace sluice::tools {

std::string Address::ToString() const {
  char text[INET6_ADDRSTRLEN] = "";
  switch (storage.ss_family) {
    case AF_INET: {
      const auto* v4 = reinterpret_cast<const sockaddr_in*>(&storage);
      ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
      return absl::StrFormat("%s:%d", text, ntohs(v4->sin_port));
    }
    case AF_INET6: {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
      return absl::StrFormat("[%s]:%d", text, ntohs(v6->sin6_port));
    }
    case AF_UNIX:
      return absl::StrCat(
          "unix:", reinterpret_cast<const sockaddr_un*>(&storage)->sun_path);
  }
  return "?";
}

absl::StatusOr<Address> ParseAddress(absl::string_view text) {
  Address address;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bad address \"%s\": %s (expected HOST:PORT with a numeric host or "
        "localhost, [IPv6]:PORT, or unix:/path)",
        text, why));
  };
  if (absl::ConsumePrefix(&text, "unix:")) {
    auto* un = reinterpret_cast<sockaddr_un*>(&address.storage);
    if (text.empty() || text.size() >= sizeof(un->sun_path)) {
      return bad("unix socket path empty or too long");
    }
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, text.data(), text.size());
    address.length = sizeof(sockaddr_un);
    return address;
  }
  const size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return bad("no port");
  absl::string_view host = text.substr(0, colon);
  int port;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return bad("port is not a number from 0 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  const std::string host_text(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (::inet_pton(AF_INET, host_text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    address.length = sizeof(sockaddr_in);
    return address;
  }
  if (::inet_pton(AF_INET6, host_text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    address.length = sizeof(sockaddr_in6);
    return address;
  }
  return bad("host is not a numeric address");
}

absl::StatusOr<UniqueFd> Listen(Address& address, PortSharing sharing) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (sharing == PortSharing::kReusePort &&
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) !=
          0) {
    const int err = errno;
    return absl::ErrnoToStatus(
        err, absl::StrCat("SO_REUSEPORT on ", address.ToString()));
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address.storage),
             address.length) != 0 ||
      ::listen(fd.get(), 4096) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err,
                               absl::StrCat("listen on ", address.ToString()));
  }
  if (address.family() != AF_UNIX) {
    ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address.storage),
                  &address.length);
  }
  return fd;
}

absl::StatusOr<UniqueFd> Connect(const Address& address) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage),
                address.length) != 0) {
    const int err = errno;
    return absl::ErrnoToStatus(err,
                               absl::StrCat("connect to ", address.ToString()));
  }
  return fd;
}

absl::StatusOr<PendingConnect> StartConnect(const Address& address) {
  PendingConnect pending;
  pending.fd.reset(::socket(address.family(),
                            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!pending.fd.valid()) return absl::ErrnoToStatus(errno, "socket");
  if (::connect(pending.fd.get(),
                reinterpret_cast<const sockaddr*>(&address.storage),
                address.length) != 0) {
    const int err = errno;
    if (err != EINPROGRESS) {
      return absl::ErrnoToStatus(
          err, absl::StrCat("connect to ", address.ToString()));
    }
    pending.in_progress = true;
  }
  return pending;
}

absl::Status FinishConnect(int fd, const Address& address) {
  int err = 0;
  socklen_t length = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) != 0) err = errno;
  if (err == 0) return absl::OkStatus();
  return absl::ErrnoToStatus(err,
                             absl::StrCat("connect to ", address.ToString()));
}

}  // namespace sluice::tools
