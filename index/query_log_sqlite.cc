#include <algorithm>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "index/logging.h"
#include "index/pii_masker.h"
#include "index/query_log.h"
#include "index/sqlite_db.h"

namespace zhiku {

absl::string_view FeedbackKindName(FeedbackKind kind) {
  switch (kind) {
    case FeedbackKind::kHelpful:
      return "helpful";
    case FeedbackKind::kNotHelpful:
      return "not_helpful";
    case FeedbackKind::kEscalated:
      return "escalated_to_human";
    case FeedbackKind::kAnswerUsed:
      return "answer_used";
  }
  return "unknown";
}

bool IsUnanswered(const QueryRecord& record) {
  if (record.kind == QueryKind::kSearch) return record.hits == 0 && !record.norm.empty();
  if (record.decision == LoggedDecision::kSuggest) return true;
  // 3 = no match, 4 = low confidence (HandoffReason); chit-chat and empty
  // messages are not questions the knowledge base lacks.
  return record.decision == LoggedDecision::kHandoff && (record.handoff_reason == 3 || record.handoff_reason == 4);
}

std::string NewQueryId() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(std::random_device{}()) << 32));
  return absl::StrFormat("q%016x%08x", rng(), static_cast<uint32_t>(rng()));
}

double EntryUsage::NotHelpfulRate() const {
  const int64_t votes = count(FeedbackKind::kHelpful) + count(FeedbackKind::kNotHelpful);
  return votes == 0 ? 0.0 : static_cast<double>(count(FeedbackKind::kNotHelpful)) / votes;
}

namespace {

using sqlite::Connection;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
constexpr absl::Duration kPruneEvery = absl::Hours(1);

int64_t Until(const TimeRange& range) { return range.until_ms > 0 ? range.until_ms : kMaxTime; }

constexpr char kRowColumns[] =
    "id, query_id, knowledge_base, at_ms, kind, text, norm, decision, handoff_reason, confidence, top_entry_id,"
    " hits, unanswered, actor";

QueryLog::Row ReadRow(const Statement& s) {
  QueryLog::Row row;
  row.row_id = s.Int(0);
  QueryRecord& r = row.record;
  r.query_id = s.Text(1);
  r.knowledge_base = s.Text(2);
  r.at_ms = s.Int(3);
  r.kind = static_cast<QueryKind>(s.Int(4));
  r.text = s.Text(5);
  r.norm = s.Text(6);
  r.decision = static_cast<LoggedDecision>(s.Int(7));
  r.handoff_reason = static_cast<int>(s.Int(8));
  r.confidence = s.Double(9);
  r.top_entry_id = s.Text(10);
  r.hits = s.Int(11);
  r.unanswered = s.Int(12) != 0;
  r.actor = s.Text(13);
  return row;
}

class SqliteQueryLog final : public QueryLog {
 public:
  SqliteQueryLog(const std::string& path, std::unique_ptr<Connection> writer, const TextNormalizer* normalizer,
                 const QueryLogOptions& options)
      : options_(options), normalizer_(*normalizer), readers_(path), writer_(std::move(writer)) {
    thread_ = std::thread([this] { Run(); });
  }

  ~SqliteQueryLog() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    thread_.join();
    if (absl::Status flushed = Flush(); !flushed.ok()) {
      Log(LogLevel::kError, "query_log", absl::StrCat("final flush failed: ", flushed.message()));
    }
  }

  void Record(QueryRecord record) override {
    if (record.at_ms == 0) record.at_ms = sqlite::NowMs();
    absl::MutexLock lock(&mu_);
    if (static_cast<int>(pending_.size()) >= options_.max_pending) {
      ++stats_.dropped;
      return;
    }
    pending_.push_back(std::move(record));
  }

