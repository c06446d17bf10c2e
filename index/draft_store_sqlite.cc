// DraftStore on SQLite, in the same database file as the entries. As in the
// entry store: one writer connection behind mu_, a pool of readers; reads
// that need several statements run in one read transaction (one snapshot).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "index/draft.h"
#include "index/draft_store.h"
#include "index/entry.h"
#include "index/sha256.h"
#include "index/sqlite_db.h"
#include "index/status_macros.h"
#include "index/text_normalizer.h"

namespace zhiku {
namespace {

using sqlite::Connection;
using sqlite::DecodeStrings;
using sqlite::EncodeStrings;
using sqlite::NowMs;
using sqlite::Quoted;
using sqlite::Statement;
using sqlite::Transaction;

constexpr int kMaxListLimit = 1000;
// Evidence limit meaning "all of it".
constexpr int64_t kAllEvidence = -1;

// One row of the drafts table.
struct DraftRow {
  StoredDraft stored;
  int64_t submitted_frequency = 0;  // largest frequency ever submitted
};

constexpr char kSelectColumns[] =
    "id, question, variants, answer, answer_alternatives, covered_by, covered_score, conflicting_answers, "
    "first_seen, last_seen, trend, status, reject_reason, created_at_ms, updated_at_ms, runs, frequency, "
    "submitted_frequency, message_count, conversation_count";

absl::StatusOr<DraftStatus> StatusFromColumn(int64_t value, absl::string_view id) {
  if (value < static_cast<int64_t>(DraftStatus::kNew) || value > static_cast<int64_t>(DraftStatus::kMerged)) {
    return absl::DataLossError(absl::StrCat("draft ", Quoted(id), ": stored status ", value,
                                            " is not a draft status; restore from a backup"));
  }
  return static_cast<DraftStatus>(value);
}

// Reads a row selected with kSelectColumns (evidence is loaded separately).
absl::StatusOr<DraftRow> ReadRow(const Statement& row) {
  DraftRow out;
  StoredDraft& s = out.stored;
  Draft& d = s.draft;
  d.draft_id = row.Text(0);
  const std::string owner = absl::StrCat("draft ", Quoted(d.draft_id));
  d.question = row.Text(1);
  ZHIKU_ASSIGN_OR_RETURN(d.variants, DecodeStrings(row.TextView(2), owner, "variants"));
  d.answer = row.Text(3);
  ZHIKU_ASSIGN_OR_RETURN(d.answer_alternatives, DecodeStrings(row.TextView(4), owner, "answer_alternatives"));
  if (!row.IsNull(5)) d.covered_by = row.Text(5);
  d.covered_score = row.Double(6);
  d.conflicting_answers = row.Int(7) != 0;
  d.first_seen = row.Text(8);
  d.last_seen = row.Text(9);
  d.trend = row.Double(10);
  ZHIKU_ASSIGN_OR_RETURN(s.status, StatusFromColumn(row.Int(11), d.draft_id));
  s.reject_reason = row.Text(12);
  s.created_at_ms = row.Int(13);
  s.updated_at_ms = row.Int(14);
  s.runs = row.Int(15);
  d.frequency = row.Int(16);
  out.submitted_frequency = row.Int(17);
  s.message_count = row.Int(18);
  s.conversation_count = row.Int(19);
  return out;
}

// The first `limit` ids (kAllEvidence: all) of one evidence table, in the
// order they were first submitted. `sql` selects the id column by draft_id
// ordered by pos with a LIMIT parameter.
absl::StatusOr<std::vector<std::string>> LoadEvidence(Connection& db, const char* sql, absl::string_view id,
                                                      int64_t limit) {
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql));
  query.Bind(id).Bind(limit);
  std::vector<std::string> ids;
  while (true) {
    ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
    if (!row) return ids;
    ids.push_back(query.Text(0));
  }
}

absl::Status LoadEvidence(Connection& db, int64_t limit, StoredDraft& stored) {
  const std::string& id = stored.draft.draft_id;
  ZHIKU_ASSIGN_OR_RETURN(
      stored.draft.message_ids,
      LoadEvidence(db, "SELECT message_id FROM draft_messages WHERE draft_id = ? ORDER BY pos LIMIT ?", id, limit));
  ZHIKU_ASSIGN_OR_RETURN(
      stored.draft.conversation_ids,
      LoadEvidence(db, "SELECT conversation_id FROM draft_conversations WHERE draft_id = ? ORDER BY pos LIMIT ?", id,
                   limit));
  return absl::OkStatus();
}

