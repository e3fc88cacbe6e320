// Copyright 2026 The sluice Authors.

#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "absl/time/clock.h"

namespace sluice::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, int out_fd, int err_fd) {
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` until `deadline`; kills it then. Returns the exit code.
int WaitUntil(pid_t pid, absl::Time deadline) {
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Drains a pipe's read end into a string without blocking.
void Drain(int fd, std::string& into) {
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) return;
    into.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         absl::Duration limit) {
  ProcessResult result;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return result;
  }
  const pid_t pid = Spawn(argv, out[1], err[1]);
  ::close(out[1]);
  ::close(err[1]);
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  ::fcntl(err[0], F_SETFL, O_NONBLOCK);
  const absl::Time deadline = absl::Now() + limit;
  // Keep the pipes drained so a chatty child never blocks on them.
  while (absl::Now() < deadline) {
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    ::poll(fds, 2, 50);
    Drain(out[0], result.out);
    Drain(err[0], result.err);
    int status;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      result.exit_code =
          WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      Drain(out[0], result.out);
      Drain(err[0], result.err);
      ::close(out[0]);
      ::close(err[0]);
      return result;
    }
  }
  result.exit_code = WaitUntil(pid, absl::Now());
  Drain(out[0], result.out);
  Drain(err[0], result.err);
  ::close(out[0]);
  ::close(err[0]);
  return result;
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return;
  const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  pid_ = Spawn(argv, out[1], null);
  ::close(out[1]);
  ::close(null);
  out_ = out[0];
  ::fcntl(out_, F_SETFL, O_NONBLOCK);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0) Stop(absl::Seconds(5));
  if (out_ >= 0) ::close(out_);
}

std::string BackgroundProcess::ReadLine(absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    const size_t newline = pending_.find('\n');
    if (newline != std::string::npos) {
      std::string line = pending_.substr(0, newline);
      pending_.erase(0, newline + 1);
      return line;
    }
    pollfd p{out_, POLLIN, 0};
    ::poll(&p, 1, 50);
    Drain(out_, pending_);
  }
  return "";
}

ProcessResult BackgroundProcess::Stop(absl::Duration limit) {
  ProcessResult result;
  if (pid_ <= 0) return result;
  ::kill(pid_, SIGTERM);
  result.exit_code = WaitUntil(pid_, absl::Now() + limit);
  pid_ = -1;
  result.out = pending_;
  Drain(out_, result.out);
  return result;
}

}  // namespace sluice::testing
