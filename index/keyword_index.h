// The Xapian keyword (BM25) index: the only file pair that talks to Xapian.
// Xapian exceptions never leave keyword_index.cc.
//
// Layout: one Xapian document per phrasing (the question and each variant)
// holding its CJK unigram/bigram and word terms; per entry, one document with
// the terms of all its phrasings together under the prefix "E", and one with
// the answer's terms under the prefix "A". Every document carries the boolean
// term "I<entry id>" (so an entry's documents can be replaced together),
// filter terms XC<category>, XT<tag>, XL<locale>, XH<channel>, and value
// slots 0 = entry id, 1 = phrasing number (0 = question, i = variant i - 1,
// kAnswerPhrasing = the answer, -2 = the entry document).
//
// An entry's score is the BM25 score of its best phrasing (which is reported)
// plus entry_weight x that of its entry document plus answer_weight x that of
// its answer document (a low-weight field). The best phrasing decides most
// rankings; the entry document separates entries whose phrasings keep
// returning to the query's words from entries that mention them once, which
// plain max-over-phrasings leaves tied.
//
// Metadata keys "zhiku_seq" and "zhiku_store_id" record which change of which
// store the index reflects.
#ifndef ZHIKU_INDEX_KEYWORD_INDEX_H_
#define ZHIKU_INDEX_KEYWORD_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/entry.h"
#include "index/filters.h"
#include "index/snapshot.h"
#include "index/tokenizer.h"

namespace zhiku {

inline constexpr int kAnswerPhrasing = -1;

struct KeywordIndexOptions {
  // BM25 parameters (Xapian::BM25Weight). The defaults were chosen by
  // measuring top-1 and MRR@10 on four public eval sets (docs/quality.md):
  // b = 0.75 beat 0.5 and 0.9, k1 = 1.2 beat 0.8, and down-weighting CJK
  // unigrams (0.3, 0.5) lost on every set.
  double k1 = 1.2;
  double b = 0.75;
  double min_normlen = 0.5;
  double answer_weight = 0.25;   // scale of the answer document's score
  double entry_weight = 1.0;     // scale of the entry document's score (all phrasings together)
  // Documents fetched from Xapian per requested hit (offset + limit), within
  // [min_candidates, max_candidates], before aggregating them per entry. If
  // they hold fewer entries than offset + limit, four times as many are
  // fetched, up to max_candidates: pages beyond what max_candidates documents
  // cover come back short.
  int candidates_per_hit = 10;
  int min_candidates = 50;
  int max_candidates = 5000;
  double unigram_weight = 1.0;   // scale of CJK single-character terms in queries
  // Queries with more distinct terms than this (per field) match on the
  // elite set of that many terms (Xapian OP_ELITE_SET: those with the highest
  // possible BM25 weight, i.e. the rarest), so a long message does not walk
  // the posting lists of every common character; 0 = always all terms.
  int max_query_terms = 0;
  // Index each term of a phrasing once, whatever its frequency in it: in a
  // one-line question a repeated character (退货验货) is not more on topic.
  bool unique_phrasing_terms = true;
};

struct KeywordQuery {
  std::vector<Token> tokens;  // Tokenize(Normalize(query text))
  Filters filters;
  int offset = 0;  // in entries, not documents
  int limit = 10;
};

struct KeywordHit {
  std::string entry_id;
  double score = 0;
  int phrasing = 0;  // 0 question, i variant i - 1, kAnswerPhrasing answer
};

struct KeywordResult {
  std::vector<KeywordHit> hits;   // best first, at most `limit`
  int64_t total_estimate = 0;     // estimated number of matching entries
};

class KeywordIndex {
 public:
  // Opens the index in directory `dir`, creating it if absent. Returns
  // DataLoss if the directory holds a corrupt or foreign database (callers
  // delete and rebuild: the index is derived data), Unavailable if locked by
  // another writer.
  static absl::StatusOr<std::unique_ptr<KeywordIndex>> Open(const std::string& dir,
                                                            const KeywordIndexOptions& options = {});
  ~KeywordIndex();
  KeywordIndex(const KeywordIndex&) = delete;
  KeywordIndex& operator=(const KeywordIndex&) = delete;

  // The last committed seq and store id (0 and "" for a new index).
  int64_t committed_seq() const;
  std::string store_id() const;
  // Number of entries (answer documents) in the last commit.
  int64_t entry_count() const;

  // ---- Writer side. One thread at a time; may run concurrently with Search.
  // Replaces all documents of `entry.id` with documents for `entry`.
  absl::Status Put(const IndexedEntry& entry);
  // Removes all documents of `id` (no error if absent).
  absl::Status Remove(absl::string_view id);
  // Removes every document (before a rebuild).
  absl::Status Clear();
  // Commits pending Put/Remove/Clear durably with the given metadata; searches
  // started afterwards see them.
  absl::Status Commit(int64_t seq, absl::string_view store_id);

  // ---- Reader side. Thread-safe; never blocks on the writer.
  // Returns the matching entries (one hit per entry) for the OR of the
  // query's terms, filtered. An empty token list matches nothing.
  absl::StatusOr<KeywordResult> Search(const KeywordQuery& query) const;

 private:
  struct Impl;
  explicit KeywordIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_KEYWORD_INDEX_H_
