// KnowledgeBase: one knowledge base on disk, the engine's facade.
//
// It owns the system of record (EntryStore, SQLite in `data_dir/zhiku.db`)
// and the derived data: the Xapian keyword index (`data_dir/index/keyword`)
// and the in-memory Snapshot used for display and suggestions. Writes go to
// the store first (durable on return) and wake the indexer thread, which
// applies the store's change log to the index, commits, and publishes a new
// Snapshot. Readers take the current Snapshot and a Xapian reader handle and
// never wait for the indexer. On open, a missing, corrupt, foreign (other
// store id) or stale index is rebuilt or caught up from the store: deleting
// `data_dir/index` loses nothing. See docs/design.md.
#ifndef ZHIKU_INDEX_KNOWLEDGE_BASE_H_
#define ZHIKU_INDEX_KNOWLEDGE_BASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "index/entry.h"
#include "index/entry_store.h"
#include "index/filters.h"
#include "index/highlighter.h"
#include "index/keyword_index.h"
#include "index/snapshot.h"
#include "index/suggester.h"
#include "index/text_normalizer.h"

namespace zhiku {

struct KnowledgeBaseOptions {
  std::string data_dir;
  std::string opencc_dir = "/usr/share/opencc";
  KeywordIndexOptions keyword;
  // The indexer waits this long after a write before applying it, so bursts
  // of writes share one Xapian commit. It also spaces commits out: a Xapian
  // reader whose revision is overtaken by two commits must retry.
  absl::Duration index_delay = absl::Milliseconds(50);
};

struct SearchRequest {
  std::string query;  // raw text as typed
  Filters filters;
  int offset = 0;
  int limit = 10;
  HighlightOptions highlight;
  size_t answer_snippet_chars = 120;
};

enum class MatchedField { kQuestion, kVariant, kAnswer };

struct SearchHit {
  std::shared_ptr<const IndexedEntry> entry;
  double score = 0;
  MatchedField matched_field = MatchedField::kQuestion;
  int variant_index = -1;           // for kVariant
  std::string matched_text;         // original phrasing (the question for kAnswer)
  std::string highlighted_text;     // in the query's script
  std::string answer_snippet;       // in the query's script
};

struct SearchResult {
  std::vector<SearchHit> hits;
  int64_t total_estimate = 0;
  bool traditional_query = false;
  bool has_more = false;  // another page exists after offset + hits.size()
};

struct KnowledgeBaseStats {
  int64_t entries = 0;
  int64_t store_seq = 0;       // latest change in the store
  int64_t searchable_seq = 0;  // latest change visible to Search/Suggest
  bool rebuilt_on_open = false;
};

// Thread-safe: every method may be called concurrently.
class KnowledgeBase {
 public:
  // Opens or creates the knowledge base in options.data_dir (created if
  // absent), repairs derived indexes from the store, and starts the indexer.
  // Errors: InvalidArgument for an empty data_dir; the store's errors
  // (DataLoss for a corrupt zhiku.db, Unavailable if locked, ...);
  // FailedPrecondition if OpenCC data is missing.
  static absl::StatusOr<std::unique_ptr<KnowledgeBase>> Open(const KnowledgeBaseOptions& options);

  // Stops the indexer after it has applied every acknowledged write.
  ~KnowledgeBase();
  KnowledgeBase(const KnowledgeBase&) = delete;
  KnowledgeBase& operator=(const KnowledgeBase&) = delete;

  // ---- Writes: same contracts as EntryStore; each is durable on return and
  // searchable shortly after (see WaitUntilSearchable).
  absl::StatusOr<Entry> CreateEntry(Entry entry);
  absl::StatusOr<Entry> UpdateEntry(Entry entry, int64_t expected_version);
  absl::Status DeleteEntry(absl::string_view id, int64_t expected_version);
  absl::StatusOr<std::vector<UpsertOutcome>> UpsertEntries(std::vector<Entry> entries);

  // ---- Reads from the store (always current).
  absl::StatusOr<Entry> GetEntry(absl::string_view id);
  absl::StatusOr<ListEntriesResult> ListEntries(const ListEntriesRequest& request);
  absl::Status ForEachEntry(const std::function<absl::Status(const Entry&)>& fn);

  // ---- Search (from the last published snapshot).
  // Keyword search; see SearchRequest. An empty query after normalisation
  // returns no hits (not an error). Errors: Internal/DataLoss from the index.
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) const;
  std::vector<Suggestion> Suggest(const SuggestQuery& query) const;

  // Blocks until every change up to the store's current seq is searchable.
  // DeadlineExceeded after `timeout`.
  absl::Status WaitUntilSearchable(absl::Duration timeout);

  KnowledgeBaseStats Stats() const;
  const TextNormalizer& normalizer() const;

  // ---- Unlabelled in-domain text (corpus) for the embedder.
  // Same contracts as EntryStore's AddCorpusTexts, ForEachCorpusText,
  // CorpusSize and CorpusVersion: texts must be masked (PiiMasker) and
  // trimmed by the caller; durable on return; nothing is indexed.
  absl::StatusOr<CorpusAddOutcome> AddCorpus(std::vector<std::string> masked_texts, absl::string_view source);
  absl::Status ForEachCorpusText(const std::function<absl::Status(absl::string_view)>& fn);
  absl::StatusOr<int64_t> CorpusSize();
  absl::StatusOr<int64_t> CorpusVersion();

 private:
  struct Impl;
  explicit KnowledgeBase(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_KNOWLEDGE_BASE_H_
