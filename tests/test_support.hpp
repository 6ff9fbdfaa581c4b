// Fixture helpers shared by the unit tests: a fresh output directory per test, files written byte
// for byte, and the message of the revest::Error a call throws. Header-only; include it from a
// GoogleTest source (the test CMake macros put tests/ on the include path).
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "core/analysis.hpp"
#include "core/error.hpp"

namespace revest::test {

/// A fresh, empty directory for the running test: REVEST_BINARY_DIR/test-output/<family>/
/// <Suite>.<Test> (family e.g. "io/csv"). Any previous content is removed.
inline std::filesystem::path test_dir(const std::string& family) {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path d = std::filesystem::path(REVEST_BINARY_DIR) / "test-output" /
                                  family /
                                  (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

/// Writes `text` byte for byte as dir/name and returns that path.
inline std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name,
                                        const std::string& text) {
  const std::filesystem::path p = dir / name;
  std::ofstream out(p, std::ios::binary);
  out << text;
  return p;
}

/// The bytes of the file at `p` (empty if it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// `s` with the first occurrence of `from` replaced by `to`; fails the test (and returns `s`) if
/// `from` does not occur.
inline std::string replaced(const std::string& s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  EXPECT_NE(p, std::string::npos) << from;
  if (p == std::string::npos) return s;
  return s.substr(0, p) + to + s.substr(p + from.size());
}

/// The summary table `name` among an analysis's tables; throws if there is none.
inline const Table& table(const std::vector<Table>& tables, const std::string& name) {
  for (const Table& t : tables)
    if (t.name == name) return t;
  throw std::runtime_error("no table " + name);
}

/// Column `name` of table `t`, as values of type T; throws if there is none.
template <class T>
const std::vector<T>& column(const Table& t, const std::string& name) {
  for (const Column& c : t.columns)
    if (c.name == name) return std::get<std::vector<T>>(c.data);
  throw std::runtime_error("no column " + name + " in table " + t.name);
}

/// what() of the revest::Error thrown by f(); fails the test (and returns what() of any other
/// exception, or "" when nothing is thrown) otherwise.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const revest::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected revest::Error, got another exception: " << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected revest::Error, nothing was thrown";
  return {};
}

}  // namespace revest::test
