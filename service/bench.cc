#include "service/bench.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <fstream>
#include <latch>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "service/client_channel.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "index/format.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku::bench {
namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Query files

absl::Status LineError(int line_number, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line_number, ": ", what));
}

// Appends the queries of one non-blank line.
absl::Status ParseQueryLine(absl::string_view line, int line_number, std::vector<std::string>& out) {
  const nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return LineError(line_number, "not valid JSON");
  if (!j.is_object()) return LineError(line_number, "expected a JSON object");
  if (auto query = j.find("query"); query != j.end()) {
    if (!query->is_string()) return LineError(line_number, "\"query\" must be a string");
    out.push_back(query->get<std::string>());
    return absl::OkStatus();
  }
  auto question = j.find("question");
  if (question == j.end()) {
    return LineError(line_number,
                     "expected an eval query {\"query\", \"expected_id\"} or a KB entry "
                     "{\"question\", \"variants\": [...]}");
  }
  if (!question->is_string()) return LineError(line_number, "\"question\" must be a string");
  out.push_back(question->get<std::string>());
  if (auto variants = j.find("variants"); variants != j.end() && !variants->is_null()) {
    if (!variants->is_array()) return LineError(line_number, "\"variants\" must be a list of strings");
    for (const nlohmann::json& v : *variants) {
      if (!v.is_string()) return LineError(line_number, "\"variants\" must be a list of strings");
      out.push_back(v.get<std::string>());
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Channels and calls

struct Connection {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::health::v1::Health::Stub> health;
  std::unique_ptr<v1::SearchService::Stub> search;
};

absl::StatusOr<std::vector<Connection>> Connect(const BenchOptions& options, int count) {
  std::vector<Connection> out;
  out.reserve(count);
  for (int i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // Without this, channels with equal arguments to the same address share
    // one subchannel (one TCP connection) through gRPC's global pool, and
    // --channels would not mean connections.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    Connection c;
    c.channel = OpenChannel(options.server, options.api_key, args);
    if (!c.channel->WaitForConnected(absl::ToChronoTime(absl::Now() + options.connect_timeout))) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to ", options.server, " within ", absl::FormatDuration(options.connect_timeout),
          "; start zhiku-server there (zhiku-server --data_dir=DIR --listen=", options.server,
          ") or pass --server=HOST:PORT"));
    }
    c.health = grpc::health::v1::Health::NewStub(c.channel);
    c.search = v1::SearchService::NewStub(c.channel);
    out.push_back(std::move(c));
  }
  return out;
}

void SetRetrieval(const BenchOptions& options, v1::RetrievalOptions* retrieval) {
  if (options.semantic_ratio) retrieval->set_semantic_ratio(*options.semantic_ratio);
  switch (options.fusion) {
    case Fusion::kServerDefault:
      break;
    case Fusion::kRrf:
      retrieval->set_fusion(v1::FUSION_METHOD_RRF);
      break;
    case Fusion::kWeighted:
      retrieval->set_fusion(v1::FUSION_METHOD_WEIGHTED);
      break;
  }
}

bool HasRetrieval(const BenchOptions& options) {
  return options.semantic_ratio.has_value() || options.fusion != Fusion::kServerDefault;
}