absl::StatusOr<std::optional<DraftRow>> LoadRow(Connection& db, absl::string_view id) {
  static const std::string sql = absl::StrCat("SELECT ", kSelectColumns, " FROM drafts WHERE id = ?");
  ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(sql.c_str()));
  query.Bind(id);
  ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
  if (!found) return std::optional<DraftRow>();
  ZHIKU_ASSIGN_OR_RETURN(DraftRow row, ReadRow(query));
  return std::optional<DraftRow>(std::move(row));
}

constexpr char kInsertDraft[] =
    "INSERT INTO drafts(id, question, variants, answer, answer_alternatives, covered_by, covered_score, "
    "conflicting_answers, first_seen, last_seen, trend, status, reject_reason, created_at_ms, updated_at_ms, runs, "
    "frequency, submitted_frequency, message_count, conversation_count) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)";
constexpr char kUpdateDraft[] =
    "UPDATE drafts SET question = ?2, variants = ?3, answer = ?4, answer_alternatives = ?5, covered_by = ?6, "
    "covered_score = ?7, conflicting_answers = ?8, first_seen = ?9, last_seen = ?10, trend = ?11, status = ?12, "
    "reject_reason = ?13, created_at_ms = ?14, updated_at_ms = ?15, runs = ?16, frequency = ?17, "
    "submitted_frequency = ?18, message_count = ?19, conversation_count = ?20 WHERE id = ?1";

absl::Status WriteRow(Connection& db, const DraftRow& row, bool insert) {
  const StoredDraft& s = row.stored;
  const Draft& d = s.draft;
  ZHIKU_ASSIGN_OR_RETURN(Statement write, db.Prepare(insert ? kInsertDraft : kUpdateDraft));
  write.Bind(d.draft_id)
      .Bind(d.question)
      .Bind(EncodeStrings(d.variants))
      .Bind(d.answer)
      .Bind(EncodeStrings(d.answer_alternatives));
  if (d.covered_by.has_value()) {
    write.Bind(*d.covered_by);
  } else {
    write.BindNull();
  }
  write.Bind(d.covered_score)
      .Bind(int64_t{d.conflicting_answers ? 1 : 0})
      .Bind(d.first_seen)
      .Bind(d.last_seen)
      .Bind(d.trend)
      .Bind(static_cast<int64_t>(s.status))
      .Bind(s.reject_reason)
      .Bind(s.created_at_ms)
      .Bind(s.updated_at_ms)
      .Bind(s.runs)
      .Bind(d.frequency)
      .Bind(row.submitted_frequency)
      .Bind(s.message_count)
      .Bind(s.conversation_count);
  return write.Run();
}

// Adds the ids the draft does not hold yet to one evidence table, after the
// ones it holds; *count is the table's row count for the draft, kept in step.
absl::Status AddEvidence(Connection& db, const char* insert_sql, absl::string_view draft_id,
                         const std::vector<std::string>& ids, int64_t* count) {
  for (const std::string& id : ids) {
    ZHIKU_ASSIGN_OR_RETURN(Statement insert, db.Prepare(insert_sql));
    insert.Bind(draft_id).Bind(id).Bind(*count);
    ZHIKU_RETURN_IF_ERROR(insert.Run());
    *count += db.Changes();
  }
  return absl::OkStatus();
}

absl::Status NotFound(absl::string_view id) {
  return absl::NotFoundError(absl::StrCat("no draft with id ", Quoted(id)));
}

// Strings compared as the log wrote them (ISO 8601 sorts by time); an empty
// one is unknown and loses to any other.
std::string EarlierSeen(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return std::min(a, b);
}
std::string LaterSeen(const std::string& a, const std::string& b) { return std::max(a, b); }

