// Coverage: which drafts the knowledge base already answers. Each draft's
// question and first two variants are sent to the server's Answer RPC; a
// draft is covered by an entry when most of those phrasings get an ANSWER
// decision naming that entry and the phrasing shares content words with
// one of the entry's phrasings (ContentOverlap >= min_overlap; a KB's
// confidence alone is not trusted: a KB of a few entries answers anything
// confidently). A covered draft is then a suggestion to add
// its new phrasings as variants of that entry, not a new FAQ.
#ifndef ZHIKU_INGEST_COVERAGE_H_
#define ZHIKU_INGEST_COVERAGE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "index/draft.h"
#include "index/text_normalizer.h"

namespace zhiku {

struct CoverageOptions {
  std::string server;          // HOST:PORT
  std::string api_key;         // sent with every call; "" = none
  std::string knowledge_base;  // "" = the default one
  int phrasings = 3;           // question + up to two variants asked per draft
  double min_overlap = 0.4;    // content-word overlap with the entry's best phrasing
  absl::Duration deadline = absl::Seconds(10);  // per Answer call
};

struct CoverageReport {
  int64_t drafts_checked = 0;
  int64_t covered = 0;
  int64_t calls = 0;
};

// Sets covered_by / covered_score of every draft. Unavailable (saying which
// server) if the server cannot be reached; the drafts are then unchanged.
absl::StatusOr<CoverageReport> MarkCoverage(const CoverageOptions& options, const TextNormalizer& normalizer,
                                            std::vector<Draft>& drafts);

}  // namespace zhiku

#endif  // ZHIKU_INGEST_COVERAGE_H_
