// The system of record for mined FAQ drafts (zhiku-ingest's output) and their
// review status.
//
// Mining is re-run on new chat logs again and again; Submit merges every run
// into the drafts already stored, so a question's evidence and frequency grow
// across runs instead of the editor seeing the same question once per run,
// and a question an editor rejected stays rejected. The interface keeps the
// service independent of SQLite: a PostgreSQL store is planned.
#ifndef ZHIKU_INDEX_DRAFT_STORE_H_
#define ZHIKU_INDEX_DRAFT_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/draft.h"
#include "index/text_normalizer.h"

namespace zhiku {

// Where a draft is in review. The numbers are stored and equal those of
// zhiku.v1.DraftStatus.
enum class DraftStatus {
  kNew = 1,       // mined, not looked at yet
  kInReview = 2,  // an editor is working on it
  kApproved = 3,  // became an entry
  kRejected = 4,  // not wanted: never shown as new again
  kMerged = 5,    // folded into an existing entry
};

// A draft as the store keeps it.
struct StoredDraft {
  // The mined content, merged over every submission (see Submit).
  // draft.frequency is the number of distinct conversations in the evidence.
  Draft draft;
  DraftStatus status = DraftStatus::kNew;
  std::string reject_reason;
  int64_t created_at_ms = 0;  // milliseconds since the Unix epoch
  int64_t updated_at_ms = 0;
  int64_t runs = 0;  // submissions that created or merged into it
  // Size of the evidence held; draft.message_ids/conversation_ids may hold
  // only a sample of it (List, Reject).
  int64_t message_count = 0;
  int64_t conversation_count = 0;
};

// Caps of what is stored per draft. Submissions may carry more; the extra
// phrasings still match later submissions (see Submit), extra answers are
// dropped.
inline constexpr size_t kMaxStoredDraftVariants = 20;
inline constexpr size_t kMaxStoredAnswerAlternatives = 5;
// Evidence ids returned per list by List and Reject.
inline constexpr size_t kDraftEvidenceSample = 10;

enum class SubmitOutcomeKind {
  kCreated,     // no draft matched: stored as a new NEW draft
  kMerged,      // merged into a draft that is not rejected
  kSuppressed,  // merged into a REJECTED draft, which stays rejected
};

struct SubmitOutcome {
  std::string draft_id;  // the stored draft (the matched one's id when merged)
  SubmitOutcomeKind kind = SubmitOutcomeKind::kCreated;
  DraftStatus status = DraftStatus::kNew;  // the stored draft's, after the call
};

struct SubmitDraftsResult {
  int64_t created = 0;
  int64_t merged = 0;
  int64_t suppressed = 0;
  std::vector<SubmitOutcome> outcomes;  // one per submitted draft, in order
};

enum class DraftSortKey { kFrequency, kLastSeen, kTrend };
enum class CoverageFilter { kAny = 0, kCovered = 1, kUncovered = 2 };

// Where the previous page of a List ended: the last draft's sort key and id.
// Only the field of the request's sort key is read.
struct DraftCursor {
  int64_t frequency = 0;
  std::string last_seen;
  double trend = 0;
  std::string draft_id;
};

struct ListDraftsRequest {
  // Drafts in any of these statuses; must not be empty.
  std::vector<DraftStatus> statuses = {DraftStatus::kNew, DraftStatus::kInReview};
  CoverageFilter coverage = CoverageFilter::kAny;
  // Descending by the key, then ascending by draft_id.
  DraftSortKey sort = DraftSortKey::kFrequency;
  std::optional<DraftCursor> after;  // exclusive; nullopt = from the start
  int limit = 50;                    // 1..1000
};

struct ListDraftsResult {
  // Each with at most kDraftEvidenceSample message and conversation ids.
  std::vector<StoredDraft> drafts;
  std::optional<DraftCursor> next;  // nullopt when there are no more drafts
};

// What an editor changes in a draft before approving it; unset fields stay.
struct DraftEdit {
  std::optional<std::string> question;
  std::optional<std::vector<std::string>> variants;
  std::optional<std::string> answer;
};

// Thread-safe: all methods may be called concurrently.
class DraftStore {
 public:
  virtual ~DraftStore() = default;