// One call of `rpc` with `text` (unused for Health). Sets `items` (see
// PhaseResult::mean_items).
grpc::Status CallOnce(const Connection& c, Rpc rpc, const std::string& text, const BenchOptions& options,
                      int64_t& items) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + options.timeout));
  items = 0;
  switch (rpc) {
    case Rpc::kHealth: {
      grpc::health::v1::HealthCheckRequest request;
      grpc::health::v1::HealthCheckResponse response;
      return c.health->Check(&context, request, &response);
    }
    case Rpc::kSearch: {
      v1::SearchRequest request;
      request.set_query(text);
      if (options.page_size > 0) request.set_page_size(options.page_size);
      if (HasRetrieval(options)) SetRetrieval(options, request.mutable_retrieval());
      v1::SearchResponse response;
      grpc::Status status = c.search->Search(&context, request, &response);
      items = response.hits_size();
      return status;
    }
    case Rpc::kAnswer: {
      v1::AnswerRequest request;
      request.set_query(text);
      if (HasRetrieval(options)) SetRetrieval(options, request.mutable_retrieval());
      v1::AnswerResponse response;
      grpc::Status status = c.search->Answer(&context, request, &response);
      items = response.has_top() ? 1 : 0;
      return status;
    }
    case Rpc::kSuggest: {
      v1::SuggestRequest request;
      request.set_prefix(text);
      v1::SuggestResponse response;
      grpc::Status status = c.search->Suggest(&context, request, &response);
      items = response.suggestions_size();
      return status;
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown rpc");
}

// ---------------------------------------------------------------------------
// Closed-loop phases

struct PhasePlan {
  Rpc rpc = Rpc::kHealth;
  absl::Duration warmup;
  absl::Duration duration;  // when requests == 0
  int64_t requests = 0;
};

// What one client thread saw; merged after all threads joined.
struct ClientStats {
  std::vector<double> latencies_ms;  // completed calls only
  int64_t completed = 0;
  int64_t errors = 0;
  int64_t items = 0;
  std::map<std::string, ErrorCount> errors_by_code;
  Clock::time_point last_end;
};

PhaseResult RunPhase(const std::vector<Connection>& connections, const PhasePlan& plan,
                     const std::vector<std::string>& texts, const BenchOptions& options) {
  const int clients = options.clients;
  std::vector<ClientStats> stats(clients);
  std::atomic<int64_t> next_request{0};
  std::latch ready(clients + 1);
  Clock::time_point measure_start, measure_end;  // written before `ready` opens

  auto client = [&](int index) {
    const Connection& connection = connections[index % connections.size()];
    ClientStats& mine = stats[index];
    // Each client walks the shuffled texts from its own offset, so that
    // clients do not ask the same query at the same moment.
    size_t next_text = texts.empty() ? 0 : texts.size() * index / clients;
    static const std::string kNoText;
    auto text = [&]() -> const std::string& {
      if (texts.empty()) return kNoText;
      const std::string& t = texts[next_text];
      next_text = (next_text + 1) % texts.size();
      return t;
    };
    ready.arrive_and_wait();
    int64_t items = 0;
    while (Clock::now() < measure_start) CallOnce(connection, plan.rpc, text(), options, items);
    while (true) {
      const Clock::time_point start = Clock::now();
      if (plan.requests > 0) {
        if (next_request.fetch_add(1, std::memory_order_relaxed) >= plan.requests) break;
      } else if (start >= measure_end) {
        break;
      }
      const grpc::Status status = CallOnce(connection, plan.rpc, text(), options, items);
      const Clock::time_point end = Clock::now();
      if (status.ok()) {
        ++mine.completed;
        mine.items += items;
        mine.latencies_ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
      } else {
        ++mine.errors;
        ErrorCount& e =
            mine.errors_by_code[absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()))];
        if (e.count++ == 0) e.first_message = status.error_message();
      }
    }
    mine.last_end = Clock::now();
  };

  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int i = 0; i < clients; ++i) threads.emplace_back(client, i);
  const Clock::time_point now = Clock::now();
  measure_start = now + absl::ToChronoNanoseconds(plan.warmup);
  measure_end = measure_start + absl::ToChronoNanoseconds(plan.duration);
  ready.count_down();
  for (std::thread& t : threads) t.join();

  PhaseResult result;
  result.rpc = plan.rpc;
  std::vector<double> all;
  Clock::time_point last_end = measure_start;
  int64_t items = 0;
  for (ClientStats& s : stats) {
    result.completed += s.completed;
    result.errors += s.errors;
    items += s.items;
    for (auto& [code, e] : s.errors_by_code) {
      ErrorCount& merged = result.errors_by_code[code];
      if (merged.count == 0) merged.first_message = e.first_message;
      merged.count += e.count;
    }
    all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    last_end = std::max(last_end, s.last_end);
  }
  result.elapsed_seconds = std::chrono::duration<double>(last_end - measure_start).count();
  if (result.elapsed_seconds > 0) result.qps = result.completed / result.elapsed_seconds;
  if (result.completed > 0) result.mean_items = static_cast<double>(items) / result.completed;
  result.latency = SummarizeLatencies(std::move(all));
  return result;
}

