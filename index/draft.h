// Draft: one mined FAQ candidate, the output of zhiku-ingest and the input of
// DraftService.SubmitDrafts. JSONL format (PRODUCT.md), one object per line:
//   {"draft_id","question","variants":[...],"answer","answer_alternatives":[...],
//    "frequency","message_ids":[...],"conversation_ids":[...],"covered_by":id|null,
//    "conflicting_answers":bool,"first_seen","last_seen"}
// plus two fields of our own, both optional on input: "trend" (a number, see
// below) and "covered_score" (the retrieval confidence behind covered_by).
#ifndef ZHIKU_INDEX_DRAFT_H_
#define ZHIKU_INDEX_DRAFT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

struct Draft {
  // Stable for the same cluster content: "d-" + 16 hex digits of a hash of
  // the representative question's index form.
  std::string draft_id;
  std::string question;                 // the representative question, masked
  std::vector<std::string> variants;    // up to 20 other distinct phrasings
  std::string answer;                   // the most central agent reply; "" if none
  std::vector<std::string> answer_alternatives;  // other distinct replies, up to 5
  int64_t frequency = 0;                // distinct conversations asking it
  std::vector<std::string> message_ids;       // evidence: the member messages
  std::vector<std::string> conversation_ids;  // distinct, in first-seen order
  std::optional<std::string> covered_by;      // entry id already answering it
  double covered_score = 0;                   // confidence of covered_by
  bool conflicting_answers = false;
  std::string first_seen;  // ts as written in the log; "" without timestamps
  std::string last_seen;
  // Share of the cluster's conversations in the last quarter of the log's
  // time span divided by 0.25: 1 = steady, > 1 rising, < 1 fading. 0 when
  // the log has no timestamps.
  double trend = 0;
};

// One compact JSON object, no newline.
std::string DraftToJson(const Draft& draft);

// Parses one drafts-JSONL line. "question" is required; every other field
// may be absent. InvalidArgument says which field is wrong.
absl::StatusOr<Draft> DraftFromJson(absl::string_view line);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_DRAFT_H_
