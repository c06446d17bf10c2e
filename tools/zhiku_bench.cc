// zhiku-bench: latency of Search and Suggest against a running server, with
// the health RPC (a round trip that does no work) measured in the same run as
// the baseline, so results on a noisy machine are read as ratios.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "index/entry.h"
#include "zhiku/v1/search.grpc.pb.h"

ABSL_FLAG(std::string, server, "127.0.0.1:50051", "HOST:PORT of a running zhiku-server.");
ABSL_FLAG(std::string, kb, "data/sample_kb.jsonl",
          "KB JSONL whose questions and variants become the queries (the same KB the server holds).");
ABSL_FLAG(int, queries, 1000, "Calls per measured RPC.");
ABSL_FLAG(int, warmup, 100, "Unmeasured calls before each measurement.");
ABSL_FLAG(int, seed, 7, "Seed for the query order.");
ABSL_FLAG(bool, json, false, "Print one JSON object instead of a table.");

namespace {

struct Latency {
  double p50_ms = 0, p99_ms = 0, mean_ms = 0, max_ms = 0;
  int errors = 0;
};

Latency Measure(int n, int warmup, const std::function<bool(int)>& call) {
  for (int i = 0; i < warmup; ++i) call(i);
  std::vector<double> ms;
  ms.reserve(n);
  Latency out;
  for (int i = 0; i < n; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (!call(i)) ++out.errors;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  out.p50_ms = ms[ms.size() / 2];
  out.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  out.mean_ms = sum / ms.size();
  out.max_ms = ms.back();
  return out;
}

// The first `n` code points of `text`.
std::string Prefix(const std::string& text, int n) {
  size_t i = 0;
  for (int k = 0; k < n && i < text.size(); ++k) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return text.substr(0, i);
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Measures Search and Suggest latency (median, p99) of a running zhiku-server over N calls,\n"
      "with the gRPC health check measured in the same run as the baseline.\n\n"
      "  zhiku-bench --server=127.0.0.1:50051 --kb=data/sample_kb.jsonl --queries=1000");
  absl::ParseCommandLine(argc, argv);
  const int n = std::max(1, absl::GetFlag(FLAGS_queries));
  const int warmup = std::max(0, absl::GetFlag(FLAGS_warmup));

  std::vector<std::string> queries, prefixes;
  std::ifstream in(absl::GetFlag(FLAGS_kb));
  if (!in) {
    std::fprintf(stderr, "zhiku-bench: cannot read %s; pass --kb=FILE.jsonl\n", absl::GetFlag(FLAGS_kb).c_str());
    return 1;
  }
  for (std::string line; std::getline(in, line);) {
    absl::StatusOr<zhiku::Entry> entry = zhiku::EntryFromJsonLine(line);
    if (!entry.ok()) continue;
    queries.push_back(entry->question);
    for (const std::string& v : entry->variants) queries.push_back(v);
    for (int k = 1; k <= 4; ++k) prefixes.push_back(Prefix(entry->question, k));
  }
  if (queries.empty()) {
    std::fprintf(stderr, "zhiku-bench: no entries in %s\n", absl::GetFlag(FLAGS_kb).c_str());
    return 1;
  }
  std::mt19937 rng(absl::GetFlag(FLAGS_seed));
  std::shuffle(queries.begin(), queries.end(), rng);
  std::shuffle(prefixes.begin(), prefixes.end(), rng);

  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  auto search = zhiku::v1::SearchService::NewStub(channel);
  auto deadline = [] { return std::chrono::system_clock::now() + std::chrono::seconds(5); };

  const Latency base = Measure(n, warmup, [&](int) {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    return health->Check(&context, request, &response).ok();
  });
  if (base.errors == n) {
    std::fprintf(stderr, "zhiku-bench: the server at %s does not answer; start it with zhiku-server\n",
                 absl::GetFlag(FLAGS_server).c_str());
    return 2;
  }
  long hits = 0, searches = 0;
  const Latency searched = Measure(n, warmup, [&](int i) {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    zhiku::v1::SearchRequest request;
    request.set_query(queries[i % queries.size()]);
    zhiku::v1::SearchResponse response;
    bool ok = search->Search(&context, request, &response).ok();
    hits += response.hits_size();
    ++searches;
    return ok;
  });
  const Latency suggested = Measure(n, warmup, [&](int i) {
    grpc::ClientContext context;
    context.set_deadline(deadline());
    zhiku::v1::SuggestRequest request;
    request.set_prefix(prefixes[i % prefixes.size()]);
    zhiku::v1::SuggestResponse response;
    return search->Suggest(&context, request, &response).ok();
  });

  if (absl::GetFlag(FLAGS_json)) {
    auto obj = [](const Latency& l) {
      return absl::StrFormat(R"({"p50_ms":%.3f,"p99_ms":%.3f,"mean_ms":%.3f,"max_ms":%.3f,"errors":%d})", l.p50_ms,
                             l.p99_ms, l.mean_ms, l.max_ms, l.errors);
    };
    std::printf("{\"calls\":%d,\"baseline_health\":%s,\"search\":%s,\"suggest\":%s,"
                "\"search_p50_over_baseline\":%.2f,\"suggest_p50_over_baseline\":%.2f}\n",
                n, obj(base).c_str(), obj(searched).c_str(), obj(suggested).c_str(),
                searched.p50_ms / base.p50_ms, suggested.p50_ms / base.p50_ms);
    return 0;
  }
  std::printf("%d calls each, one client thread, %zu distinct queries, %zu prefixes\n\n", n, queries.size(),
              prefixes.size());
  std::printf("%-22s %9s %9s %9s %9s %7s %10s\n", "rpc", "p50 ms", "p99 ms", "mean ms", "max ms", "errors",
              "p50/base");
  auto row = [&](const char* name, const Latency& l) {
    std::printf("%-22s %9.3f %9.3f %9.3f %9.3f %7d %10.2f\n", name, l.p50_ms, l.p99_ms, l.mean_ms, l.max_ms,
                l.errors, l.p50_ms / base.p50_ms);
  };
  row("Health (baseline)", base);
  row("Search", searched);
  row("Suggest", suggested);
  std::printf("\nmean hits per search: %.1f\n", static_cast<double>(hits) / std::max(1L, searches));
  return searched.errors + suggested.errors > 0 ? 3 : 0;
}
