// Highlighted snippets: marks the parts of an original (display) text that
// match a query, so an agent sees why an entry matched.
#ifndef ZHIKU_INDEX_HIGHLIGHTER_H_
#define ZHIKU_INDEX_HIGHLIGHTER_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "index/text_normalizer.h"
#include "index/tokenizer.h"

namespace zhiku {

struct HighlightOptions {
  std::string pre_tag = "<em>";
  std::string post_tag = "</em>";
  // If > 0, the result is cut to a window of about this many code points
  // around the first match, with "…" where text was cut.
  size_t max_chars = 0;
};

// The query side of highlighting, computed once per query.
struct HighlightTerms {
  absl::flat_hash_set<std::string> terms;  // index terms (bigrams, unigrams, stems)
  // True if the query has CJK runs of one character only; then matching single
  // characters are highlighted. Otherwise only CJK bigrams are, because
  // highlighting every shared character is noise.
  bool highlight_cjk_unigrams = false;

  static HighlightTerms FromQueryTokens(const std::vector<Token>& tokens);
};

// Returns `display` with every matching stretch wrapped in pre/post tags
// (adjacent matches merged into one stretch; characters that normalise to
// nothing, such as zero-width spaces, right after a match belong to it). The
// text between tags is the original text, byte for byte; nothing is escaped.
// CJK bigrams and words (by stem) are matched always, CJK unigrams only if
// terms.highlight_cjk_unigrams. Thread-safe.
std::string Highlight(const TextNormalizer& normalizer, absl::string_view display,
                      const HighlightTerms& terms, const HighlightOptions& options);

// True if Highlight would mark anything.
bool HasHighlight(const TextNormalizer& normalizer, absl::string_view display,
                  const HighlightTerms& terms);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_HIGHLIGHTER_H_
