// virPMCGateCheckXML (pmc-gate.h): the installed gate, run as libvirt runs a
// hook. The definition goes to its standard input while its standard error is
// read (poll: a large definition never deadlocks on full pipes); its standard
// output is discarded, as the gate never writes one.
#include "pmc-gate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <string>

#include "pmc-extend.h" /* virPMCReportError */
#include "pmc.h"

extern char** environ;

namespace {

constexpr unsigned int kDefaultTimeoutMs = 30000;
/** The gate's lines are a few hundred bytes; more is not an answer. */
constexpr size_t kMaxReasonBytes = 64 * 1024;

long long NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// Kills and reaps the gate (a timeout or a failure while it runs).
void KillAndReap(pid_t pid) {
  kill(pid, SIGKILL);
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

struct Pipes {
  int in[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {in[0], in[1], err[0], err[1]})
      if (fd >= 0) close(fd);
  }
};

}  // namespace

extern "C" int virPMCGateCheckXML(const char* gate, const char* xml, unsigned int timeoutMs, char** reasons,
                                  unsigned int flags) {
  if (reasons) *reasons = nullptr;
  if (!gate || gate[0] != '/' || !xml || flags != 0) {
    virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "virPMCGateCheckXML: %s",
                      flags != 0 ? "flags must be 0" : "gate must be an absolute path and xml set");
    return -1;
  }
  struct stat st;
  if (stat(gate, &st) < 0 || !S_ISREG(st.st_mode) || access(gate, X_OK) < 0) {
    virPMCReportError(VIR_PMC_ERR_SYSTEM, "%s: not an executable gate (pmc hook install writes one)", gate);
    return -1;
  }
  Pipes p;
  if (pipe2(p.in, O_CLOEXEC) < 0 || pipe2(p.err, O_CLOEXEC) < 0) {
    virPMCReportError(VIR_PMC_ERR_SYSTEM, "pipe: %s", strerror(errno));
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, p.in[0], 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, p.err[1], 2);
  // libvirt's arguments for the beginning of an incoming migration; the gate reads the name from the XML.
  char* argv[] = {const_cast<char*>(gate),    const_cast<char*>("-"), const_cast<char*>("migrate"),
                  const_cast<char*>("begin"), const_cast<char*>("-"), nullptr};
  pid_t pid = -1;
  int rc = posix_spawn(&pid, gate, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    virPMCReportError(VIR_PMC_ERR_SYSTEM, "%s: cannot run: %s", gate, strerror(rc));
    return -1;
  }
  close(p.in[0]);
  close(p.err[1]);
  p.in[0] = p.err[1] = -1;
  fcntl(p.in[1], F_SETFL, O_NONBLOCK);
  // The gate may exit without reading everything (it refuses a definition too large): no SIGPIPE here.
  struct sigaction ignore = {}, previous;
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);

  std::string err;
  size_t written = 0, length = strlen(xml);
  long long deadline = NowMs() + (timeoutMs ? timeoutMs : kDefaultTimeoutMs);
  bool failed = false;
  std::string why;
  if (length == 0) {
    close(p.in[1]);
    p.in[1] = -1;
  }
  while (p.err[0] >= 0) {
    long long left = deadline - NowMs();
    if (left <= 0) {
      failed = true;
      why = "did not answer in time";
      break;
    }
    struct pollfd fds[2] = {{p.err[0], POLLIN, 0}, {p.in[1], POLLOUT, 0}};
    int n = poll(fds, p.in[1] >= 0 ? 2 : 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR) {
      failed = true;
      why = strerror(errno);
      break;
    }
    if (p.in[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(p.in[1], xml + written, length - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == length) {
        close(p.in[1]);
        p.in[1] = -1;
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t r = read(p.err[0], buf, sizeof buf);
      if (r > 0 && err.size() < kMaxReasonBytes) err.append(buf, static_cast<size_t>(r));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
        close(p.err[0]);
        p.err[0] = -1;
      }
    }
  }
  sigaction(SIGPIPE, &previous, nullptr);
  if (failed) {
    KillAndReap(pid);
    virPMCReportError(VIR_PMC_ERR_SYSTEM, "%s: %s", gate, why.c_str());
    return -1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      virPMCReportError(VIR_PMC_ERR_SYSTEM, "%s: waitpid: %s", gate, strerror(errno));
      return -1;
    }
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
    virPMCReportError(VIR_PMC_ERR_SYSTEM, "%s: ended without an answer (status %d)", gate, status);
    return -1;
  }
  if (reasons) {
    while (!err.empty() && err.back() == '\n') err.pop_back();
    *reasons = strdup(err.c_str());
    if (!*reasons) {
      virPMCReportError(VIR_PMC_ERR_NO_MEMORY, "out of memory");
      return -1;
    }
  }
  return WEXITSTATUS(status);
}
