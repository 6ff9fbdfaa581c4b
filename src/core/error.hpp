#pragma once
/// \file error.hpp
/// \brief The one exception type of revest and its two tiers of checks.
///
/// REVEST_REQUIRE(cond, msg) is always on and guards user input and configuration: it throws
/// revest::Error. REVEST_ASSERT(cond) guards internal invariants and is compiled out in release
/// builds. Numerical failures of a single replication are *not* errors: they are reported as a
/// TaskStatus (see analysis.hpp) and the run goes on.
#include <sstream>
#include <stdexcept>
#include <string>

namespace revest {

/// Every error revest reports to a user. what() is a one-line reason that names the file, row and
/// field where there is one.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }
}  // namespace detail

}  // namespace revest

/// Always-on check of user input: throws revest::Error with the streamed message.
#define REVEST_REQUIRE(cond, msg)                                                        \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::ostringstream revest_require_os_;                                             \
      revest_require_os_                                                                 \
          << msg; /* NOLINT(bugprone-macro-parentheses): msg is a stream chain a << b */ \
      ::revest::detail::fail(revest_require_os_.str());                                  \
    }                                                                                    \
  } while (0)

/// Unconditional failure with a streamed message.
#define REVEST_FAIL(msg)                                                                           \
  do {                                                                                             \
    std::ostringstream revest_fail_os_;                                                            \
    revest_fail_os_ << msg; /* NOLINT(bugprone-macro-parentheses): msg is a stream chain a << b */ \
    ::revest::detail::fail(revest_fail_os_.str());                                                 \
  } while (0)

#ifdef NDEBUG
#define REVEST_ASSERT(cond) ((void)0)
#else
#define REVEST_ASSERT(cond)                                                                       \
  do {                                                                                            \
    if (!(cond))                                                                                  \
      ::revest::detail::fail(std::string("internal error: assertion failed: ") + #cond + " at " + \
                             __FILE__ + ":" + std::to_string(__LINE__));                          \
  } while (0)
#endif
