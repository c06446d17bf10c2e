// KnowledgeBase: one knowledge base on disk, the engine's facade.
//
// It owns the system of record (EntryStore and DraftStore, SQLite in
// `data_dir/zhiku.db`) and the derived data: the Xapian keyword index (`data_dir/index/keyword`)
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
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "index/answerer.h"
#include "index/draft_store.h"
#include "index/embedder.h"
#include "index/entry.h"
#include "index/entry_store.h"
#include "index/hybrid.h"
#include "index/filters.h"
#include "index/highlighter.h"
#include "index/keyword_index.h"
#include "index/self_training.h"
#include "index/snapshot.h"
#include "index/suggester.h"
#include "index/text_normalizer.h"

namespace zhiku {

// The vector leg: a fastText model trained on the knowledge base itself (and
// its unlabelled corpus), retrained in the background when entries change.
struct SemanticOptions {
  bool enabled = true;
  FastTextOptions fasttext;
  // KBs with more entries than this train with hierarchical softmax (softmax
  // cost grows with the number of labels, FastTextOptions::loss).
  int softmax_max_labels = 500;
  // Retrain once writes have paused this long, at most once per interval.
  absl::Duration retrain_quiet = absl::Seconds(2);
  absl::Duration min_retrain_interval = absl::Seconds(20);
  // Rebuild the vector base when this many entries changed since it was built.
  size_t compact_after_changed_entries = 2000;
  VectorIndexBuildOptions index;
  // How the vector leg scores an entry from its vectors (VectorLeg).
  VectorLegOptions leg;
  // Request defaults. With auto_semantic_ratio, requests without a ratio use
  // the one the calibration found best on held-out phrasings of this
  // knowledge base (AnswerCalibration::semantic_ratio), fusion.semantic_ratio
  // until there is one.
  FusionOptions fusion;
  bool auto_semantic_ratio = true;
  // Unlabelled corpus text (import-corpus) reaches the embedder through
  // self-training (self_training.h); false = train on the KB alone.
  bool use_corpus = true;
  SelfTrainingOptions self_training;
};

struct KnowledgeBaseOptions {
  std::string data_dir;
  std::string opencc_dir = "/usr/share/opencc";
  KeywordIndexOptions keyword;
  // The indexer waits this long after a write before applying it, so bursts
  // of writes share one Xapian commit. It also spaces commits out: a Xapian
  // reader whose revision is overtaken by two commits must retry.
  absl::Duration index_delay = absl::Milliseconds(50);
  SemanticOptions semantic;
  AnswerThresholdDefaults answer;
};

// Per-request retrieval settings; unset = SemanticOptions::fusion.
struct RetrievalSettings {
  std::optional<double> semantic_ratio;
  std::optional<FusionMethod> fusion;
  std::vector<float> query_vector;  // bring-your-own query embedding
  bool explain = false;             // report both legs per hit (Answer: fill hits)
};

// What retrieval actually ran.
struct RetrievalInfo {
  double semantic_ratio = 0;
  FusionMethod fusion = FusionMethod::kWeighted;
  bool vector_used = false;
  int64_t model_version = 0;
  std::string note;
};

struct SearchRequest {
  std::string query;  // raw text as typed
  Filters filters;
  RetrievalSettings retrieval;
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
  FusedCandidate legs;              // both legs' ranks and scores
};

struct SearchResult {
  std::vector<SearchHit> hits;
  int64_t total_estimate = 0;
  bool traditional_query = false;
  bool has_more = false;  // another page exists after offset + hits.size()
  RetrievalInfo retrieval;
};

struct AnswerRequest {
  std::string query;  // raw text as typed
  Filters filters;
  RetrievalSettings retrieval;
  AnswerThresholdRequest thresholds;
};

enum class AnswerDecision { kAnswer, kSuggest, kHandoff };
enum class HandoffReason { kNone, kEmptyQuery, kChitchat, kNoMatch, kLowConfidence };

struct AnswerCandidateResult {
  std::shared_ptr<const IndexedEntry> entry;
  double confidence = 0;
  std::string question;  // in the query's script
};

struct AnswerResult {
  AnswerDecision decision = AnswerDecision::kHandoff;
  double confidence = 0;
  std::optional<AnswerCandidateResult> top;
  std::string answer;  // top's answer in the query's script
  std::vector<AnswerCandidateResult> alternatives;  // for kSuggest
  HandoffReason handoff_reason = HandoffReason::kNone;
  RetrievalInfo retrieval;
  ResolvedThresholds thresholds;
  std::vector<SearchHit> hits;  // with explain
  bool traditional_query = false;
};

struct KnowledgeBaseStats {
  int64_t entries = 0;
  int64_t store_seq = 0;       // latest change in the store
  int64_t searchable_seq = 0;  // latest change visible to Search/Suggest
  bool rebuilt_on_open = false;
  // The vector leg: model version (0 = none yet), the seq its base was
  // built at, whether a training run is under way, and the last note.
  int64_t model_version = 0;
  int64_t model_seq = 0;
  int64_t model_corpus_texts = 0;  // pseudo-labelled corpus texts the model learned from
  double default_semantic_ratio = 0;   // what a request without a ratio gets
  bool semantic_ratio_calibrated = false;
  bool training = false;
  std::string vector_note;
  int64_t vector_base_size = 0;
  int64_t vector_delta_size = 0;
  // Answer calibration (see AnswerCalibration) and the default threshold.
  bool calibrated = false;
  double calibration_ece = -1;
  int calibration_positives = 0;
  int calibration_negatives = 0;
  double calibration_top1 = 0;
  std::string calibration_note;
  double answer_confidence = 1;
  double calibration_precision = 0;   // of the calibration set at answer_confidence
  double calibration_answer_rate = 0;
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
  // `info` (author, reason) is recorded with the version each write makes.
  absl::StatusOr<Entry> CreateEntry(Entry entry, const WriteInfo& info = {});
  absl::StatusOr<Entry> UpdateEntry(Entry entry, int64_t expected_version, const WriteInfo& info = {});
  absl::Status DeleteEntry(absl::string_view id, int64_t expected_version, const WriteInfo& info = {});
  absl::StatusOr<std::vector<UpsertOutcome>> UpsertEntries(std::vector<Entry> entries, const WriteInfo& info = {});
  absl::StatusOr<Entry> RollbackEntry(absl::string_view id, int64_t version, int64_t expected_version,
                                      const WriteInfo& info);

