#include "tests/test_util.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace zhiku::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/zhiku-test-XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + templ);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string SourceDir() {
  const char* dir = std::getenv("ZHIKU_SOURCE_DIR");
  return dir != nullptr ? dir : ZHIKU_DEFAULT_SOURCE_DIR;
}

std::string BinaryDir() {
  const char* dir = std::getenv("ZHIKU_BINARY_DIR");
  return dir != nullptr ? dir : ZHIKU_DEFAULT_BINARY_DIR;
}

}  // namespace zhiku::testing
