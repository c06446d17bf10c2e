// As-you-type suggestions over questions and variants, computed from the
// in-memory Snapshot (no index round trip: called on every keystroke).
#ifndef ZHIKU_INDEX_SUGGESTER_H_
#define ZHIKU_INDEX_SUGGESTER_H_

#include <string>
#include <vector>

#include "index/filters.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"

namespace zhiku {

struct SuggestQuery {
  std::string prefix;  // raw text as typed
  Filters filters;
  int limit = 8;       // 1..10
};

struct Suggestion {
  std::string entry_id;
  std::string text;       // the phrasing, in the script the user typed
  int phrasing = 0;       // 0 question, i variant i - 1
};

// Ranks phrasings whose normalised form (a) starts with the normalised prefix,
// then (b) has a word starting with it (English: the last typed word may be
// partial, earlier words must match whole words) or (c) contains it (CJK).
// Within a class: canonical questions before variants, then shorter first,
// then entry id. At most one suggestion per entry. If the prefix is typed in
// Traditional Chinese, texts are converted to Traditional. An empty or
// whitespace/punctuation-only prefix returns nothing. Thread-safe.
//
// Word matching, precisely: the typed words must equal consecutive words of
// the phrasing, starting at any word of it ("do i ret" matches "how do i
// return an item"); the last typed word may be partial unless the prefix ends
// with a space or punctuation. Each CJK character counts as a word, but a
// match starting between two CJK characters is ranked as (c). `limit` above
// 10 is treated as 10; a limit <= 0 returns nothing. Cost: one pass over
// every phrasing of the snapshot (see suggester_test for the measured time).
std::vector<Suggestion> Suggest(const Snapshot& snapshot, const TextNormalizer& normalizer,
                                const SuggestQuery& query);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_SUGGESTER_H_
