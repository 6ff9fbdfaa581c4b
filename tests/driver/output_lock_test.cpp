// Serial unit tests of the archive's lock (output_lock.hpp): a second writer is refused with a
// message naming the holder, the lock file goes with its holder, and the fallback for file systems
// without flock(2) takes over only a lock file whose holder is certainly gone.
#include "driver/output_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "core/error.hpp"

using namespace revest;
using namespace revest::driver;
namespace fs = std::filesystem;

namespace {
fs::path archive(const std::string& name) {
  const fs::path d = fs::path(REVEST_BINARY_DIR) / "test-output" / "output_lock_unit";
  fs::create_directories(d);
  fs::remove(lock_path(d / name));
  return d / name;
}
std::string host() {
  char name[256] = {0};
  gethostname(name, sizeof name - 1);
  return name;
}
std::string refusal(const fs::path& a, bool use_flock) {
  try {
    OutputLock second(a, use_flock);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(OutputLock, SecondWriterIsRefusedWithTheHolder) {
  const fs::path a = archive("two.h5");
  std::optional<OutputLock> first;
  first.emplace(a);
  EXPECT_TRUE(first->flocked());
  EXPECT_TRUE(fs::exists(lock_path(a)));
  // flock(2) locks belong to open files: a second open of the lock file conflicts even in the same
  // process, as a second revest would.
  const std::string why = refusal(a, true);
  EXPECT_NE(why.find("is being written by another revest (host " + host() + ", pid " +
                     std::to_string(getpid())),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("refusing a second writer"), std::string::npos) << why;
  first.reset();
  EXPECT_FALSE(fs::exists(lock_path(a))) << "the lock file outlives its holder";
  EXPECT_NO_THROW(OutputLock again(a));
}

TEST(OutputLock, LockFileOfAKilledHolderDoesNotBlock) {
  // A holder killed with SIGKILL leaves its lock file; flock was released by the kernel.
  const fs::path a = archive("killed.h5");
  std::ofstream(lock_path(a)) << "host=" << host() << " pid=" << getpid()
                              << " since=x command=revest run\n";
  EXPECT_NO_THROW(OutputLock l(a));
}

TEST(OutputLock, WithoutFlockOnlyAGoneHolderIsTakenOver) {
  const fs::path a = archive("noflock.h5");
  {
    OutputLock first(a, /*use_flock=*/false);
    EXPECT_FALSE(first.flocked());
    EXPECT_NE(refusal(a, false).find("pid " + std::to_string(getpid())), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(lock_path(a)));
  // A pid that cannot exist (above Linux's PID_MAX_LIMIT) on this host: gone, taken over.
  std::ofstream(lock_path(a)) << "host=" << host() << " pid=99999999 since=x command=revest run\n";
  EXPECT_NO_THROW(OutputLock l(a, false));
  // A live process (this one) or another host: cannot tell, refused, naming the file to delete.
  std::ofstream(lock_path(a)) << "host=" << host() << " pid=" << getpid()
                              << " since=x command=revest run\n";
  EXPECT_NE(refusal(a, false).find("delete " + lock_path(a).string()), std::string::npos);
  std::ofstream(lock_path(a)) << "host=elsewhere-node pid=1 since=x command=revest run\n";
  EXPECT_NE(refusal(a, false).find("host elsewhere-node, pid 1"), std::string::npos);
  fs::remove(lock_path(a));
}
