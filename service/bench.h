// zhiku-bench as a library: a closed-loop gRPC load generator for a running
// zhiku-server, so that tests reach everything tools/zhiku_bench.cc does.
//
// N client threads each issue one call at a time (the next call starts when
// the previous one returned) for a fixed time or a fixed total number of
// calls, after an unmeasured warm-up. Latencies of all clients are merged and
// summarised exactly (sorted, nearest-rank percentiles). In the same run and
// with the same clients and channels, the gRPC health check (a round trip
// that does no work) is measured for a short time as the baseline, so results
// on a noisy, shared machine are read as ratios.
//
// No gRPC headers here (STYLE.md): channels and stubs live in bench.cc.
#ifndef ZHIKU_SERVICE_BENCH_H_
#define ZHIKU_SERVICE_BENCH_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zhiku::bench {

// ---------------------------------------------------------------------------
// Latency summaries

struct LatencySummary {
  int64_t count = 0;  // samples summarised; all other fields are 0 when 0
  double min_ms = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;  // p99.9
  double max_ms = 0;
  double mean_ms = 0;
};

// The nearest-rank percentile of `sorted` (ascending): the smallest sample
// such that at least `percent`% of all samples are <= it, i.e.
// sorted[ceil(percent / 100 * n) - 1], clamped to the first sample. `percent`
// in [0, 100]; 0 gives the minimum, 100 the maximum. Returns 0 for an empty
// vector.
double NearestRankPercentile(const std::vector<double>& sorted, double percent);

// Sorts `samples_ms` and summarises them exactly (no histogram buckets).
LatencySummary SummarizeLatencies(std::vector<double> samples_ms);

// ---------------------------------------------------------------------------
// Queries

// Reads bench queries from JSONL, deciding the format line by line:
//   eval queries  {"query": string, "expected_id": ...}  -> the query;
//   KB entries    {"question": string, "variants": [string...], ...}
//                 -> the question and each variant.
// Blank lines are skipped, CR before LF is ignored. Returns InvalidArgument
// "line N: ..." for a line that is not JSON or is neither format (a
// "variants" that is not a list of strings included), and InvalidArgument if
// there are no queries at all. Order follows the input.
absl::StatusOr<std::vector<std::string>> ParseBenchQueries(absl::string_view jsonl);

// ParseBenchQueries on the contents of `path`; errors name the file
// ("FILE:N: ..."). NotFound if it cannot be read.
absl::StatusOr<std::vector<std::string>> ReadBenchQueries(const std::string& path);

// Suggest prefixes: the first 1, 2, 3 and 4 code points of every query
// (fewer when a query is shorter; whitespace-only prefixes dropped), in order.
std::vector<std::string> SuggestPrefixes(const std::vector<std::string>& queries);

// ---------------------------------------------------------------------------
// Options

enum class Rpc { kSearch, kAnswer, kSuggest, kHealth };

// "search", "answer", "suggest", "health" (case-insensitive), comma-separated
// for several RPCs measured one after the other in the same run. Repeats are
// InvalidArgument, as are unknown names (naming the accepted ones).
absl::StatusOr<std::vector<Rpc>> ParseRpcList(absl::string_view text);
// "Search", "Answer", "Suggest", "Health".
std::string RpcName(Rpc rpc);

// RetrievalOptions.fusion of Search and Answer.
enum class Fusion { kServerDefault, kRrf, kWeighted };
// "" -> kServerDefault, "rrf", "weighted"; anything else is InvalidArgument.
absl::StatusOr<Fusion> ParseFusion(absl::string_view text);

// "" -> nullopt (server default); a number in [0, 1]; else InvalidArgument.
absl::StatusOr<std::optional<double>> ParseSemanticRatio(absl::string_view text);

struct BenchOptions {
  std::string server = "127.0.0.1:50051";  // HOST:PORT
  std::string api_key;                     // sent with every call; "" = none
  std::vector<Rpc> rpcs = {Rpc::kSearch};  // measured in this order
  // Concurrent closed-loop clients, each its own thread, >= 1.
  int clients = 1;
  // Channels (TCP connections) the clients share round-robin, in
  // [1, clients]; 0 = one per client.
  int channels = 0;
  // Measured time per RPC, after `warmup`; ignored when `requests` > 0.
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  // > 0: measure exactly this many calls per RPC (shared by the clients)
  // instead of running for `duration`.
  int64_t requests = 0;
  // Measured time of the health baseline (after a warm-up of at most 0.5 s);
  // zero = no baseline. Not run when Health is itself in `rpcs`: that
  // measurement is the baseline.
  absl::Duration baseline = absl::Seconds(1);
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(5);
  // How long to wait for each channel to connect before giving up.
  absl::Duration connect_timeout = absl::Seconds(5);