absl::Status ValidateOptions(const BenchOptions& o) {
  if (o.server.empty()) return absl::InvalidArgumentError("--server is empty; give HOST:PORT");
  if (o.rpcs.empty()) return absl::InvalidArgumentError("no RPC to measure; give --rpc=search|answer|suggest|health");
  if (o.clients < 1 || o.clients > 1024) {
    return absl::InvalidArgumentError(absl::StrCat("--clients is ", o.clients, "; it must be in 1..1024"));
  }
  if (o.channels < 0 || o.channels > o.clients) {
    return absl::InvalidArgumentError(absl::StrCat("--channels is ", o.channels, "; it must be in 0..", o.clients,
                                                   " (the number of clients; 0 = one per client)"));
  }
  if (o.requests < 0) return absl::InvalidArgumentError("--requests must not be negative");
  if (o.requests == 0 && o.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be positive (or give --requests=N)");
  }
  if (o.warmup < absl::ZeroDuration()) return absl::InvalidArgumentError("--warmup must not be negative");
  if (o.baseline < absl::ZeroDuration()) return absl::InvalidArgumentError("--baseline must not be negative");
  if (o.timeout <= absl::ZeroDuration()) return absl::InvalidArgumentError("--timeout must be positive");
  if (o.page_size < 0 || o.page_size > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("--page_size is ", o.page_size, "; it must be in 1..100 (0 = server default)"));
  }
  if (o.semantic_ratio && !(*o.semantic_ratio >= 0 && *o.semantic_ratio <= 1)) {
    return absl::InvalidArgumentError("--semantic_ratio must be in [0, 1]");
  }
  const bool needs_queries = std::any_of(o.rpcs.begin(), o.rpcs.end(), [](Rpc r) { return r != Rpc::kHealth; });
  if (needs_queries && o.queries.empty()) {
    return absl::InvalidArgumentError("no queries; give --queries=FILE.jsonl (eval queries or a KB)");
  }
  return absl::OkStatus();
}

std::string FusionName(Fusion f) {
  switch (f) {
    case Fusion::kServerDefault:
      return "server default";
    case Fusion::kRrf:
      return "rrf";
    case Fusion::kWeighted:
      return "weighted";
  }
  return "?";
}

std::string Seconds(absl::Duration d) { return absl::StrFormat("%gs", absl::ToDoubleSeconds(d)); }

nlohmann::json PhaseToJson(const BenchReport& report, const PhaseResult& r) {
  nlohmann::json j;
  j["rpc"] = absl::AsciiStrToLower(RpcName(r.rpc));
  j["completed"] = r.completed;
  j["errors"] = r.errors;
  nlohmann::json codes = nlohmann::json::object();
  for (const auto& [code, e] : r.errors_by_code) {
    codes[code] = {{"count", e.count}, {"first_message", e.first_message}};
  }
  j["errors_by_code"] = codes;
  j["elapsed_s"] = r.elapsed_seconds;
  j["qps"] = r.qps;
  const LatencySummary& l = r.latency;
  j["latency_ms"] = {{"min", l.min_ms}, {"p50", l.p50_ms},   {"p90", l.p90_ms},  {"p99", l.p99_ms},
                     {"p99_9", l.p999_ms}, {"max", l.max_ms}, {"mean", l.mean_ms}};
  j["mean_items"] = r.mean_items;
  const std::optional<double> ratio = RatioToBaseline(report, r);
  j["p50_over_baseline"] = ratio ? nlohmann::json(*ratio) : nlohmann::json(nullptr);
  return j;
}

}  // namespace

// ---------------------------------------------------------------------------
// Latency summaries

double NearestRankPercentile(const std::vector<double>& sorted, double percent) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  // The small tolerance keeps 99.9% of 1,000 at rank 999 although
  // 0.999 * 1000 is not exactly 999 in binary floating point.
  const double rank = std::ceil(percent / 100.0 * n - 1e-9);
  const size_t index = rank < 1 ? 0 : std::min(sorted.size(), static_cast<size_t>(rank)) - 1;
  return sorted[index];
}

