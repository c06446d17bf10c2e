// Helpers shared by the tests: temporary directories and status matchers.
#ifndef ZHIKU_TESTS_TEST_UTIL_H_
#define ZHIKU_TESTS_TEST_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace zhiku::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The repository root ($ZHIKU_SOURCE_DIR, else the configured source dir).
std::string SourceDir();
// The build directory ($ZHIKU_BINARY_DIR, else the configured build dir).
std::string BinaryDir();

}  // namespace zhiku::testing

#define ZHIKU_ASSERT_OK(expr)                                   \
  do {                                                          \
    const ::absl::Status zhiku_s_ = ::zhiku::testing::AsStatus(expr); \
    ASSERT_TRUE(zhiku_s_.ok()) << zhiku_s_;                    \
  } while (0)
#define ZHIKU_EXPECT_OK(expr)                                   \
  do {                                                          \
    const ::absl::Status zhiku_s_ = ::zhiku::testing::AsStatus(expr); \
    EXPECT_TRUE(zhiku_s_.ok()) << zhiku_s_;                    \
  } while (0)
// Evaluates a StatusOr expression, fails the test if not OK, else assigns.
#define ZHIKU_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ZHIKU_ASSERT_OK_AND_ASSIGN_IMPL_(ZHIKU_TEST_CONCAT_(zhiku_sor_, __LINE__), lhs, rexpr)
#define ZHIKU_TEST_CONCAT_INNER_(a, b) a##b
#define ZHIKU_TEST_CONCAT_(a, b) ZHIKU_TEST_CONCAT_INNER_(a, b)
#define ZHIKU_ASSERT_OK_AND_ASSIGN_IMPL_(sor, lhs, rexpr) \
  auto sor = (rexpr);                                     \
  ASSERT_TRUE(sor.ok()) << sor.status();                  \
  lhs = std::move(sor).value()

namespace zhiku::testing {
inline absl::Status AsStatus(const absl::Status& s) { return s; }
template <typename T>
absl::Status AsStatus(const absl::StatusOr<T>& s) { return s.status(); }
}  // namespace zhiku::testing

#endif  // ZHIKU_TESTS_TEST_UTIL_H_
