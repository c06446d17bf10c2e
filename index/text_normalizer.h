// Text normalisation shared by indexing, querying, suggestions and mining.
//
// Normalize() maps text to its index form:
//   1. Unicode NFKC (full-width ASCII -> ASCII, half-width katakana -> full,
//      ideographic space -> space, compatibility ideographs -> unified),
//   2. case folding,
//   3. Traditional -> Simplified Chinese (OpenCC t2s, phrase-aware),
//   4. punctuation and symbols (Unicode P* and S*, incl. 。，？！「」) -> one space,
//      control characters dropped, whitespace runs collapsed, trimmed.
// Invalid UTF-8 bytes are dropped (callers validate at the boundary first).
// The original text is never modified: callers keep it for display.
#ifndef ZHIKU_INDEX_TEXT_NORMALIZER_H_
#define ZHIKU_INDEX_TEXT_NORMALIZER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

// One code point of the original text and what it normalises to.
struct NormalizedChar {
  size_t begin = 0;        // byte offset in the original text
  size_t end = 0;          // one past the last byte
  std::string normalized;  // its index form: "" (dropped), " " (separator) or text
};

class TextNormalizer {
 public:
  // Loads the OpenCC t2s and s2tw (Taiwan-standard characters) configurations from `opencc_dir` (default:
  // Debian's /usr/share/opencc). Returns FailedPrecondition naming the missing
  // file if they cannot be loaded (install libopencc-data).
  static absl::StatusOr<std::unique_ptr<TextNormalizer>> Create(
      const std::string& opencc_dir = "/usr/share/opencc");

  ~TextNormalizer();
  TextNormalizer(const TextNormalizer&) = delete;
  TextNormalizer& operator=(const TextNormalizer&) = delete;

  // The index form of `text` (see the file comment). Thread-safe.
  std::string Normalize(absl::string_view text) const;

  // Normalises code point by code point (Traditional -> Simplified per
  // character, not per phrase), keeping each code point's byte range in
  // `text`. Used to map matches back onto the original for highlighting.
  // Concatenating the `normalized` fields and collapsing spaces gives text
  // that tokenises like Normalize(text) in all but rare phrase conversions.
  // The entries tile `text` in order: an invalid UTF-8 byte is an entry of
  // its own with normalized "", and a combining mark that NFKC composes into
  // the code point before it (e + U+0301) has normalized "" while that code
  // point carries the composed form ("é"). Thread-safe.
  std::vector<NormalizedChar> NormalizeChars(absl::string_view text) const;

  // True if `text` contains characters that only exist in Traditional
  // Chinese (OpenCC t2s changes them). Thread-safe.
  bool IsTraditional(absl::string_view text) const;

  // Simplified -> Traditional (OpenCC s2tw: Taiwan-standard characters, e.g. 為 not 爲) and back (t2s), without any other
  // normalisation. Invalid UTF-8 and NUL bytes are copied unchanged.
  // Thread-safe.
  std::string ToTraditional(absl::string_view text) const;
  std::string ToSimplified(absl::string_view text) const;

 private:
  struct Impl;
  explicit TextNormalizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_TEXT_NORMALIZER_H_
