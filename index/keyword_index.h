// The Xapian keyword (BM25) index: the only file pair that talks to Xapian.
// Xapian exceptions never leave keyword_index.cc.
//
// Layout: one Xapian document per phrasing (the question and each variant)
// holding its CJK unigram/bigram and word terms, plus one document per entry
// holding the answer's terms under the prefix "A". Every document carries the
// boolean term "I<entry id>" (so an entry's documents can be replaced
// together), filter terms XC<category>, XT<tag>, XL<locale>, XH<channel>, and
// value slots 0 = entry id, 1 = phrasing number (0 = question, i = variant
// i - 1, kAnswerPhrasing = the answer). A search collapses on slot 0, so each
// entry appears once, represented by its best-scoring document: the best
// matching phrasing wins and is reported. The answer document's weight is
// scaled down (a low-weight field).
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
  // BM25 parameters (Xapian::BM25Weight). Defaults are tuned for short
  // questions: length normalisation is weak (b) because a paraphrase that is
  // a few characters longer is not less relevant.
  double k1 = 1.2;
  double b = 0.5;
  double min_normlen = 0.5;
  double answer_weight = 0.25;   // scale of the answer document's score
  double unigram_weight = 1.0;   // scale of CJK single-character terms in queries
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
  // Returns the matching entries (collapsed per entry) for the OR of the
  // query's terms, filtered. An empty token list matches nothing.
  absl::StatusOr<KeywordResult> Search(const KeywordQuery& query) const;

 private:
  struct Impl;
  explicit KeywordIndex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_KEYWORD_INDEX_H_