LatencySummary SummarizeLatencies(std::vector<double> samples_ms) {
  LatencySummary out;
  if (samples_ms.empty()) return out;
  std::sort(samples_ms.begin(), samples_ms.end());
  out.count = static_cast<int64_t>(samples_ms.size());
  out.min_ms = samples_ms.front();
  out.p50_ms = NearestRankPercentile(samples_ms, 50);
  out.p90_ms = NearestRankPercentile(samples_ms, 90);
  out.p99_ms = NearestRankPercentile(samples_ms, 99);
  out.p999_ms = NearestRankPercentile(samples_ms, 99.9);
  out.max_ms = samples_ms.back();
  double sum = 0;
  for (double v : samples_ms) sum += v;
  out.mean_ms = sum / samples_ms.size();
  return out;
}

// ---------------------------------------------------------------------------
// Queries

absl::StatusOr<std::vector<std::string>> ParseBenchQueries(absl::string_view jsonl) {
  std::vector<std::string> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    ++line_number;
    absl::ConsumeSuffix(&line, "\r");
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    if (absl::Status s = ParseQueryLine(line, line_number, out); !s.ok()) return s;
  }
  if (out.empty()) {
    return absl::InvalidArgumentError("no queries: expected eval queries {\"query\"} or KB entries {\"question\"}");
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ReadBenchQueries(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  absl::StatusOr<std::vector<std::string>> queries = ParseBenchQueries(contents.str());
  if (!queries.ok()) {
    absl::string_view message = queries.status().message();
    // "line N: ..." -> "FILE:N: ..." like a compiler; other messages get "FILE: ".
    if (absl::ConsumePrefix(&message, "line ")) return absl::InvalidArgumentError(absl::StrCat(path, ":", message));
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
  }
  return queries;
}

std::vector<std::string> SuggestPrefixes(const std::vector<std::string>& queries) {
  std::vector<std::string> out;
  for (const std::string& q : queries) {
    size_t end = 0;
    for (int k = 1; k <= 4 && end < q.size(); ++k) {
      ++end;
      while (end < q.size() && (static_cast<unsigned char>(q[end]) & 0xC0) == 0x80) ++end;
      std::string prefix = q.substr(0, end);
      if (!absl::StripAsciiWhitespace(prefix).empty()) out.push_back(std::move(prefix));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Options

absl::StatusOr<std::vector<Rpc>> ParseRpcList(absl::string_view text) {
  std::vector<Rpc> out;
  for (absl::string_view name : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(name));
    Rpc rpc;
    if (lower == "search") {
      rpc = Rpc::kSearch;
    } else if (lower == "answer") {
      rpc = Rpc::kAnswer;
    } else if (lower == "suggest") {
      rpc = Rpc::kSuggest;
    } else if (lower == "health") {
      rpc = Rpc::kHealth;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown RPC \"", name, "\"; use search, answer, suggest or health (comma-separated)"));
    }
    if (std::find(out.begin(), out.end(), rpc) != out.end()) {
      return absl::InvalidArgumentError(absl::StrCat("RPC \"", name, "\" is listed twice"));
    }
    out.push_back(rpc);
  }
  if (out.empty()) return absl::InvalidArgumentError("no RPC given; use search, answer, suggest or health");
  return out;
}

std::string RpcName(Rpc rpc) {
  switch (rpc) {
    case Rpc::kSearch:
      return "Search";
    case Rpc::kAnswer:
      return "Answer";
    case Rpc::kSuggest:
      return "Suggest";
    case Rpc::kHealth:
      return "Health";
  }
  return "?";
}

absl::StatusOr<Fusion> ParseFusion(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower.empty()) return Fusion::kServerDefault;
  if (lower == "rrf") return Fusion::kRrf;
  if (lower == "weighted") return Fusion::kWeighted;
  return absl::InvalidArgumentError(absl::StrCat("unknown fusion \"", text, "\"; use rrf or weighted"));
}

absl::StatusOr<std::optional<double>> ParseSemanticRatio(absl::string_view text) {
  const absl::string_view stripped = absl::StripAsciiWhitespace(text);
  if (stripped.empty()) return std::optional<double>();
  double ratio = 0;
  if (!absl::SimpleAtod(stripped, &ratio) || !(ratio >= 0 && ratio <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("semantic ratio \"", text, "\" is not a number in [0, 1] (0 = keyword only, 1 = vector only)"));
  }
  return std::optional<double>(ratio);
}

