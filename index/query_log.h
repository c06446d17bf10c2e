// The query log: every Search and Answer the server served, masked like
// ingest masks chat messages, with the feedback clients sent about it, and
// the aggregates editors read (hot questions, unanswered questions, entries
// by hits and by not-helpful rate, hand-off rate over time).
//
// Writes are batched: Record() only queues (the request thread never waits
// for the disk); a writer thread masks, normalises and commits the queue in
// one transaction every flush_interval or batch_size records, and deletes
// what is older than the retention once an hour. A full queue drops records
// (counted in stats().dropped) rather than slowing queries down.
#ifndef ZHIKU_INDEX_QUERY_LOG_H_
#define ZHIKU_INDEX_QUERY_LOG_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "index/text_normalizer.h"

namespace zhiku {

enum class QueryKind { kSearch = 1, kAnswer = 2 };

// The decision of an Answer, as stored (Search queries store kNone).
enum class LoggedDecision { kNone = 0, kAnswer = 1, kSuggest = 2, kHandoff = 3 };

// Stored numbers; do not renumber.
enum class FeedbackKind { kHelpful = 1, kNotHelpful = 2, kEscalated = 3, kAnswerUsed = 4 };
inline constexpr int kFeedbackKindCount = 4;

// "helpful", "not_helpful", "escalated_to_human", "answer_used".
absl::string_view FeedbackKindName(FeedbackKind kind);

// A served query, as the service hands it over.
struct QueryRecord {
  std::string query_id;        // "q" + 24 hex digits (NewQueryId)
  int64_t at_ms = 0;           // 0 = when Record is called
  std::string knowledge_base;  // "" = the default one
  QueryKind kind = QueryKind::kSearch;
  std::string text;            // as received; masked before it is stored
  LoggedDecision decision = LoggedDecision::kNone;
  // The HandoffReason number of an Answer (answerer.h), 0 otherwise.
  int handoff_reason = 0;
  double confidence = 0;       // Answer's confidence; Search: 0
  std::string top_entry_id;    // the first hit / Answer's top entry, "" = none
  int64_t hits = 0;            // Search: total estimate; Answer: candidates
  std::string actor;           // the API key id, "" with auth off
  // Set when stored: the masked text, its index form (the grouping key),
  // and whether it counts as unanswered (see Unanswered below).
  std::string norm;
  bool unanswered = false;
};

// Whether `record` is an unanswered question when stored: an Answer that
// handed off for lack of a match or confidence (not chit-chat or an empty
// message), an Answer that only suggested, a Search without hits. Negative
// feedback (not helpful, escalated) marks a query unanswered later.
bool IsUnanswered(const QueryRecord& record);

// A new random query id: "q" + 24 lowercase hex digits (96 bits).
std::string NewQueryId();

struct FeedbackRecord {
  std::string query_id;
  FeedbackKind kind = FeedbackKind::kHelpful;
  // The entry it is about; "" = the query's top entry.
  std::string entry_id;
  std::string comment;  // masked before it is stored
  std::string actor;
};

struct FeedbackOutcome {
  std::string entry_id;   // as stored (the query's top entry when not given)
  bool duplicate = false; // the same feedback had been recorded before; nothing changed
};

// [since_ms, until_ms); until_ms 0 = now.
struct TimeRange {
  int64_t since_ms = 0;
  int64_t until_ms = 0;
};

struct QueryGroup {
  std::string norm;          // the index form shared by the group
  std::string text;          // the latest masked phrasing
  int64_t count = 0;         // queries
  int64_t handoffs = 0;      // Answers that handed off
  int64_t suggests = 0;      // Answers that only suggested
  int64_t negative = 0;      // queries with not_helpful or escalated feedback
  double mean_confidence = 0;  // over its Answers, 0 without any
  std::string top_entry_id;  // the most frequent top entry, "" = none
  int64_t last_ms = 0;
};

struct EntryUsage {
  std::string entry_id;
  int64_t hits = 0;      // queries whose top entry it was
  int64_t answered = 0;  // Answers that answered with it
  int64_t feedback[kFeedbackKindCount] = {};  // by FeedbackKind - 1
  int64_t count(FeedbackKind kind) const { return feedback[static_cast<int>(kind) - 1]; }
  // not_helpful / (helpful + not_helpful); 0 without either.
  double NotHelpfulRate() const;
};

enum class EntrySort { kHits, kNotHelpfulRate };

struct TimeBucket {
  int64_t start_ms = 0;
  int64_t queries = 0;
  int64_t answers = 0;   // Answer calls
  int64_t answered = 0;  // ... decided ANSWER
  int64_t suggested = 0;
  int64_t handoffs = 0;
  int64_t unanswered = 0;
};

struct QueryLogSummary {
  int64_t queries = 0;
  int64_t searches = 0;
  int64_t answers = 0;
  int64_t answered = 0;
  int64_t suggested = 0;
  int64_t handoffs = 0;
  int64_t handoffs_by_reason[5] = {};  // by HandoffReason number
  int64_t unanswered = 0;
  int64_t feedback[kFeedbackKindCount] = {};
  int64_t oldest_ms = 0;  // of the whole log, 0 when empty
};

struct QueryLogOptions {
  // Queries older than this are deleted (checked at start and hourly).
  absl::Duration retention = absl::Hours(24 * 90);
  absl::Duration flush_interval = absl::Milliseconds(500);
  int batch_size = 500;
  // Records waiting beyond this are dropped and counted.
  int max_pending = 100000;
};

struct QueryLogStats {
  int64_t written = 0;
  int64_t dropped = 0;       // queue full
  int64_t write_errors = 0;  // records lost to failed commits
  int64_t pruned = 0;        // deleted by retention
};

// Thread-safe.
class QueryLog {
 public:
  virtual ~QueryLog() = default;

