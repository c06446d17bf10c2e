// Relevance evaluation through a running server: the eval-queries JSONL
// format ({"query","expected_id"}; expected_id null = out of scope) is run
// through Answer (every query) and Search (in-scope queries), and ranking,
// decision and calibration metrics are computed.
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
  std::string api_key;      // sent with every call; "" = none
  double timeout_seconds = 10;
  int limit = 0;            // evaluate only the first N queries; 0 = all
  // Passed to every request (unset = the server's defaults).
  std::optional<double> semantic_ratio;
  std::optional<std::string> fusion;  // "rrf" or "weighted"
  std::optional<double> answer_precision;
  std::optional<double> suggest_confidence;
  // Before measuring, wait up to this long for the server's embedding model
  // to reflect every write (GetStatus); 0 = do not wait.
  double wait_model_seconds = 0;
};

struct EvalReport {
  int queries = 0;
  int in_scope = 0;
  int out_of_scope = 0;
  int errors = 0;           // RPCs that failed
  // Ranking, over in-scope queries. top1 is Answer's top entry; mrr10 and
  // recall5 come from Search (page size 10) with the same retrieval.
  double top1 = 0;
  double search_top1 = 0;
  double mrr10 = 0;
  double recall5 = 0;
  // Decisions. handoff_recall: share of out-of-scope queries handed off
  // (null without any); answer_rate: share of in-scope queries answered;
  // answered_precision: share of those answers that were right;
  // suggest_rate / suggest_hit: in-scope queries that got SUGGEST, and the
  // share of those whose alternatives held the expected entry.
  std::optional<double> handoff_recall;
  std::optional<double> oos_answered;   // out-of-scope queries answered (wrongly)
  double answer_rate = 0;
  std::optional<double> answered_precision;
  double suggest_rate = 0;
  std::optional<double> suggest_hit;
  // Expected calibration error (10 bins) of Answer's confidence against
  // "the top entry is the expected one", over every query.
  double ece = 0;
  double latency_ms_p50 = 0;  // Answer
  double latency_ms_p99 = 0;
  double search_latency_ms_p50 = 0;
  double search_latency_ms_p99 = 0;
  // What the server reported it ran with.
  double semantic_ratio = 0;
  std::string fusion;
  int vector_used = 0;        // Answer calls that used the vector leg
  int64_t model_version = 0;
  std::string note;           // the first retrieval note seen, if any
};

// Runs every query through Answer and the in-scope ones through Search, on
// one connection, sequentially. Unavailable if the server cannot be reached;
// the server's error if waiting for the model fails.
absl::StatusOr<EvalReport> RunEval(const std::vector<EvalQuery>& queries, const EvalOptions& options);

// One JSON object with the keys top1, mrr10, recall5, handoff_recall,
// answer_rate, answered_precision, ece, latency_ms_p50, latency_ms_p99 (null
// where a metric does not apply), plus counts and the other fields.
std::string EvalReportToJson(const EvalReport& report);
// A human-readable table.
std::string EvalReportToText(const EvalReport& report);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_EVAL_H_
