// Relevance evaluation through a running server: the eval-queries JSONL
// format ({"query","expected_id"}; expected_id null = out of scope) is run
// through Search, and ranking metrics are computed over in-scope queries.
// No gRPC headers here: the channel is created inside.
#ifndef ZHIKU_SERVICE_EVAL_H_
#define ZHIKU_SERVICE_EVAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

struct EvalQuery {
  std::string query;
  std::optional<std::string> expected_id;  // nullopt: out of scope
};

// Parses eval JSONL. Blank lines are skipped; a malformed line is an
// InvalidArgument naming its line number.
absl::StatusOr<std::vector<EvalQuery>> ParseEvalQueries(absl::string_view jsonl);

struct EvalOptions {
  std::string server;       // HOST:PORT
  double timeout_seconds = 10;
  int limit = 0;            // evaluate only the first N queries; 0 = all
};

struct EvalReport {
  int queries = 0;
  int in_scope = 0;
  int out_of_scope = 0;
  int errors = 0;           // RPCs that failed
  double top1 = 0;          // share of in-scope queries whose expected id ranks first
  double mrr10 = 0;         // mean reciprocal rank, 0 beyond rank 10
  double recall5 = 0;       // share with the expected id in the top 5
  double latency_ms_p50 = 0;
  double latency_ms_p99 = 0;
  // Metrics that need Answer (not in this build) are reported as null.
};

// Runs every query through SearchService.Search (page size 10) on one
// connection, sequentially. Unavailable if the server cannot be reached.
absl::StatusOr<EvalReport> RunSearchEval(const std::vector<EvalQuery>& queries, const EvalOptions& options);

// One JSON object with the keys top1, mrr10, recall5, handoff_recall,
// answer_rate, answered_precision, ece, latency_ms_p50, latency_ms_p99 (null
// where a metric does not apply), plus counts.
std::string EvalReportToJson(const EvalReport& report);
// A human-readable table.
std::string EvalReportToText(const EvalReport& report);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_EVAL_H_
