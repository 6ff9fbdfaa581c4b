#include "driver/output_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "driver/archive.hpp"

namespace revest::driver {

namespace {

std::string this_host() {
  char name[256] = {0};
  ::gethostname(name, sizeof name - 1);
  return name;
}

/// The command line of this process, for the lock file (so that a refused user sees what runs).
std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (char& c : all)
    if (c == '\0') c = ' ';
  while (!all.empty() && all.back() == ' ') all.pop_back();
  if (all.size() > 300) all = all.substr(0, 297) + "...";
  return all;
}

std::string holder_line() {
  std::ostringstream os;
  os << "host=" << this_host() << " pid=" << ::getpid() << " since=" << now_iso8601();
  if (const char* j = std::getenv("SLURM_JOB_ID")) os << " slurm_job=" << j;
  os << " command=" << command_line() << "\n";
  return os.str();
}

/// Who holds a lock, as its lock file says ("key=value ... command=REST").
struct Holder {
  std::string host, pid, since, slurm_job, command;
};

Holder parse_holder(const std::string& text) {
  Holder h;
  std::string line = text.substr(0, text.find('\n'));
  const auto cmd = line.find(" command=");
  if (cmd != std::string::npos) {
    h.command = line.substr(cmd + 9);
    line.resize(cmd);
  }
  std::istringstream is(line);
  for (std::string kv; is >> kv;) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "host")
      h.host = v;
    else if (k == "pid")
      h.pid = v;
    else if (k == "since")
      h.since = v;
    else if (k == "slurm_job")
      h.slurm_job = v;
  }
  return h;
}

std::string describe(const Holder& h) {
  if (h.host.empty() && h.pid.empty()) return "holder unknown: its lock file is empty";
  std::string s = "host " + h.host + ", pid " + h.pid;
  if (!h.slurm_job.empty()) s += ", SLURM job " + h.slurm_job;
  if (!h.since.empty()) s += ", since " + h.since;
  if (!h.command.empty()) s += ": " + h.command;
  return s;
}

/// For the O_EXCL fallback only: is the holder certainly gone?
bool holder_gone(const Holder& h) {
  const char* job = std::getenv("SLURM_JOB_ID");
  if (job && !h.slurm_job.empty() && h.slurm_job == job)
    return true;  // an earlier run of this (requeued) job
  if (h.host != this_host() || h.pid.empty()) return false;
  char* end = nullptr;
  const long pid = std::strtol(h.pid.c_str(), &end, 10);
  if (*end != '\0' || pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string read_all(int fd) {
  std::string out;
  char buf[1024];
  off_t at = 0;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, at)) > 0; at += n)
    out.append(buf, static_cast<std::size_t>(n));
  return out;
}

void write_holder(int fd) {
  const std::string line = holder_line();
  // Best effort: the lock is the flock (or the file's existence), the text only informs.
  if (::ftruncate(fd, 0) != 0) return;
  [[maybe_unused]] const ssize_t n = ::pwrite(fd, line.data(), line.size(), 0);
}

bool flock_unsupported(int e) {
  return e == ENOSYS || e == EOPNOTSUPP || e == ENOLCK || e == EINVAL;
}

}  // namespace

std::filesystem::path lock_path(const std::filesystem::path& archive) {
  return archive.string() + ".lock";
}

OutputLock::OutputLock(const std::filesystem::path& archive, bool use_flock)
    : path_(lock_path(archive)) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    bool created = true;
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
      created = false;
      fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) continue;  // its holder removed it meanwhile: try again
    }
    REVEST_REQUIRE(fd >= 0, path_.string()
                                << ": cannot create the archive's lock file ("
                                << std::strerror(errno) << "); is the directory writable?");
    const int err = !use_flock ? ENOSYS : ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
    if (err == 0) {
      // A holder that just finished removes the file after we opened it: hold the lock only on
      // the file the path still names, or two writers could each hold a lock on another inode.
      struct stat a {
      }, b{};
      if (::fstat(fd, &a) != 0 || ::stat(path_.c_str(), &b) != 0 || a.st_dev != b.st_dev ||
          a.st_ino != b.st_ino) {
        ::close(fd);
        continue;
      }
      write_holder(fd);
      fd_ = fd;
      flocked_ = true;
      return;
    }
    if (err == EWOULDBLOCK) {
      const Holder h = parse_holder(read_all(fd));
      ::close(fd);
      REVEST_FAIL(archive.string()
                  << " is being written by another revest (" << describe(h)
                  << "): refusing a second writer. Wait for it to finish (a later --resume then "
                     "finds the archive complete), or stop it first; its lock is "
                  << path_.string());
    }
    if (!flock_unsupported(err)) {
      ::close(fd);
      REVEST_FAIL(path_.string() << ": cannot lock the archive's lock file (" << std::strerror(err)
                                 << ")");
    }
    // No flock on this file system: the lock is the file's existence.
    if (!created) {
      const Holder h = parse_holder(read_all(fd));
      if (!holder_gone(h)) {
        ::close(fd);
        REVEST_FAIL(
            archive.string()
            << " is being written by another revest (" << describe(h)
            << "), or was by one that ended without removing its lock: this file system has "
               "no flock(2), so revest cannot tell. Refusing a second writer; if no revest "
               "writes this archive any more, delete "
            << path_.string() << " and run again");
      }
    }
    write_holder(fd);
    fd_ = fd;
    flocked_ = false;
    return;
  }
  REVEST_FAIL(
      path_.string() << ": could not take the archive's lock (its lock file kept being replaced)");
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  // Unlink while still holding the lock, then release it by closing (see the constructor's check
  // of the inode for the process that opened the file just before).
  ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace revest::driver
