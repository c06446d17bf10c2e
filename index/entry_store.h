// The system of record for knowledge-base entries.
//
// Every change (create, update, upsert, delete) is committed durably before
// the call returns and is given a monotonic sequence number in a change log,
// so derived indexes (Xapian, FAISS) and, later, other replicas can catch up
// with ChangesSince(). The interface keeps the service independent of SQLite
// so a shared PostgreSQL store can be added without touching callers.
#ifndef ZHIKU_INDEX_ENTRY_STORE_H_
#define ZHIKU_INDEX_ENTRY_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "index/entry.h"
#include "index/filters.h"

namespace zhiku {

// One row of the change log.
struct Change {
  int64_t seq = 0;       // strictly increasing, starts at 1
  std::string entry_id;
  bool deleted = false;  // true: the entry no longer exists
};

struct ListEntriesRequest {
  Filters filters;
  std::string after_id;  // exclusive; "" = from the start. Entries are ordered by id.
  int limit = 50;        // 1..1000
};

struct ListEntriesResult {
  std::vector<Entry> entries;
  std::string next_after_id;  // "" when there are no more entries
};

// Outcome of one entry of an UpsertBatch.
struct UpsertOutcome {
  absl::Status status;  // OK, or why this entry was not stored
  Entry entry;          // the stored entry (with version/timestamps) when OK
  bool created = false; // true if the id did not exist before
};

// Outcome of one AddCorpusTexts call.
struct CorpusAddOutcome {
  int64_t stored = 0;      // texts added to the corpus
  int64_t duplicates = 0;  // texts the corpus already had (or given twice in the call)
};

// Thread-safe: all methods may be called concurrently.
class EntryStore {
 public:
  virtual ~EntryStore() = default;

  // Create, Update and UpsertBatch store CanonicalizeEntry(entry), so the
  // returned entry may differ from the argument in question/variants.
  // They also reject (InvalidArgument, naming both dimensions) an entry
  // whose vectors have another dimension than the vectors of the other
  // entries in the store: the first entry stored with vectors sets the
  // dimension, and it can change only once no other entry has vectors.
  //
  // Stores a new entry. An empty id is replaced by a generated one. Sets
  // version = 1 (or one past the last version of a deleted entry with this
  // id) and both timestamps. Returns the stored entry.
  // AlreadyExists if the id is taken; InvalidArgument if ValidateEntry fails.
  //
  // Every write that changes an entry (Create, Update, Delete, UpsertBatch,
  // Rollback) also records an immutable EntryVersion with `info` (author,
  // reason) in the same transaction. An id that was deleted and is created
  // again continues its version numbers (its history is kept).
  virtual absl::StatusOr<Entry> Create(Entry entry, const WriteInfo& info = {}) = 0;

  // NotFound if there is no entry with `id`.
  virtual absl::StatusOr<Entry> Get(absl::string_view id) = 0;

  // Replaces the entry with `entry.id` (created_at is kept, version + 1).
  // If expected_version > 0 and differs from the stored version, returns
  // Aborted (someone else changed it: re-read and retry). NotFound if absent.
  // InvalidArgument for an empty id, a negative expected_version or an entry
  // failing ValidateEntry. Version, created_at and updated_at of `entry` are
  // ignored.
  virtual absl::StatusOr<Entry> Update(Entry entry, int64_t expected_version, const WriteInfo& info = {}) = 0;

  // Deletes the entry; same expected_version rule as Update. NotFound if absent.
  // The deletion is a version too (holding the deleted content).
  virtual absl::Status Delete(absl::string_view id, int64_t expected_version, const WriteInfo& info = {}) = 0;

  // Creates or replaces each entry by id in one transaction (import). Entries
  // failing ValidateEntry get an InvalidArgument outcome and the rest are
  // still stored. A duplicate id within the batch: the later one wins and the
  // earlier one's outcome says so. Returns an error only if the transaction
  // itself failed (then nothing of the batch was stored).
  // Details: entries are canonicalised (CanonicalizeEntry) first; the
  // duplicate rule applies among valid entries (a later invalid copy does not
  // displace an earlier valid one), and the superseded outcome is
  // AlreadyExists. An empty id gets a generated one (created = true). An entry
  // whose content equals the stored one is left as is: OK with the stored
  // entry, no new version and no change-log row (re-imports are idempotent).
  virtual absl::StatusOr<std::vector<UpsertOutcome>> UpsertBatch(std::vector<Entry> entries,
                                                                  const WriteInfo& info = {}) = 0;