// A submitted draft cleaned up: question and variants trimmed, empty and
// repeated variants dropped (CanonicalizeEntry's rules), evidence and
// alternatives with empty ids and texts dropped.
Draft Canonical(Draft draft) {
  Entry phrasings;
  phrasings.question = std::move(draft.question);
  phrasings.variants = std::move(draft.variants);
  phrasings = CanonicalizeEntry(std::move(phrasings));
  draft.question = std::move(phrasings.question);
  draft.variants = std::move(phrasings.variants);
  auto drop_empty = [](std::vector<std::string>& values) {
    values.erase(std::remove(values.begin(), values.end(), std::string()), values.end());
  };
  drop_empty(draft.message_ids);
  drop_empty(draft.conversation_ids);
  drop_empty(draft.answer_alternatives);
  if (draft.covered_by.has_value() && draft.covered_by->empty()) draft.covered_by.reset();
  return draft;
}

absl::Status ValidateSubmitted(const Draft& d, size_t index) {
  const std::string where = absl::StrCat("drafts[", index, "]");
  if (d.question.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".question is empty; every draft needs a question"));
  }
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(d.draft_id, absl::StrCat(where, ".draft_id")));
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(d.question, absl::StrCat(where, ".question")));
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(d.answer, absl::StrCat(where, ".answer")));
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(d.first_seen, absl::StrCat(where, ".first_seen")));
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(d.last_seen, absl::StrCat(where, ".last_seen")));
  if (d.covered_by.has_value()) {
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(*d.covered_by, absl::StrCat(where, ".covered_by")));
  }
  for (const auto& [list, name] : {std::pair{&d.variants, "variants"},
                                   std::pair{&d.answer_alternatives, "answer_alternatives"},
                                   std::pair{&d.message_ids, "message_ids"},
                                   std::pair{&d.conversation_ids, "conversation_ids"}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      ZHIKU_RETURN_IF_ERROR(ValidateUtf8((*list)[i], absl::StrCat(where, ".", name, "[", i, "]")));
    }
  }
  if (d.frequency < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".frequency is ", d.frequency, "; it must be >= 0"));
  }
  return absl::OkStatus();
}

// Records that `draft_id` holds a phrasing with index form `key`, for
// later submissions to match.
absl::Status AddPhrasingKey(Connection& db, absl::string_view key, absl::string_view draft_id) {
  ZHIKU_ASSIGN_OR_RETURN(Statement insert,
                         db.Prepare("INSERT OR IGNORE INTO draft_phrasings(phrasing_key, draft_id) VALUES(?, ?)"));
  insert.Bind(key).Bind(draft_id);
  return insert.Run();
}

// FailedPrecondition unless the draft is NEW or IN_REVIEW.
absl::Status CheckOpen(const StoredDraft& stored, absl::string_view what) {
  switch (stored.status) {
    case DraftStatus::kNew:
    case DraftStatus::kInReview:
      return absl::OkStatus();
    case DraftStatus::kRejected:
      return absl::FailedPreconditionError(absl::StrCat("draft ", Quoted(stored.draft.draft_id),
                                                        " was rejected and cannot be ", what));
    case DraftStatus::kApproved:
    case DraftStatus::kMerged:
      return absl::FailedPreconditionError(absl::StrCat(
          "draft ", Quoted(stored.draft.draft_id), " was already ",
          stored.status == DraftStatus::kApproved ? "approved" : "merged", " into entry ",
          Quoted(stored.draft.covered_by.value_or("")), "; edit that entry instead"));
  }
  return absl::OkStatus();
}

class SqliteDraftStore final : public DraftStore {
 public:
  SqliteDraftStore(const std::string& path, const TextNormalizer* normalizer, std::unique_ptr<Connection> writer)
      : readers_(path), normalizer_(*normalizer), writer_(std::move(writer)) {}

  absl::StatusOr<SubmitDraftsResult> Submit(std::vector<Draft> drafts) override {
    for (size_t i = 0; i < drafts.size(); ++i) {
      drafts[i] = Canonical(std::move(drafts[i]));
      ZHIKU_RETURN_IF_ERROR(ValidateSubmitted(drafts[i], i));
    }
    SubmitDraftsResult result;
    if (drafts.empty()) return result;
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    const int64_t now = NowMs();
    for (Draft& draft : drafts) {
      ZHIKU_ASSIGN_OR_RETURN(SubmitOutcome outcome, SubmitOne(db, std::move(draft), now));
      switch (outcome.kind) {
        case SubmitOutcomeKind::kCreated: ++result.created; break;
        case SubmitOutcomeKind::kMerged: ++result.merged; break;
        case SubmitOutcomeKind::kSuppressed: ++result.suppressed; break;
      }
      result.outcomes.push_back(std::move(outcome));
    }
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return result;
  }