  // Query texts for Search and Answer; Suggest uses SuggestPrefixes of them.
  // Must not be empty unless `rpcs` is only Health.
  std::vector<std::string> queries;
  // Seed of the query order (a shuffle; each client starts at its own offset).
  uint64_t seed = 7;

  // RetrievalOptions of Search and Answer.
  std::optional<double> semantic_ratio;  // nullopt = server default
  Fusion fusion = Fusion::kServerDefault;
  // SearchRequest.page_size; 0 = server default (10).
  int page_size = 0;
};

// ---------------------------------------------------------------------------
// Results

struct ErrorCount {
  int64_t count = 0;
  std::string first_message;  // the message of the first such error
};

struct PhaseResult {
  Rpc rpc = Rpc::kHealth;
  int64_t completed = 0;  // calls that returned OK
  int64_t errors = 0;     // calls that returned another status
  // By gRPC status code name ("UNIMPLEMENTED", "DEADLINE_EXCEEDED", ...).
  std::map<std::string, ErrorCount> errors_by_code;
  // From the start of measurement until the last measured call returned.
  double elapsed_seconds = 0;
  double qps = 0;  // completed / elapsed_seconds
  // Latency of the completed (OK) calls only: failed calls (UNIMPLEMENTED
  // comes back in microseconds) would make a broken server look fast.
  LatencySummary latency;
  // Mean hits per Search, suggestions per Suggest, share of Answers with a
  // top entry (0 for Health): zero hits usually means the server holds
  // another KB than the queries come from.
  double mean_items = 0;
};

struct BenchReport {
  std::string server;
  int clients = 0;
  int channels = 0;
  bool fixed_requests = false;  // true: `requests` calls per RPC; false: `duration`
  int64_t requests = 0;
  absl::Duration duration;
  absl::Duration warmup;
  size_t queries = 0;
  size_t prefixes = 0;
  uint64_t seed = 0;
  std::optional<double> semantic_ratio;
  Fusion fusion = Fusion::kServerDefault;
  int page_size = 0;

  std::optional<PhaseResult> baseline;  // the Health measurement, if any
  std::vector<PhaseResult> results;     // one per BenchOptions::rpcs, in order
};

// latency.p50 / baseline p50; nullopt without a baseline or samples.
std::optional<double> RatioToBaseline(const BenchReport& report, const PhaseResult& result);

// Connects `channels` channels to `server` (each its own connection), runs
// the baseline, then each RPC in turn, and returns what was measured. Calls
// that fail are counted by code, not treated as a failure of the run.
// Errors: InvalidArgument for inconsistent options (clients < 1, channels
// outside [0, clients], no queries, negative durations...); Unavailable
// naming the address if a channel does not connect within
// `connect_timeout`. Blocks for the whole run. Thread-compatible.
absl::StatusOr<BenchReport> RunBench(const BenchOptions& options);

// The report as people read it: a header with the setup, one row per RPC
// (calls, errors, QPS, p50/p90/p99/p99.9/max/mean ms, p50 / baseline), then
// the errors by code with their first message.
std::string BenchReportToText(const BenchReport& report);

// The report as one JSON object (no trailing newline):
//   {"server","clients","channels","mode":"duration"|"requests","duration_s",
//    "warmup_s","requests","queries","prefixes","seed","semantic_ratio"|null,
//    "fusion","page_size","baseline":PHASE|null,"results":[PHASE...]}
// PHASE = {"rpc","completed","errors","errors_by_code":{CODE:{"count",
//   "first_message"}},"elapsed_s","qps","latency_ms":{"min","p50","p90",
//   "p99","p99_9","max","mean"},"mean_items","p50_over_baseline"|null}.
std::string BenchReportToJson(const BenchReport& report);

// Process exit code for a finished run: 0 if every measured call succeeded,
// 3 if any failed (2 and 1 are used by the tool for connection and usage
// errors).
int BenchExitCode(const BenchReport& report);

}  // namespace zhiku::bench

#endif  // ZHIKU_SERVICE_BENCH_H_