// ---------------------------------------------------------------------------
// Running

std::optional<double> RatioToBaseline(const BenchReport& report, const PhaseResult& result) {
  if (!report.baseline || report.baseline->latency.count == 0 || result.latency.count == 0 ||
      report.baseline->latency.p50_ms <= 0) {
    return std::nullopt;
  }
  return result.latency.p50_ms / report.baseline->latency.p50_ms;
}

absl::StatusOr<BenchReport> RunBench(const BenchOptions& options) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const int channel_count = options.channels == 0 ? options.clients : options.channels;

  std::vector<std::string> queries = options.queries;
  std::vector<std::string> prefixes = SuggestPrefixes(queries);
  std::mt19937_64 rng(options.seed);
  std::shuffle(queries.begin(), queries.end(), rng);
  std::shuffle(prefixes.begin(), prefixes.end(), rng);

  absl::StatusOr<std::vector<Connection>> connections = Connect(options, channel_count);
  if (!connections.ok()) return connections.status();

  BenchReport report;
  report.server = options.server;
  report.clients = options.clients;
  report.channels = channel_count;
  report.fixed_requests = options.requests > 0;
  report.requests = options.requests;
  report.duration = options.duration;
  report.warmup = options.warmup;
  report.queries = queries.size();
  report.prefixes = prefixes.size();
  report.seed = options.seed;
  report.semantic_ratio = options.semantic_ratio;
  report.fusion = options.fusion;
  report.page_size = options.page_size;

  const bool health_measured =
      std::find(options.rpcs.begin(), options.rpcs.end(), Rpc::kHealth) != options.rpcs.end();
  if (!health_measured && options.baseline > absl::ZeroDuration()) {
    PhasePlan plan;
    plan.rpc = Rpc::kHealth;
    plan.warmup = std::min(options.warmup, absl::Milliseconds(500));
    plan.duration = options.baseline;
    report.baseline = RunPhase(*connections, plan, {}, options);
  }
  for (Rpc rpc : options.rpcs) {
    PhasePlan plan;
    plan.rpc = rpc;
    plan.warmup = options.warmup;
    plan.duration = options.duration;
    plan.requests = options.requests;
    const std::vector<std::string>& texts = rpc == Rpc::kSuggest ? prefixes : queries;
    report.results.push_back(RunPhase(*connections, plan, rpc == Rpc::kHealth ? std::vector<std::string>() : texts,
                                      options));
    if (rpc == Rpc::kHealth) report.baseline = report.results.back();
  }
  return report;
}

// ---------------------------------------------------------------------------
// Reports

