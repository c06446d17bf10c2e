// zhiku-bench: closed-loop load generator for a running zhiku-server. All
// logic is in service/bench.cc; this maps flags onto BenchOptions.
#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/bench.h"
#include "service/client_channel.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "HOST:PORT of a running zhiku-server.");
ABSL_FLAG(std::string, api_key_file, "",
          "Send the API key in this file (first line) with every call; default $ZHIKU_API_KEY. A bot key is enough.");
ABSL_FLAG(std::string, rpc, "search",
          "RPC to load: search, answer, suggest or health; a comma-separated list (search,suggest) measures "
          "each in turn in the same run.");
ABSL_FLAG(int, clients, 1,
          "Concurrent closed-loop clients, each its own thread with one call in flight. 1 = single-client "
          "latency.");
ABSL_FLAG(int, channels, 0,
          "Channels (TCP connections) the clients share round-robin, 1..clients; 0 = one per client.");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "Measured time per RPC (ignored with --requests).");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "Unmeasured load before each RPC's measurement.");
ABSL_FLAG(int64_t, requests, 0,
          "If > 0: measure exactly this many calls per RPC, shared by the clients, instead of --duration.");
ABSL_FLAG(absl::Duration, baseline, absl::Seconds(1),
          "Time the health check (the baseline) is measured with the same clients; 0 = no baseline.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5), "Deadline of each call.");
ABSL_FLAG(std::string, queries, "data/sample_kb.jsonl",
          "JSONL of queries, format detected per line: eval queries {\"query\",\"expected_id\"} or a KB "
          "{\"question\",\"variants\":[...]} (question and each variant become queries). Suggest uses their "
          "first 1-4 characters. Not read for --rpc=health.");
ABSL_FLAG(uint64_t, seed, 7, "Seed of the query order.");
ABSL_FLAG(std::string, semantic_ratio, "",
          "RetrievalOptions.semantic_ratio of Search and Answer, in [0, 1]; empty = server default.");
ABSL_FLAG(std::string, fusion, "", "RetrievalOptions.fusion of Search and Answer: rrf or weighted; empty = server default.");
ABSL_FLAG(int, page_size, 0, "SearchRequest.page_size, 1..100; 0 = server default (10).");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of a table.");

namespace {

constexpr char kUsage[] =
    "Closed-loop gRPC load generator for a running zhiku-server.\n"
    "\n"
    "  zhiku-bench [--server=HOST:PORT] [--rpc=search|answer|suggest|health[,...]]\n"
    "              [--clients=N] [--channels=N] [--duration=10s | --requests=N] [--warmup=2s]\n"
    "              [--queries=FILE.jsonl] [--semantic_ratio=R] [--fusion=rrf|weighted]\n"
    "              [--page_size=N] [--seed=N] [--baseline=1s] [--timeout=5s] [--json]\n"
    "\n"
    "Each client is a thread with one call in flight (the next call starts when the previous\n"
    "returned). Prints per RPC the completed calls, errors, QPS, latency p50/p90/p99/p99.9/max/mean\n"
    "in ms over the completed calls of all clients (exact, nearest-rank), errors by gRPC status\n"
    "code, and p50 / baseline p50, the baseline being grpc.health.v1 Check measured in the same\n"
    "run with the same clients and channels.\n"
    "\n"
    "Examples:\n"
    "  zhiku-bench --queries=data/sample_kb.jsonl --rpc=search,suggest --clients=1 --requests=1000\n"
    "  zhiku-bench --queries=queries.jsonl --rpc=search --clients=4 --duration=10s\n"
    "  zhiku-bench --queries=queries.jsonl --rpc=answer --semantic_ratio=0.5 --fusion=rrf --json\n"
    "\n"
    "Exit codes: 0 all calls succeeded; 1 bad flags or query file; 2 cannot connect;\n"
    "3 some calls failed (see the errors by status code).";

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "zhiku-bench: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // --help lists the flags of this file; absl's default looks for a file
  // named like the binary (zhiku-bench), which the underscore never matches.
  absl::FlagsUsageConfig usage_config;
  usage_config.contains_help_flags = [](absl::string_view path) { return absl::EndsWith(path, "zhiku_bench.cc"); };
  usage_config.contains_helpshort_flags = usage_config.contains_help_flags;
  absl::SetFlagsUsageConfig(usage_config);
  absl::SetProgramUsageMessage(kUsage);
  const auto positionals = absl::ParseCommandLine(argc, argv);
  if (positionals.size() > 1) return Fail(1, "unexpected argument; all options are --flags (see --help)");

  zhiku::bench::BenchOptions options;
  options.server = absl::GetFlag(FLAGS_server);
  absl::StatusOr<std::string> key = zhiku::ResolveApiKey(absl::GetFlag(FLAGS_api_key_file));
  if (!key.ok()) return Fail(1, std::string(key.status().message()));
  options.api_key = *key;
  options.clients = absl::GetFlag(FLAGS_clients);
  options.channels = absl::GetFlag(FLAGS_channels);
  options.duration = absl::GetFlag(FLAGS_duration);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.requests = absl::GetFlag(FLAGS_requests);
  options.baseline = absl::GetFlag(FLAGS_baseline);
  options.timeout = absl::GetFlag(FLAGS_timeout);
  options.seed = absl::GetFlag(FLAGS_seed);
  options.page_size = absl::GetFlag(FLAGS_page_size);

  auto rpcs = zhiku::bench::ParseRpcList(absl::GetFlag(FLAGS_rpc));
  if (!rpcs.ok()) return Fail(1, absl::StrCat("--rpc: ", rpcs.status().message()));
  options.rpcs = *rpcs;
  auto fusion = zhiku::bench::ParseFusion(absl::GetFlag(FLAGS_fusion));
  if (!fusion.ok()) return Fail(1, absl::StrCat("--fusion: ", fusion.status().message()));
  options.fusion = *fusion;
  auto ratio = zhiku::bench::ParseSemanticRatio(absl::GetFlag(FLAGS_semantic_ratio));
  if (!ratio.ok()) return Fail(1, absl::StrCat("--semantic_ratio: ", ratio.status().message()));
  options.semantic_ratio = *ratio;

  bool needs_queries = false;
  for (zhiku::bench::Rpc rpc : options.rpcs) needs_queries |= rpc != zhiku::bench::Rpc::kHealth;
  if (needs_queries) {
    auto queries = zhiku::bench::ReadBenchQueries(absl::GetFlag(FLAGS_queries));
    if (!queries.ok()) return Fail(1, absl::StrCat(queries.status().message(), " (--queries=FILE.jsonl)"));
    options.queries = *std::move(queries);
  }

  absl::StatusOr<zhiku::bench::BenchReport> report = zhiku::bench::RunBench(options);
  if (!report.ok()) {
    return Fail(report.status().code() == absl::StatusCode::kUnavailable ? 2 : 1,
                std::string(report.status().message()));
  }
  const std::string text = absl::GetFlag(FLAGS_json) ? zhiku::bench::BenchReportToJson(*report) + "\n"
                                                     : zhiku::bench::BenchReportToText(*report);
  std::fputs(text.c_str(), stdout);
  return zhiku::bench::BenchExitCode(*report);
}
