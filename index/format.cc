#include "index/format.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace zhiku {

std::string WithThousands(int64_t n) {
  const uint64_t magnitude = n < 0 ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  const std::string digits = absl::StrCat(magnitude);
  std::string out = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

double Float32ForJson(float value) {
  if (!std::isfinite(value)) return value;
  // to_chars/from_chars: shortest round-trip form, independent of the locale.
  char buffer[64];
  const std::to_chars_result end = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (end.ec != std::errc()) return value;
  double shortest = 0;
  if (std::from_chars(buffer, end.ptr, shortest).ec != std::errc()) return value;
  // Rounding twice (decimal -> double -> float) can in principle land on the
  // neighbouring float; the exact value is then the safe choice.
  return static_cast<float>(shortest) == value ? shortest : static_cast<double>(value);
}

}  // namespace zhiku