std::string BenchReportToText(const BenchReport& r) {
  std::string out = absl::StrFormat(
      "zhiku-bench -> %s: %d client%s on %d channel%s, closed loop, ", r.server, r.clients, r.clients == 1 ? "" : "s",
      r.channels, r.channels == 1 ? "" : "s");
  if (r.fixed_requests) {
    absl::StrAppend(&out, WithThousands(r.requests), " calls per RPC");
  } else {
    absl::StrAppend(&out, Seconds(r.duration), " per RPC");
  }
  absl::StrAppend(&out, " after ", Seconds(r.warmup), " warm-up\n");
  absl::StrAppend(&out, "queries: ", WithThousands(static_cast<int64_t>(r.queries)), " (Suggest: ",
                  WithThousands(static_cast<int64_t>(r.prefixes)), " prefixes), seed ", r.seed,
                  "; Search page size: ", r.page_size > 0 ? absl::StrCat(r.page_size) : "server default",
                  "; semantic_ratio: ",
                  r.semantic_ratio ? absl::StrFormat("%g", *r.semantic_ratio) : "server default",
                  "; fusion: ", FusionName(r.fusion), "\n\n");
  absl::StrAppend(&out, absl::StrFormat("%-18s %10s %7s %9s %8s %8s %8s %9s %8s %8s %9s\n", "rpc", "completed",
                                        "errors", "QPS", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
                                        "mean ms", "p50/base"));
  auto row = [&](const std::string& name, const PhaseResult& p) {
    const LatencySummary& l = p.latency;
    const std::optional<double> ratio = RatioToBaseline(r, p);
    std::string latency = l.count == 0 ? absl::StrFormat("%8s %8s %8s %9s %8s %8s", "-", "-", "-", "-", "-", "-")
                                       : absl::StrFormat("%8.3f %8.3f %8.3f %9.3f %8.3f %8.3f", l.p50_ms, l.p90_ms,
                                                         l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms);
    absl::StrAppend(&out, absl::StrFormat("%-18s %10s %7s %9.1f %s %9s\n", name, WithThousands(p.completed),
                                          WithThousands(p.errors), p.qps, latency,
                                          ratio ? absl::StrFormat("%.2f", *ratio) : "-"));
  };
  const bool baseline_is_result =
      std::any_of(r.results.begin(), r.results.end(), [](const PhaseResult& p) { return p.rpc == Rpc::kHealth; });
  if (r.baseline && !baseline_is_result) row("Health (baseline)", *r.baseline);
  for (const PhaseResult& p : r.results) row(p.rpc == Rpc::kHealth ? "Health (baseline)" : RpcName(p.rpc), p);
  if (!r.baseline) absl::StrAppend(&out, "(no baseline: --baseline=0)\n");

  std::string notes;
  auto error_lines = [&](const std::string& name, const PhaseResult& p) {
    for (const auto& [code, e] : p.errors_by_code) {
      absl::StrAppend(&notes, "  ", name, ": ", code, " x ", WithThousands(e.count), " (first: \"", e.first_message,
                      "\")\n");
      if (code == "UNIMPLEMENTED") {
        absl::StrAppend(&notes, "    the server at ", r.server, " does not implement ", name,
                        p.rpc == Rpc::kAnswer ? " yet (Answer comes with the hybrid retrieval work)" : "", "\n");
      } else if (code == "UNAVAILABLE") {
        absl::StrAppend(&notes, "    the connection to ", r.server, " failed; is zhiku-server still running?\n");
      }
    }
  };
  if (r.baseline && !baseline_is_result) error_lines("Health", *r.baseline);
  for (const PhaseResult& p : r.results) error_lines(RpcName(p.rpc), p);
  if (!notes.empty()) absl::StrAppend(&out, "\nerrors by status code:\n", notes);

  for (const PhaseResult& p : r.results) {
    if (p.rpc == Rpc::kSearch && p.completed > 0) {
      absl::StrAppend(&out, absl::StrFormat("\nmean hits per Search: %.1f", p.mean_items));
      if (p.mean_items == 0) absl::StrAppend(&out, " (does the server hold the KB the queries come from?)");
      absl::StrAppend(&out, "\n");
    }
  }
  return out;
}

std::string BenchReportToJson(const BenchReport& r) {
  nlohmann::json j;
  j["server"] = r.server;
  j["clients"] = r.clients;
  j["channels"] = r.channels;
  j["mode"] = r.fixed_requests ? "requests" : "duration";
  j["duration_s"] = absl::ToDoubleSeconds(r.duration);
  j["warmup_s"] = absl::ToDoubleSeconds(r.warmup);
  j["requests"] = r.requests;
  j["queries"] = r.queries;
  j["prefixes"] = r.prefixes;
  j["seed"] = r.seed;
  j["semantic_ratio"] = r.semantic_ratio ? nlohmann::json(*r.semantic_ratio) : nlohmann::json(nullptr);
  j["fusion"] = r.fusion == Fusion::kServerDefault ? "default" : FusionName(r.fusion);
  j["page_size"] = r.page_size;
  j["baseline"] = r.baseline ? PhaseToJson(r, *r.baseline) : nlohmann::json(nullptr);
  nlohmann::json results = nlohmann::json::array();
  for (const PhaseResult& p : r.results) results.push_back(PhaseToJson(r, p));
  j["results"] = results;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int BenchExitCode(const BenchReport& report) {
  auto failed = [](const PhaseResult& p) { return p.errors > 0 || p.completed == 0; };
  if (report.baseline && failed(*report.baseline)) return 3;
  for (const PhaseResult& p : report.results) {
    if (failed(p)) return 3;
  }
  return 0;
}

}  // namespace zhiku::bench