  absl::Status Flush() override {
    absl::MutexLock write_lock(&write_mu_);
    std::deque<QueryRecord> batch;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(pending_);
    }
    if (batch.empty()) return absl::OkStatus();
    absl::Status written = Write(batch);
    absl::MutexLock lock(&mu_);
    if (written.ok()) {
      stats_.written += static_cast<int64_t>(batch.size());
    } else {
      stats_.write_errors += static_cast<int64_t>(batch.size());
    }
    return written;
  }

  absl::StatusOr<QueryRecord> Get(absl::string_view query_id) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<QueryRecord> {
      ZHIKU_ASSIGN_OR_RETURN(std::optional<QueryRecord> found, Find(db, query_id));
      if (!found.has_value()) return UnknownQuery(query_id);
      return *std::move(found);
    });
  }

  absl::StatusOr<FeedbackOutcome> AddFeedback(FeedbackRecord feedback) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    absl::MutexLock write_lock(&write_mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<QueryRecord> query, Find(db, feedback.query_id));
    if (!query.has_value()) return UnknownQuery(feedback.query_id);
    FeedbackOutcome outcome;
    outcome.entry_id = feedback.entry_id.empty() ? query->top_entry_id : feedback.entry_id;
    ZHIKU_ASSIGN_OR_RETURN(
        Statement insert,
        db.Prepare("INSERT OR IGNORE INTO query_feedback(query_id, at_ms, kind, entry_id, actor, comment)"
                   " VALUES(?, ?, ?, ?, ?, ?)"));
    insert.Bind(feedback.query_id)
        .Bind(sqlite::NowMs())
        .Bind(int64_t{static_cast<int>(feedback.kind)})
        .Bind(outcome.entry_id)
        .Bind(feedback.actor)
        .Bind(masker_.Mask(feedback.comment).text);
    ZHIKU_RETURN_IF_ERROR(insert.Run());
    outcome.duplicate = db.Changes() == 0;
    if (!outcome.duplicate &&
        (feedback.kind == FeedbackKind::kNotHelpful || feedback.kind == FeedbackKind::kEscalated)) {
      ZHIKU_ASSIGN_OR_RETURN(Statement mark, db.Prepare("UPDATE query_log SET unanswered = 1 WHERE query_id = ?"));
      mark.Bind(feedback.query_id);
      ZHIKU_RETURN_IF_ERROR(mark.Run());
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return outcome;
  }

  absl::StatusOr<QueryLogSummary> Summary(const TimeRange& range) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<QueryLogSummary> {
      QueryLogSummary out;
      ZHIKU_ASSIGN_OR_RETURN(
          Statement q,
          db.Prepare("SELECT count(*), total(kind = 1), total(kind = 2), total(decision = 1), total(decision = 2),"
                     " total(decision = 3), total(unanswered), total(decision = 3 AND handoff_reason = 1),"
                     " total(decision = 3 AND handoff_reason = 2), total(decision = 3 AND handoff_reason = 3),"
                     " total(decision = 3 AND handoff_reason = 4)"
                     " FROM query_log WHERE at_ms >= ? AND at_ms < ?"));
      q.Bind(range.since_ms).Bind(Until(range));
      ZHIKU_ASSIGN_OR_RETURN(bool row, q.Step());
      if (row) {
        out.queries = q.Int(0);
        out.searches = q.Int(1);
        out.answers = q.Int(2);
        out.answered = q.Int(3);
        out.suggested = q.Int(4);
        out.handoffs = q.Int(5);
        out.unanswered = q.Int(6);
        for (int r = 1; r <= 4; ++r) out.handoffs_by_reason[r] = q.Int(6 + r);
      }
      ZHIKU_ASSIGN_OR_RETURN(
          Statement f,
          db.Prepare("SELECT kind, count(*) FROM query_feedback WHERE at_ms >= ? AND at_ms < ? GROUP BY kind"));
      f.Bind(range.since_ms).Bind(Until(range));
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool more, f.Step());
        if (!more) break;
        const int64_t kind = f.Int(0);
        if (kind >= 1 && kind <= kFeedbackKindCount) out.feedback[kind - 1] = f.Int(1);
      }
      ZHIKU_ASSIGN_OR_RETURN(Statement oldest, db.Prepare("SELECT ifnull(min(at_ms), 0) FROM query_log"));
      ZHIKU_ASSIGN_OR_RETURN(bool has, oldest.Step());
      if (has) out.oldest_ms = oldest.Int(0);
      return out;
    });
  }

  absl::StatusOr<std::vector<QueryGroup>> TopQueries(const TimeRange& range, bool unanswered_only,
                                                     int limit) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<std::vector<QueryGroup>> {
      ZHIKU_ASSIGN_OR_RETURN(
          Statement q,
          db.Prepare("SELECT norm, count(*) AS n, total(decision = 3), total(decision = 2),"
                     " total(EXISTS(SELECT 1 FROM query_feedback f WHERE f.query_id = l.query_id AND f.kind IN (2, 3))),"
                     " ifnull(avg(CASE WHEN kind = 2 THEN confidence END), 0), max(at_ms) AS last"
                     " FROM query_log l WHERE at_ms >= ?1 AND at_ms < ?2 AND norm != ''"
                     " AND (?3 = 0 OR unanswered = 1)"
                     " GROUP BY norm ORDER BY n DESC, last DESC, norm LIMIT ?4"));
      q.Bind(range.since_ms).Bind(Until(range)).Bind(int64_t{unanswered_only}).Bind(int64_t{limit});
      std::vector<QueryGroup> out;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        QueryGroup g;
        g.norm = q.Text(0);
        g.count = q.Int(1);
        g.handoffs = q.Int(2);
        g.suggests = q.Int(3);
        g.negative = q.Int(4);
        g.mean_confidence = q.Double(5);
        g.last_ms = q.Int(6);
        out.push_back(std::move(g));
      }
      for (QueryGroup& g : out) {
        ZHIKU_ASSIGN_OR_RETURN(
            Statement text,
            db.Prepare("SELECT text FROM query_log WHERE norm = ? AND at_ms >= ? AND at_ms < ?"
                       " ORDER BY at_ms DESC LIMIT 1"));
        text.Bind(g.norm).Bind(range.since_ms).Bind(Until(range));
        ZHIKU_ASSIGN_OR_RETURN(bool found, text.Step());
        if (found) g.text = text.Text(0);
        ZHIKU_ASSIGN_OR_RETURN(
            Statement top,
            db.Prepare("SELECT top_entry_id, count(*) AS c FROM query_log WHERE norm = ? AND at_ms >= ?"
                       " AND at_ms < ? AND top_entry_id != '' GROUP BY top_entry_id ORDER BY c DESC,"
                       " top_entry_id LIMIT 1"));
        top.Bind(g.norm).Bind(range.since_ms).Bind(Until(range));
        ZHIKU_ASSIGN_OR_RETURN(bool has_top, top.Step());
        if (has_top) g.top_entry_id = top.Text(0);
      }
      return out;
    });
  }

  absl::StatusOr<std::vector<EntryUsage>> Entries(const TimeRange& range, EntrySort sort, int min_feedback,
                                                  int limit) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    ZHIKU_ASSIGN_OR_RETURN(
        std::vector<EntryUsage> all,
        readers_.WithReader([&](Connection& db) -> absl::StatusOr<std::vector<EntryUsage>> {
          ZHIKU_ASSIGN_OR_RETURN(
              Statement q,
              db.Prepare("WITH h AS (SELECT top_entry_id AS e, count(*) AS hits, total(decision = 1) AS answered"
                         "   FROM query_log WHERE at_ms >= ?1 AND at_ms < ?2 AND top_entry_id != ''"
                         "   GROUP BY top_entry_id),"
                         " f AS (SELECT entry_id AS e, total(kind = 1) AS k1, total(kind = 2) AS k2,"
                         "   total(kind = 3) AS k3, total(kind = 4) AS k4 FROM query_feedback"
                         "   WHERE at_ms >= ?1 AND at_ms < ?2 AND entry_id != '' GROUP BY entry_id),"
                         " ids AS (SELECT e FROM h UNION SELECT e FROM f)"
                         " SELECT ids.e, ifnull(h.hits, 0), ifnull(h.answered, 0), ifnull(f.k1, 0),"
                         " ifnull(f.k2, 0), ifnull(f.k3, 0), ifnull(f.k4, 0)"
                         " FROM ids LEFT JOIN h ON h.e = ids.e LEFT JOIN f ON f.e = ids.e"));
          q.Bind(range.since_ms).Bind(Until(range));
          std::vector<EntryUsage> rows;
          while (true) {
            ZHIKU_ASSIGN_OR_RETURN(bool row, q.Step());
            if (!row) break;
            EntryUsage u;
            u.entry_id = q.Text(0);
            u.hits = q.Int(1);
            u.answered = q.Int(2);
            for (int k = 0; k < kFeedbackKindCount; ++k) u.feedback[k] = q.Int(3 + k);
            rows.push_back(std::move(u));
          }
          return rows;
        }));
    auto votes = [](const EntryUsage& u) {
      return u.count(FeedbackKind::kHelpful) + u.count(FeedbackKind::kNotHelpful);
    };
    if (sort == EntrySort::kNotHelpfulRate) {
      std::erase_if(all, [&](const EntryUsage& u) { return votes(u) < std::max(1, min_feedback); });
      std::sort(all.begin(), all.end(), [&](const EntryUsage& a, const EntryUsage& b) {
        if (a.NotHelpfulRate() != b.NotHelpfulRate()) return a.NotHelpfulRate() > b.NotHelpfulRate();
        if (votes(a) != votes(b)) return votes(a) > votes(b);
        return a.entry_id < b.entry_id;
      });
    } else {
      std::sort(all.begin(), all.end(), [](const EntryUsage& a, const EntryUsage& b) {
        if (a.hits != b.hits) return a.hits > b.hits;
        return a.entry_id < b.entry_id;
      });
    }
    if (static_cast<int>(all.size()) > limit) all.resize(limit);
    return all;
  }

  absl::StatusOr<std::vector<TimeBucket>> Timeline(const TimeRange& range, absl::Duration bucket) override {
    const int64_t width = absl::ToInt64Milliseconds(bucket);
    if (width <= 0) return absl::InvalidArgumentError("the timeline bucket must be positive");
    const int64_t until = range.until_ms > 0 ? range.until_ms : sqlite::NowMs();
    if (until <= range.since_ms) return std::vector<TimeBucket>();
    const int64_t first = range.since_ms / width * width;
    const int64_t count = (until - 1 - first) / width + 1;
    if (count > 1000) {
      return absl::InvalidArgumentError(absl::StrCat("the time range spans ", count, " buckets of ",
                                                     absl::FormatDuration(bucket),
                                                     "; the limit is 1,000: use a wider bucket or a shorter range"));
    }
    ZHIKU_RETURN_IF_ERROR(Flush());
    std::vector<TimeBucket> out(count);
    for (int64_t i = 0; i < count; ++i) out[i].start_ms = first + i * width;
    ZHIKU_RETURN_IF_ERROR(readers_.WithReader([&](Connection& db) -> absl::Status {
      ZHIKU_ASSIGN_OR_RETURN(
          Statement q,
          db.Prepare("SELECT (at_ms / ?3) * ?3 AS s, count(*), total(kind = 2), total(decision = 1),"
                     " total(decision = 2), total(decision = 3), total(unanswered)"
                     " FROM query_log WHERE at_ms >= ?1 AND at_ms < ?2 GROUP BY s"));
      q.Bind(range.since_ms).Bind(until).Bind(width);
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        const int64_t i = (q.Int(0) - first) / width;
        if (i < 0 || i >= count) continue;
        TimeBucket& b = out[i];
        b.queries = q.Int(1);
        b.answers = q.Int(2);
        b.answered = q.Int(3);
        b.suggested = q.Int(4);
        b.handoffs = q.Int(5);
        b.unanswered = q.Int(6);
      }
      return absl::OkStatus();
    }));
    return out;
  }

  absl::StatusOr<std::vector<Row>> List(const TimeRange& range, bool unanswered_only, int64_t after,
                                        int limit) override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    return readers_.WithReader([&](Connection& db) -> absl::StatusOr<std::vector<Row>> {
      static const std::string sql =
          absl::StrCat("SELECT ", kRowColumns,
                       " FROM query_log WHERE id > ?1 AND at_ms >= ?2 AND at_ms < ?3 AND (?4 = 0 OR unanswered = 1)"
                       " ORDER BY id LIMIT ?5");
      ZHIKU_ASSIGN_OR_RETURN(Statement q, db.Prepare(sql.c_str()));
      q.Bind(after).Bind(range.since_ms).Bind(Until(range)).Bind(int64_t{unanswered_only}).Bind(int64_t{limit});
      std::vector<Row> out;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        out.push_back(ReadRow(q));
      }
      return out;
    });
  }

  absl::StatusOr<int64_t> Prune() override {
    ZHIKU_RETURN_IF_ERROR(Flush());
    const int64_t cutoff = sqlite::NowMs() - absl::ToInt64Milliseconds(options_.retention);
    absl::MutexLock write_lock(&write_mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(
        Statement feedback,
        db.Prepare("DELETE FROM query_feedback WHERE at_ms < ?1 OR query_id IN"
                   " (SELECT query_id FROM query_log WHERE at_ms < ?1)"));
    feedback.Bind(cutoff);
    ZHIKU_RETURN_IF_ERROR(feedback.Run());
    ZHIKU_ASSIGN_OR_RETURN(Statement queries, db.Prepare("DELETE FROM query_log WHERE at_ms < ?"));
    queries.Bind(cutoff);
    ZHIKU_RETURN_IF_ERROR(queries.Run());
    const int64_t pruned = db.Changes();
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    absl::MutexLock lock(&mu_);
    stats_.pruned += pruned;
    return pruned;
  }

  QueryLogStats stats() const override {
    absl::MutexLock lock(&mu_);
    return stats_;
  }

 private:
  static absl::Status UnknownQuery(absl::string_view query_id) {
    return absl::NotFoundError(absl::StrCat("no query ", sqlite::Quoted(query_id),
                                            " in the query log; query ids come from Search and Answer responses "
                                            "and are kept for the retention period"));
  }

  static absl::StatusOr<std::optional<QueryRecord>> Find(Connection& db, absl::string_view query_id) {
    static const std::string sql = absl::StrCat("SELECT ", kRowColumns, " FROM query_log WHERE query_id = ?");
    ZHIKU_ASSIGN_OR_RETURN(Statement q, db.Prepare(sql.c_str()));
    q.Bind(query_id);
    ZHIKU_ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) return std::optional<QueryRecord>();
    return std::optional<QueryRecord>(ReadRow(q).record);
  }

  absl::Status Write(std::deque<QueryRecord>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    for (QueryRecord& r : batch) {
      r.text = masker_.Mask(r.text).text;
      r.norm = normalizer_.Normalize(r.text);
      r.unanswered = IsUnanswered(r);
      ZHIKU_ASSIGN_OR_RETURN(
          Statement s,
          db.Prepare("INSERT OR IGNORE INTO query_log(query_id, knowledge_base, at_ms, kind, text, norm, decision,"
                     " handoff_reason, confidence, top_entry_id, hits, unanswered, actor)"
                     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
      s.Bind(r.query_id)
          .Bind(r.knowledge_base)
          .Bind(r.at_ms)
          .Bind(int64_t{static_cast<int>(r.kind)})
          .Bind(r.text)
          .Bind(r.norm)
          .Bind(int64_t{static_cast<int>(r.decision)})
          .Bind(int64_t{r.handoff_reason})
          .Bind(r.confidence)
          .Bind(r.top_entry_id)
          .Bind(r.hits)
          .Bind(int64_t{r.unanswered})
          .Bind(r.actor);
      ZHIKU_RETURN_IF_ERROR(s.Run());
    }
    return txn.Commit();
  }

  void Run() {
    absl::Time next_prune = absl::Now();
    while (true) {
      bool stop = false;
      {
        absl::MutexLock lock(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return stopping_ || static_cast<int>(pending_.size()) >= options_.batch_size;
        };
        mu_.AwaitWithTimeout(absl::Condition(&ready), options_.flush_interval);
        stop = stopping_;
      }
      if (stop) return;
      if (absl::Status flushed = Flush(); !flushed.ok()) {
        Log(LogLevel::kError, "query_log", absl::StrCat("writing queries failed (they are lost): ", flushed.message()));
      }
      if (absl::Now() >= next_prune) {
        next_prune = absl::Now() + kPruneEvery;
        absl::StatusOr<int64_t> pruned = Prune();
        if (!pruned.ok()) {
          Log(LogLevel::kError, "query_log", absl::StrCat("retention cleanup failed: ", pruned.status().message()));
        } else if (*pruned > 0) {
          Log(LogLevel::kInfo, "query_log", absl::StrCat("deleted ", *pruned, " queries older than the retention of ",
                                                         absl::FormatDuration(options_.retention)));
        }
      }
    }
  }

  // Constant after construction.
  const QueryLogOptions options_;
  const TextNormalizer& normalizer_;
  const PiiMasker masker_{};
  sqlite::ReaderPool readers_;

  mutable absl::Mutex mu_;
  std::deque<QueryRecord> pending_ ABSL_GUARDED_BY(mu_);
  QueryLogStats stats_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Serialises writers (Flush, AddFeedback, Prune) on the connection.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(write_mu_);

  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<QueryLog>> OpenSqliteQueryLog(const std::string& path,
                                                             const TextNormalizer* normalizer,
                                                             const QueryLogOptions& options) {
  if (options.batch_size < 1 || options.max_pending < 1 || options.flush_interval <= absl::ZeroDuration() ||
      options.retention <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("query log options: batch_size, max_pending, flush_interval and retention "
                                      "must be positive");
  }
  ZHIKU_ASSIGN_OR_RETURN(sqlite::OpenedDatabase db, sqlite::OpenDatabase(path));
  return std::make_unique<SqliteQueryLog>(path, std::move(db.writer), normalizer, options);
}

}  // namespace zhiku