  absl::StatusOr<StoredDraft> Get(absl::string_view draft_id) override {
    if (draft_id.empty()) return absl::InvalidArgumentError("draft id is empty");
    return WithSnapshot([&](Connection& db) -> absl::StatusOr<StoredDraft> {
      ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> row, LoadRow(db, draft_id));
      if (!row.has_value()) return NotFound(draft_id);
      ZHIKU_RETURN_IF_ERROR(LoadEvidence(db, kAllEvidence, row->stored));
      return std::move(row->stored);
    });
  }

  absl::StatusOr<ListDraftsResult> List(const ListDraftsRequest& request) override {
    if (request.limit < 1 || request.limit > kMaxListLimit) {
      return absl::InvalidArgumentError(
          absl::StrCat("limit is ", request.limit, "; it must be between 1 and ", kMaxListLimit));
    }
    if (request.statuses.empty()) {
      return absl::InvalidArgumentError("no statuses to list; give at least one draft status");
    }
    std::string statuses = "[";
    for (size_t i = 0; i < request.statuses.size(); ++i) {
      absl::StrAppend(&statuses, i > 0 ? "," : "", static_cast<int>(request.statuses[i]));
    }
    statuses += "]";
    return WithSnapshot([&](Connection& db) -> absl::StatusOr<ListDraftsResult> {
      ZHIKU_ASSIGN_OR_RETURN(Statement query, db.Prepare(ListSql(request.sort)));
      query.Bind(statuses).Bind(int64_t{static_cast<int>(request.coverage)});
      if (!request.after.has_value()) {
        query.BindNull().BindNull();
      } else {
        switch (request.sort) {
          case DraftSortKey::kFrequency: query.Bind(request.after->frequency); break;
          case DraftSortKey::kLastSeen: query.Bind(request.after->last_seen); break;
          case DraftSortKey::kTrend: query.Bind(request.after->trend); break;
        }
        query.Bind(request.after->draft_id);
      }
      // One row more than asked tells whether another page exists.
      query.Bind(int64_t{request.limit} + 1);
      ListDraftsResult result;
      bool more = false;
      while (true) {
        ZHIKU_ASSIGN_OR_RETURN(bool row, query.Step());
        if (!row) break;
        if (result.drafts.size() == static_cast<size_t>(request.limit)) {
          more = true;
          break;
        }
        ZHIKU_ASSIGN_OR_RETURN(DraftRow draft, ReadRow(query));
        result.drafts.push_back(std::move(draft.stored));
      }
      for (StoredDraft& stored : result.drafts) {
        ZHIKU_RETURN_IF_ERROR(LoadEvidence(db, kDraftEvidenceSample, stored));
      }
      if (more) {
        const Draft& last = result.drafts.back().draft;
        result.next = DraftCursor{last.frequency, last.last_seen, last.trend, last.draft_id};
      }
      return result;
    });
  }

  absl::StatusOr<StoredDraft> Reject(absl::string_view draft_id, absl::string_view reason) override {
    if (draft_id.empty()) return absl::InvalidArgumentError("draft id is empty");
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(reason, "reason"));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> row, LoadRow(db, draft_id));
    if (!row.has_value()) return NotFound(draft_id);
    StoredDraft& stored = row->stored;
    if (stored.status == DraftStatus::kApproved || stored.status == DraftStatus::kMerged) {
      return absl::FailedPreconditionError(absl::StrCat(
          "draft ", Quoted(draft_id), " was ", stored.status == DraftStatus::kApproved ? "approved" : "merged",
          " and is part of an entry now; edit or delete that entry instead"));
    }
    stored.status = DraftStatus::kRejected;
    if (!reason.empty()) stored.reject_reason = std::string(reason);
    stored.updated_at_ms = NowMs();
    ZHIKU_RETURN_IF_ERROR(WriteRow(db, *row, /*insert=*/false));
    ZHIKU_RETURN_IF_ERROR(LoadEvidence(db, kDraftEvidenceSample, stored));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return std::move(stored);
  }

  absl::StatusOr<StoredDraft> Edit(absl::string_view draft_id, const DraftEdit& edit) override {
    if (draft_id.empty()) return absl::InvalidArgumentError("draft id is empty");
    if (edit.question.has_value()) {
      if (absl::StripAsciiWhitespace(*edit.question).empty()) {
        return absl::InvalidArgumentError("question is empty; a draft needs a question");
      }
      ZHIKU_RETURN_IF_ERROR(ValidateUtf8(*edit.question, "question"));
    }
    if (edit.variants.has_value()) {
      for (size_t i = 0; i < edit.variants->size(); ++i) {
        ZHIKU_RETURN_IF_ERROR(ValidateUtf8((*edit.variants)[i], absl::StrCat("variants[", i, "]")));
      }
    }
    if (edit.answer.has_value()) ZHIKU_RETURN_IF_ERROR(ValidateUtf8(*edit.answer, "answer"));
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> row, LoadRow(db, draft_id));
    if (!row.has_value()) return NotFound(draft_id);
    StoredDraft& stored = row->stored;
    ZHIKU_RETURN_IF_ERROR(CheckOpen(stored, "edited"));
    Draft& d = stored.draft;
    if (edit.question.has_value()) d.question = std::string(absl::StripAsciiWhitespace(*edit.question));
    if (edit.variants.has_value()) {
      d.variants.clear();
      for (const std::string& v : *edit.variants) {
        const std::string trimmed(absl::StripAsciiWhitespace(v));
        if (trimmed.empty() || trimmed == d.question ||
            std::find(d.variants.begin(), d.variants.end(), trimmed) != d.variants.end()) {
          continue;
        }
        if (d.variants.size() < kMaxStoredDraftVariants) d.variants.push_back(trimmed);
      }
    }
    if (edit.answer.has_value()) d.answer = *edit.answer;
    // Edited phrasings match later submissions too.
    std::vector<std::string> phrasings = {d.question};
    phrasings.insert(phrasings.end(), d.variants.begin(), d.variants.end());
    for (const std::string& phrasing : phrasings) {
      const std::string key = Key(phrasing);
      if (key.empty()) continue;
      ZHIKU_RETURN_IF_ERROR(AddPhrasingKey(db, key, d.draft_id));
    }
    stored.status = DraftStatus::kInReview;
    stored.updated_at_ms = NowMs();
    ZHIKU_RETURN_IF_ERROR(WriteRow(db, *row, /*insert=*/false));
    ZHIKU_RETURN_IF_ERROR(LoadEvidence(db, kDraftEvidenceSample, stored));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return std::move(stored);
  }

  absl::StatusOr<StoredDraft> Resolve(absl::string_view draft_id, DraftStatus status,
                                      absl::string_view entry_id) override {
    if (draft_id.empty()) return absl::InvalidArgumentError("draft id is empty");
    if (status != DraftStatus::kApproved && status != DraftStatus::kMerged) {
      return absl::InvalidArgumentError("a draft is resolved as approved or merged");
    }
    if (entry_id.empty()) return absl::InvalidArgumentError("entry id is empty");
    absl::MutexLock lock(&mu_);
    Connection& db = *writer_;
    Transaction txn(db);
    ZHIKU_RETURN_IF_ERROR(txn.Begin());
    ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> row, LoadRow(db, draft_id));
    if (!row.has_value()) return NotFound(draft_id);
    StoredDraft& stored = row->stored;
    ZHIKU_RETURN_IF_ERROR(CheckOpen(stored, status == DraftStatus::kApproved ? "approved" : "merged"));
    stored.status = status;
    stored.draft.covered_by = std::string(entry_id);
    stored.draft.covered_score = 1;
    stored.updated_at_ms = NowMs();
    ZHIKU_RETURN_IF_ERROR(WriteRow(db, *row, /*insert=*/false));
    ZHIKU_RETURN_IF_ERROR(LoadEvidence(db, kDraftEvidenceSample, stored));
    ZHIKU_RETURN_IF_ERROR(txn.Commit());
    return std::move(stored);
  }

  absl::StatusOr<int64_t> Count() override {
    return readers_.WithReader([](Connection& db) { return sqlite::QueryInt(db, "SELECT count(*) FROM drafts"); });
  }

 private:
  // Descending by the sort key, ascending by id; ?3/?4 = the cursor (NULL:
  // from the start), ?1 = JSON array of statuses, ?2 = CoverageFilter.
  static const char* ListSql(DraftSortKey sort) {
    auto make = [](absl::string_view key) {
      return absl::StrCat("SELECT ", kSelectColumns,
                          " FROM drafts WHERE status IN (SELECT value FROM json_each(?1))"
                          " AND (?2 = 0 OR (?2 = 1 AND covered_by IS NOT NULL) OR (?2 = 2 AND covered_by IS NULL))"
                          " AND (?3 IS NULL OR ", key, " < ?3 OR (", key, " = ?3 AND id > ?4))"
                          " ORDER BY ", key, " DESC, id LIMIT ?5");
    };
    static const std::string by_frequency = make("frequency");
    static const std::string by_last_seen = make("last_seen");
    static const std::string by_trend = make("trend");
    switch (sort) {
      case DraftSortKey::kLastSeen: return by_last_seen.c_str();
      case DraftSortKey::kTrend: return by_trend.c_str();
      case DraftSortKey::kFrequency: break;
    }
    return by_frequency.c_str();
  }

  // The match key of a phrasing: its index form, or "" (never matches).
  std::string Key(absl::string_view text) const { return normalizer_.Normalize(text); }

  // The draft `draft` matches (see DraftStore::Submit), if any.
  absl::StatusOr<std::optional<DraftRow>> FindMatch(Connection& db, const Draft& draft)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> by_id, LoadRow(db, draft.draft_id));
    if (by_id.has_value()) return by_id;
    std::vector<absl::string_view> phrasings = {draft.question};
    phrasings.insert(phrasings.end(), draft.variants.begin(), draft.variants.end());
    for (absl::string_view phrasing : phrasings) {
      const std::string key = Key(phrasing);
      if (key.empty()) continue;
      std::string id;
      {
        ZHIKU_ASSIGN_OR_RETURN(
            Statement query,
            db.Prepare("SELECT draft_id FROM draft_phrasings WHERE phrasing_key = ? ORDER BY draft_id LIMIT 1"));
        query.Bind(key);
        ZHIKU_ASSIGN_OR_RETURN(bool found, query.Step());
        if (!found) continue;
        id = query.Text(0);
      }
      ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> row, LoadRow(db, id));
      if (!row.has_value()) {
        return absl::DataLossError(absl::StrCat("phrasing of draft ", Quoted(id),
                                                " is stored but the draft is not; restore from a backup"));
      }
      return row;
    }
    return std::optional<DraftRow>();
  }

  absl::StatusOr<SubmitOutcome> SubmitOne(Connection& db, Draft draft, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (draft.draft_id.empty()) {
      const std::string key = Key(draft.question);
      draft.draft_id = absl::StrCat("d-", Sha256Hex(key.empty() ? draft.question : key).substr(0, 16));
    }
    ZHIKU_ASSIGN_OR_RETURN(std::optional<DraftRow> match, FindMatch(db, draft));
    const bool created = !match.has_value();
    DraftRow row;
    if (created) {
      row.stored.draft.draft_id = draft.draft_id;
      row.stored.draft.question = draft.question;
      row.stored.status = DraftStatus::kNew;
      row.stored.created_at_ms = now;
    } else {
      row = *std::move(match);
    }
    StoredDraft& s = row.stored;
    Draft& d = s.draft;
    const bool was_rejected = s.status == DraftStatus::kRejected;

    // Phrasings: every submitted one is remembered for matching; the new
    // ones (by index form) are shown as variants up to the cap.
    absl::flat_hash_set<std::string> shown;
    auto shown_key = [this](absl::string_view text) {
      std::string key = Key(text);
      // A phrasing without an index form (only punctuation) is compared as is.
      return key.empty() ? absl::StrCat("\x01", text) : key;
    };
    shown.insert(shown_key(d.question));
    for (const std::string& v : d.variants) shown.insert(shown_key(v));
    std::vector<std::string> phrasings = {draft.question};
    phrasings.insert(phrasings.end(), draft.variants.begin(), draft.variants.end());
    for (const std::string& phrasing : phrasings) {
      if (shown.insert(shown_key(phrasing)).second && d.variants.size() < kMaxStoredDraftVariants) {
        d.variants.push_back(phrasing);
      }
      const std::string key = Key(phrasing);
      if (key.empty()) continue;
      ZHIKU_RETURN_IF_ERROR(AddPhrasingKey(db, key, d.draft_id));
    }

    // Answers: the first non-empty one stays the answer, distinct others
    // become alternatives.
    std::vector<std::string> answers = {draft.answer};
    answers.insert(answers.end(), draft.answer_alternatives.begin(), draft.answer_alternatives.end());
    for (std::string& answer : answers) {
      if (answer.empty() || answer == d.answer) continue;
      if (d.answer.empty()) {
        d.answer = std::move(answer);
        continue;
      }
      if (d.answer_alternatives.size() < kMaxStoredAnswerAlternatives &&
          std::find(d.answer_alternatives.begin(), d.answer_alternatives.end(), answer) ==
              d.answer_alternatives.end()) {
        d.answer_alternatives.push_back(std::move(answer));
      }
    }

    ZHIKU_RETURN_IF_ERROR(AddEvidence(db,
                                      "INSERT OR IGNORE INTO draft_messages(draft_id, message_id, pos) VALUES(?, ?, ?)",
                                      d.draft_id, draft.message_ids, &s.message_count));
    ZHIKU_RETURN_IF_ERROR(AddEvidence(
        db, "INSERT OR IGNORE INTO draft_conversations(draft_id, conversation_id, pos) VALUES(?, ?, ?)", d.draft_id,
        draft.conversation_ids, &s.conversation_count));
    row.submitted_frequency = std::max(row.submitted_frequency, draft.frequency);
    d.frequency = s.conversation_count > 0 ? s.conversation_count : row.submitted_frequency;

    d.conflicting_answers = d.conflicting_answers || draft.conflicting_answers;
    d.first_seen = created ? draft.first_seen : EarlierSeen(d.first_seen, draft.first_seen);
    d.last_seen = created ? draft.last_seen : LaterSeen(d.last_seen, draft.last_seen);
    // An approved or merged draft is covered by its entry for good.
    if (s.status != DraftStatus::kApproved && s.status != DraftStatus::kMerged) {
      d.covered_by = draft.covered_by;
      d.covered_score = draft.covered_by.has_value() ? draft.covered_score : 0;
    }
    d.trend = draft.trend;
    s.runs += 1;
    s.updated_at_ms = now;
    ZHIKU_RETURN_IF_ERROR(WriteRow(db, row, /*insert=*/created));

    SubmitOutcome outcome;
    outcome.draft_id = d.draft_id;
    outcome.status = s.status;
    outcome.kind = created        ? SubmitOutcomeKind::kCreated
                   : was_rejected ? SubmitOutcomeKind::kSuppressed
                                  : SubmitOutcomeKind::kMerged;
    return outcome;
  }

  // fn(Connection&) inside one read transaction, so that its statements
  // see one snapshot.
  template <typename Fn>
  auto WithSnapshot(Fn fn) -> decltype(fn(std::declval<Connection&>())) {
    return readers_.WithReader([&](Connection& db) -> decltype(fn(db)) {
      ZHIKU_RETURN_IF_ERROR(db.Exec("BEGIN"));
      auto result = fn(db);
      // A read transaction has nothing to keep; ending it cannot lose data.
      db.Exec("COMMIT").IgnoreError();
      return result;
    });
  }

  // Thread-safe itself.
  sqlite::ReaderPool readers_;
  // Constant after construction; borrowed.
  const TextNormalizer& normalizer_;

  // Serialises this store's writes. The writer connection is only used under it.
  absl::Mutex mu_;
  std::unique_ptr<Connection> writer_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<DraftStore>> OpenSqliteDraftStore(const std::string& path,
                                                                 const TextNormalizer* normalizer) {
  if (normalizer == nullptr) return absl::InvalidArgumentError("OpenSqliteDraftStore needs a TextNormalizer");
  ZHIKU_ASSIGN_OR_RETURN(sqlite::OpenedDatabase db, sqlite::OpenDatabase(path));
  return std::make_unique<SqliteDraftStore>(path, normalizer, std::move(db.writer));
}

}  // namespace zhiku