  // Queues `record` (never blocks on the disk).
  virtual void Record(QueryRecord record) = 0;
  // Writes everything queued so far; the store's errors.
  virtual absl::Status Flush() = 0;

  // The stored query (pending ones are flushed first); NotFound for an
  // unknown id or one deleted by retention.
  virtual absl::StatusOr<QueryRecord> Get(absl::string_view query_id) = 0;
  // Stores feedback on a logged query. NotFound for an unknown query id.
  // Recording the same (query, kind, entry) again changes nothing.
  virtual absl::StatusOr<FeedbackOutcome> AddFeedback(FeedbackRecord feedback) = 0;

  // ---- Aggregates over queries (feedback: by its own time) in `range`.
  virtual absl::StatusOr<QueryLogSummary> Summary(const TimeRange& range) = 0;
  // Groups of queries with the same index form, most frequent first (then
  // latest first); unanswered_only keeps the unanswered queries only.
  virtual absl::StatusOr<std::vector<QueryGroup>> TopQueries(const TimeRange& range, bool unanswered_only,
                                                             int limit) = 0;
  // Entries by hits, or by not-helpful rate among entries with at least
  // min_feedback helpful + not-helpful votes (then by votes).
  virtual absl::StatusOr<std::vector<EntryUsage>> Entries(const TimeRange& range, EntrySort sort, int min_feedback,
                                                          int limit) = 0;
  // Counts per bucket of `bucket` (aligned to the Unix epoch), oldest first,
  // empty buckets included. InvalidArgument for more than 1,000 buckets.
  virtual absl::StatusOr<std::vector<TimeBucket>> Timeline(const TimeRange& range, absl::Duration bucket) = 0;
  // Stored queries in `range`, oldest first, after the one with row id
  // `after` (paging: pass the last row's `row_id`).
  struct Row {
    int64_t row_id = 0;
    QueryRecord record;
  };
  virtual absl::StatusOr<std::vector<Row>> List(const TimeRange& range, bool unanswered_only, int64_t after,
                                                int limit) = 0;

  // Deletes queries (and their feedback) older than now - retention.
  // Returns how many queries went.
  virtual absl::StatusOr<int64_t> Prune() = 0;
  virtual QueryLogStats stats() const = 0;
};

// The query_log tables of the Zhiku database at `path` (created if needed),
// with its writer thread. `normalizer` must outlive the log.
absl::StatusOr<std::unique_ptr<QueryLog>> OpenSqliteQueryLog(const std::string& path,
                                                             const TextNormalizer* normalizer,
                                                             const QueryLogOptions& options);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_QUERY_LOG_H_
