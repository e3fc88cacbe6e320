// A program outside the sluice tree, built only against what `meson install`
// put in place (found through `pkg-config sluice`). It sends a file with
// SendFile() and with an Engine and checks every byte the peer got.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "sluice/engine.h"
#include "sluice/send_file.h"

static std::string Receive(int fd) {
  std::string got;
  char buffer[65536];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
    got.append(buffer, n);
  return got;
}

int main() {
  std::string content(300000, '\0');
  for (size_t i = 0; i < content.size(); ++i)
    content[i] = char(i * 13 + i / 256);
  char path[] = "/tmp/sluice-consumer-XXXXXX";
  const int file = ::mkstemp(path);
  ::unlink(path);
  if (::write(file, content.data(), content.size()) != ssize_t(content.size()))
    return 1;

  for (bool use_engine : {false, true}) {
    int fds[2];
    ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    std::string got;
    std::thread reader([&] { got = Receive(fds[1]); });
    sluice::TransferSpec spec{
        .socket_fd = fds[0], .file_fd = file, .offset = 7, .count = 200001};
    sluice::TransferResult result;
    if (use_engine) {
      auto engine = sluice::Engine::Create({});
      if (!engine.ok()) return 1;
      (void)(*engine)->Submit(
          spec, [&](sluice::TransferId, const sluice::TransferResult& r) {
            result = r;
          });
      if (!(*engine)->Run().ok()) return 1;
    } else {
      result = sluice::SendFile(spec);
    }
    ::close(fds[0]);
    reader.join();
    ::close(fds[1]);
    const bool ok = result.status.ok() && got == content.substr(7, 200001);
    std::printf("%s: %s, %llu bytes, %s\n", use_engine ? "Engine" : "SendFile",
                result.status.ToString().c_str(),
                (unsigned long long)result.bytes_sent,
                ok ? "byte-exact" : "MISMATCH");
    if (!ok) return 1;
  }
  return 0;
}