  // ---- History (EntryStore::ListVersions, GetVersion).
  absl::StatusOr<std::vector<EntryVersion>> ListEntryVersions(absl::string_view id, int64_t before_version,
                                                              int limit);
  absl::StatusOr<EntryVersion> GetEntryVersion(absl::string_view id, int64_t version);

  // ---- Reads from the store (always current).
  absl::StatusOr<Entry> GetEntry(absl::string_view id);
  absl::StatusOr<ListEntriesResult> ListEntries(const ListEntriesRequest& request);
  absl::Status ForEachEntry(const std::function<absl::Status(const Entry&)>& fn);

  // ---- Search (from the last published snapshot).
  // Keyword search; see SearchRequest. An empty query after normalisation
  // returns no hits (not an error). Errors: Internal/DataLoss from the index;
  // InvalidArgument for a query vector the knowledge base cannot use
  // (CheckQueryVector: it has no vectors of its own, or another dimension).
  absl::StatusOr<SearchResult> Search(const SearchRequest& request) const;
  std::vector<Suggestion> Suggest(const SuggestQuery& query) const;
  // The chatbot decision for one customer message (see answerer.h). Empty
  // queries and chit-chat hand off without retrieval. Errors as Search, and
  // InvalidArgument for a query vector the knowledge base cannot use.
  absl::StatusOr<AnswerResult> Answer(const AnswerRequest& request) const;
  // The current embedding model's vectors of raw texts (normalised here as
  // queries are): `dim` floats per text, L2-normalised, or an empty vector for
  // a text the model knows no term of. FailedPrecondition, saying why, when
  // there is no model (not trained yet, semantic search off, or an entries'-
  // own-vectors knowledge base); Internal on a model error.
  struct Embeddings {
    int dim = 0;
    int64_t model_version = 0;
    std::vector<std::vector<float>> vectors;
  };
  absl::StatusOr<Embeddings> Embed(const std::vector<std::string>& texts) const;
  // The calibration Answer currently uses (null before the first training).
  std::shared_ptr<const AnswerCalibration> Calibration() const;

  // Blocks until a vector leg built by a model trained at or after the
  // store's current seq is published (or semantic search is disabled).
  // DeadlineExceeded after `timeout`.
  absl::Status WaitUntilModelCurrent(absl::Duration timeout);
  // Asks the trainer to retrain now (after the current run, if any).
  void RequestRetrain();

  // Blocks until every change up to the store's current seq is searchable.
  // DeadlineExceeded after `timeout`.
  absl::Status WaitUntilSearchable(absl::Duration timeout);

  KnowledgeBaseStats Stats() const;
  const TextNormalizer& normalizer() const;

  // ---- Mined FAQ drafts, in the same database as the entries (zhiku.db);
  // see draft_store.h. Independent of the indexes: nothing is indexed.
  // Valid as long as the knowledge base.
  DraftStore& drafts();

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
  FusionOptions ResolveFusion(const RetrievalSettings& settings, const Snapshot& snapshot) const;
  std::unique_ptr<Impl> impl_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_KNOWLEDGE_BASE_H_
