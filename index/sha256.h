// SHA-256 (FIPS 180-4). Used for content keys that are stored on disk and
// must never change between builds (corpus dedupe), which rules out
// absl::Hash.
#ifndef ZHIKU_INDEX_SHA256_H_
#define ZHIKU_INDEX_SHA256_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace zhiku {

// The 32-byte digest of `data`. Thread-safe (no state).
std::array<uint8_t, 32> Sha256(absl::string_view data);

// The digest as 64 lowercase hex digits, as printed by `sha256sum`.
std::string Sha256Hex(absl::string_view data);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_SHA256_H_
