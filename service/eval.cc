#include "service/eval.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "service/status_util.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {

absl::StatusOr<std::vector<EvalQuery>> ParseEvalQueries(absl::string_view jsonl) {
  std::vector<EvalQuery> out;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(jsonl, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("query") || !j["query"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected {\"query\": string, \"expected_id\": string|null}"));
    }
    EvalQuery q;
    q.query = j["query"].get<std::string>();
    if (j.contains("expected_id") && j["expected_id"].is_string()) q.expected_id = j["expected_id"].get<std::string>();
    out.push_back(std::move(q));
  }
  return out;
}

absl::StatusOr<EvalReport> RunSearchEval(const std::vector<EvalQuery>& queries, const EvalOptions& options) {
  auto channel = grpc::CreateChannel(options.server, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", options.server, "; is zhiku-server running?"));
  }
  auto stub = v1::SearchService::NewStub(channel);
  EvalReport report;
  std::vector<double> latencies;
  double reciprocal_sum = 0;
  int top1 = 0, top5 = 0;
  const size_t n = options.limit > 0 ? std::min<size_t>(queries.size(), options.limit) : queries.size();
  for (size_t i = 0; i < n; ++i) {
    const EvalQuery& q = queries[i];
    ++report.queries;
    if (!q.expected_id) {
      ++report.out_of_scope;
      continue;
    }
    ++report.in_scope;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000)));
    v1::SearchRequest request;
    request.set_query(q.query);
    request.set_page_size(10);
    v1::SearchResponse response;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = stub->Search(&context, request, &response);
    latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!status.ok()) {
      ++report.errors;
      continue;
    }
    for (int r = 0; r < response.hits_size(); ++r) {
      if (response.hits(r).entry().id() != *q.expected_id) continue;
      reciprocal_sum += 1.0 / (r + 1);
      if (r == 0) ++top1;
      if (r < 5) ++top5;
      break;
    }
  }
  if (report.in_scope > 0) {
    report.top1 = static_cast<double>(top1) / report.in_scope;
    report.recall5 = static_cast<double>(top5) / report.in_scope;
    report.mrr10 = reciprocal_sum / report.in_scope;
  }
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    report.latency_ms_p50 = latencies[latencies.size() / 2];
    report.latency_ms_p99 = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  return report;
}

std::string EvalReportToJson(const EvalReport& r) {
  nlohmann::json j;
  j["queries"] = r.queries;
  j["in_scope"] = r.in_scope;
  j["out_of_scope"] = r.out_of_scope;
  j["errors"] = r.errors;
  j["top1"] = r.top1;
  j["mrr10"] = r.mrr10;
  j["recall5"] = r.recall5;
  j["handoff_recall"] = nullptr;
  j["answer_rate"] = nullptr;
  j["answered_precision"] = nullptr;
  j["ece"] = nullptr;
  j["latency_ms_p50"] = r.latency_ms_p50;
  j["latency_ms_p99"] = r.latency_ms_p99;
  return j.dump();
}

std::string EvalReportToText(const EvalReport& r) {
  return absl::StrFormat(
      "queries            %d (%d in scope, %d out of scope, %d errors)\n"
      "top-1 accuracy     %.4f\n"
      "MRR@10             %.4f\n"
      "recall@5           %.4f\n"
      "latency p50 / p99  %.2f / %.2f ms\n"
      "(hand-off and calibration metrics need Answer, which this server does not have yet)\n",
      r.queries, r.in_scope, r.out_of_scope, r.errors, r.top1, r.mrr10, r.recall5, r.latency_ms_p50,
      r.latency_ms_p99);
}

}  // namespace zhiku