  // ---- History. Versions of entry `id`, newest first, at most `limit`
  // (1..1000), starting below `before_version` (0 = from the newest).
  // Deleted entries keep theirs. NotFound if the id never existed.
  virtual absl::StatusOr<std::vector<EntryVersion>> ListVersions(absl::string_view id, int64_t before_version,
                                                                 int limit) = 0;
  // One version; NotFound naming the versions that exist.
  virtual absl::StatusOr<EntryVersion> GetVersion(absl::string_view id, int64_t version) = 0;
  // Makes the content of `version` current again, as a new version
  // (kRollback), recreating the entry if it was deleted. expected_version
  // as for Update (the current version; for a deleted entry its deletion's).
  // InvalidArgument if `version` is a deletion (roll back to the one
  // before it); NotFound if there is no such version.
  virtual absl::StatusOr<Entry> Rollback(absl::string_view id, int64_t version, int64_t expected_version,
                                         const WriteInfo& info) = 0;

  // Entries ordered by id, filtered, paged. InvalidArgument if limit is
  // outside 1..1000.
  virtual absl::StatusOr<ListEntriesResult> List(const ListEntriesRequest& request) = 0;

  // Calls `fn` for every entry in id order (a consistent read). Stops and
  // returns fn's error if it returns one.
  virtual absl::Status ForEach(const std::function<absl::Status(const Entry&)>& fn) = 0;

  // Changes with seq > `after_seq`, oldest first, at most `limit`. Only the
  // latest change per entry matters to a consumer, but all are returned.
  // InvalidArgument if after_seq < 0 or limit < 1.
  virtual absl::StatusOr<std::vector<Change>> ChangesSince(int64_t after_seq, int limit) = 0;

  // The seq of the latest change, 0 if none.
  virtual absl::StatusOr<int64_t> LastSeq() = 0;

  // Number of entries.
  virtual absl::StatusOr<int64_t> Count() = 0;

  // A random identifier fixed when the store was created. An index built
  // from another store (e.g. a data dir restored from elsewhere) is detected
  // by comparing it.
  virtual std::string StoreId() const = 0;

  // ---- Corpus: unlabelled in-domain text (customer messages, already
  // masked) that the embedder trains on. Independent of entries: no
  // versions, no change log, no indexing.

  // Adds every text the corpus does not hold yet, in one transaction, with
  // `source` (where it came from, e.g. "import") and the current time.
  // Texts are compared byte for byte (by SHA-256); callers trim and mask
  // them first, the store keeps exactly what it is given. Returns how many
  // were stored and how many were duplicates. InvalidArgument, with nothing
  // stored, if a text is empty or not valid UTF-8 (the message gives its
  // index) or `source` is empty; the store's errors if the transaction
  // fails, and then nothing of the call was stored.
  virtual absl::StatusOr<CorpusAddOutcome> AddCorpusTexts(const std::vector<std::string>& masked_texts,
                                                          absl::string_view source) = 0;

  // Calls `fn` for every corpus text, oldest first, from one consistent read
  // (texts added meanwhile are not seen). The view is valid only during the
  // call. Stops and returns fn's error if it returns one. `fn` may call back
  // into the store.
  virtual absl::Status ForEachCorpusText(const std::function<absl::Status(absl::string_view)>& fn) = 0;

  // Number of texts in the corpus.
  virtual absl::StatusOr<int64_t> CorpusSize() = 0;

  // Grows whenever a text is added and never decreases (the highest row id
  // ever given out; 0 for a corpus that never had a text). A trainer records
  // it with its model and retrains when the corpus version has moved on.
  virtual absl::StatusOr<int64_t> CorpusVersion() = 0;
};

// Opens (creating if needed) the SQLite store at `path` in WAL mode with
// synchronous=FULL, so a returned write survives a crash or kill -9.
// Returns DataLoss if the file is not a Zhiku database or is corrupt,
// FailedPrecondition if it was written by a newer schema, Unavailable if it
// cannot be opened (permissions, locked).
// Generated ids look like "e-" + 16 lowercase hex digits; StoreId() is 32.
// Any sqlite3 error later maps to: corrupt -> DataLoss, busy/locked (after a
// 5 s busy timeout) -> Unavailable, disk full -> ResourceExhausted, other ->
// Internal. Reads run on a small pool of extra connections and do not wait
// for writes; ForEach reads one snapshot and `fn` may call back into the
// store. The file may be opened by several processes at once.
absl::StatusOr<std::unique_ptr<EntryStore>> OpenSqliteEntryStore(const std::string& path);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_ENTRY_STORE_H_