  // Stores `drafts` in one transaction, merging each into the draft it
  // matches. Returns one outcome per draft, in order, and the counts.
  //
  // Matching: a submitted draft matches (a) the stored draft with its
  // draft_id, else (b) a stored draft one of whose phrasings has the same
  // index form (TextNormalizer::Normalize) as the submitted question or a
  // variant. Every phrasing ever merged into a draft counts, also those
  // beyond the kMaxStoredDraftVariants kept for display; phrasings whose
  // index form is empty never match. The submitted question is tried first,
  // then the variants in order; the first that matches picks the draft (the
  // lowest draft_id among several). Drafts stored earlier in the same call
  // take part, so a batch may merge within itself.
  //
  // A new draft: status NEW, runs 1, variants trimmed and deduplicated by
  // index form (at most kMaxStoredDraftVariants), answer_alternatives
  // deduplicated (at most kMaxStoredAnswerAlternatives), evidence
  // deduplicated. An empty draft_id becomes "d-" + the first 16 hex digits
  // of the SHA-256 of the question's index form (of the question itself if
  // that is empty).
  //
  // A merge keeps the stored draft_id, question, status and reject_reason
  // and: unions message_ids and conversation_ids (stored first, then the new
  // ones in submitted order); sets frequency to the number of distinct
  // conversation ids stored (if there are none, the largest frequency ever
  // submitted), so that counts add up across runs over new logs and
  // re-submitting the same drafts does not change them; appends to variants
  // the submitted question and variants whose index form is new (at most
  // kMaxStoredDraftVariants in all, stored ones first); keeps the answer
  // unless it is empty (then takes the submitted one) and appends other
  // distinct submitted answers (exact comparison) to answer_alternatives (at
  // most kMaxStoredAnswerAlternatives); ORs conflicting_answers; takes the
  // min of first_seen and the max of last_seen (as strings; empty =
  // unknown); takes covered_by, covered_score and trend from the submission;
  // runs + 1. The outcome is kSuppressed if the stored draft is REJECTED,
  // else kMerged.
  //
  // Errors: InvalidArgument (nothing stored) if a question is empty after
  // trimming or a text is not valid UTF-8, naming the draft's index; the
  // store's errors if the transaction fails (then nothing was stored).
  // Size limits are the caller's (service/validation.h).
  virtual absl::StatusOr<SubmitDraftsResult> Submit(std::vector<Draft> drafts) = 0;

  // The draft with all of its evidence. NotFound for an unknown id.
  virtual absl::StatusOr<StoredDraft> Get(absl::string_view draft_id) = 0;

  // Drafts filtered, sorted and paged (see ListDraftsRequest). Evidence is
  // sampled. InvalidArgument if limit is outside 1..1000 or statuses is
  // empty.
  virtual absl::StatusOr<ListDraftsResult> List(const ListDraftsRequest& request) = 0;

  // Sets REJECTED and, if `reason` is not empty, the reject reason; a
  // rejected draft may be rejected again. Returns the draft with sampled
  // evidence. NotFound for an unknown id; FailedPrecondition if it is
  // APPROVED or MERGED (it is an entry now: delete or edit that instead).
  virtual absl::StatusOr<StoredDraft> Reject(absl::string_view draft_id, absl::string_view reason) = 0;

  // Edits a NEW or IN_REVIEW draft (only the fields given) and sets it
  // IN_REVIEW. Variants are trimmed and deduplicated (at most
  // kMaxStoredDraftVariants); edited phrasings match later submissions.
  // NotFound; FailedPrecondition for a rejected, approved or merged draft;
  // InvalidArgument for an empty question or invalid UTF-8.
  virtual absl::StatusOr<StoredDraft> Edit(absl::string_view draft_id, const DraftEdit& edit) = 0;

  // Marks a NEW or IN_REVIEW draft APPROVED or MERGED into `entry_id`,
  // which becomes its covered_by for good (later submissions keep it).
  // NotFound; FailedPrecondition if it is not open (the message names the
  // entry an approved or merged draft went into).
  virtual absl::StatusOr<StoredDraft> Resolve(absl::string_view draft_id, DraftStatus status,
                                              absl::string_view entry_id) = 0;

  // Number of drafts in any status.
  virtual absl::StatusOr<int64_t> Count() = 0;
};

// Opens the draft tables of the Zhiku SQLite database at `path`, creating
// the file or the tables if needed: the same file as OpenSqliteEntryStore's,
// opened the same way (WAL, synchronous=FULL, same errors and schema
// checks); a database from before drafts existed gets empty draft tables.
// `normalizer` is borrowed and must outlive the store. Writes serialise
// with the entry store's through SQLite's file lock (5 s busy timeout,
// then Unavailable).
absl::StatusOr<std::unique_ptr<DraftStore>> OpenSqliteDraftStore(const std::string& path,
                                                                 const TextNormalizer* normalizer);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_DRAFT_STORE_H_
