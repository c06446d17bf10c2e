// A knowledge-base entry: one question with its alternative phrasings and the
// answer customers see. The system of record (EntryStore) owns entries; the
// indexes hold derived copies.
#ifndef ZHIKU_INDEX_ENTRY_H_
#define ZHIKU_INDEX_ENTRY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

struct Entry {
  std::string id;
  std::string question;               // canonical phrasing, shown to users
  std::vector<std::string> variants;  // alternative phrasings customers use
  std::string answer;
  std::string category;
  std::vector<std::string> tags;
  std::string locale;   // e.g. "zh-CN", "zh-TW", "en"
  std::string channel;  // e.g. "app", "web", "all"
  int64_t created_at_ms = 0;  // set by the store
  int64_t updated_at_ms = 0;  // set by the store
  int64_t version = 0;        // 1 on create, +1 on every change; set by the store
  // Bring-your-own embeddings: none, one for the whole entry, or one per
  // phrasing (question, then each variant); all of one dimension, which must
  // be the dimension of every other entry's vectors in the knowledge base.
  std::vector<std::vector<float>> vectors;

  friend bool operator==(const Entry&, const Entry&) = default;
};

// Size limits of one entry. Enforced by ValidateEntry at every boundary where
// entries come in (RPCs, JSONL import).
struct EntryLimits {
  size_t max_id_bytes = 128;
  size_t max_question_bytes = 1024;
  size_t max_variants = 200;
  size_t max_variant_bytes = 1024;
  size_t max_answer_bytes = 64 * 1024;
  size_t max_tags = 32;
  size_t max_label_bytes = 128;  // category, each tag, locale, channel
  size_t max_vector_dim = 4096;  // values per vector (Entry::vectors)
};

// Returns OK if `entry` can be stored: valid UTF-8 everywhere, a non-blank
// question, an id that is empty (the store assigns one) or made of
// printable ASCII without spaces, and every field within `limits`. Vectors,
// when given: 1 (for the whole entry) or 1 + variants.size() of them (one per
// phrasing), all of one length in 1..limits.max_vector_dim, every value
// finite, none all zeros. (That the dimension matches the knowledge base's
// is the store's check: it needs the other entries.) Otherwise
// InvalidArgument naming the field, what is wrong and the limit.
absl::Status ValidateEntry(const Entry& entry, const EntryLimits& limits = {});

// Returns `entry` in the canonical form stores keep: question and variants
// trimmed of surrounding whitespace (ASCII, U+00A0, U+200B, U+3000, U+FEFF);
// empty variants, variants equal to the question and repeats of an earlier
// variant dropped (exact comparison, first occurrence kept, order kept).
// Per-phrasing vectors (as many as question + variants) stay aligned: the
// vector of a dropped variant is dropped with it. Other fields are
// unchanged. Call it before ValidateEntry on entries that
// come in from outside; it never fails (invalid UTF-8 stays invalid).
Entry CanonicalizeEntry(Entry entry);

// Returns OK if `text` is well-formed UTF-8; otherwise InvalidArgument saying
// `what` and the byte offset of the first bad byte.
absl::Status ValidateUtf8(absl::string_view text, absl::string_view what);

// Parses one line of the KB JSONL format:
//   {"id","question","variants":[...],"answer","category","tags":[...],"locale","channel"?,
//    "vectors"?:[[0.12,-0.5,...],...]}
// Unknown keys are ignored; "variants", "tags" and "vectors" may be absent.
// "vectors" is an array of arrays of numbers (each read as a float32; a
// number outside the float32 range is an error). Returns
// InvalidArgument (with the reason) for broken JSON, wrong types or a missing
// question. Does not call ValidateEntry.
// Any key may be null (= absent). "version", "created_at" and "updated_at"
// (integers) are read when present so that an exported line parses back to
// an equal Entry; stores ignore them and set their own.
absl::StatusOr<Entry> EntryFromJsonLine(absl::string_view line);

// Serialises `entry` as one JSONL line (no trailing newline) in the same
// format, including "channel", "version", "created_at" and "updated_at"
// (milliseconds since the Unix epoch), and "vectors" when the entry has any
// (each value in the shortest decimal form that reads back as the same
// float32).
std::string EntryToJsonLine(const Entry& entry);

// Who made a change and why: recorded with every version of an entry.
struct WriteInfo {
  std::string author;  // e.g. "key 3f2a9c0b1e4d5a6f (editor console)"
  std::string reason;  // free text, may be empty
};

// What a version did to the entry.
enum class VersionAction {
  kCreate = 1,
  kUpdate = 2,
  kImport = 3,    // created or replaced by an import
  kDelete = 4,    // content is what was deleted
  kRollback = 5,  // content is an earlier version's (rolled_back_to)
  kBaseline = 6,  // the entry as it was before history was kept
};

// "create", "update", "import", "delete", "rollback", "baseline".
absl::string_view VersionActionName(VersionAction action);

// One immutable version of an entry.
struct EntryVersion {
  std::string entry_id;
  int64_t version = 0;
  VersionAction action = VersionAction::kUpdate;
  std::string author;
  std::string reason;
  int64_t at_ms = 0;
  int64_t rolled_back_to = 0;  // kRollback: the version restored
  Entry content;               // the entry after the change (kDelete: before it)
};

// One field that differs between two contents of an entry. Text fields
// (question, answer, category, locale, channel) set before/after; list
// fields (variants, tags) set added/removed; "vectors" says only that they
// changed (before/after hold the counts).
struct FieldChange {
  std::string field;
  std::string before;
  std::string after;
  std::vector<std::string> added;
  std::vector<std::string> removed;
};

// The fields that differ from `before` to `after` (nullptr = nothing
// before: every non-empty field is a change), in a fixed field order. Ids,
// versions and timestamps are not compared.
std::vector<FieldChange> DiffEntries(const Entry* before, const Entry& after);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_ENTRY_H_
