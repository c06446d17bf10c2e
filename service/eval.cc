#include "service/eval.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/ascii.h"
#include "service/client_channel.h"
#include "service/status_util.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
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

namespace {

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(v.size() * q))];
}

// ECE with 10 equal-width bins (same definition as index/calibration.h).
double Ece(const std::vector<double>& conf, const std::vector<bool>& correct) {
  if (conf.empty()) return 0;
  double sum_conf[10] = {}, sum_right[10] = {};
  int count[10] = {};
  for (size_t i = 0; i < conf.size(); ++i) {
    const int b = std::clamp(static_cast<int>(conf[i] * 10), 0, 9);
    sum_conf[b] += conf[i];
    sum_right[b] += correct[i] ? 1 : 0;
    ++count[b];
  }
  double ece = 0;
  for (int b = 0; b < 10; ++b) {
    if (count[b] == 0) continue;
    ece += std::abs(sum_right[b] / count[b] - sum_conf[b] / count[b]) * count[b] / conf.size();
  }
  return ece;
}

}  // namespace

absl::StatusOr<EvalReport> RunEval(const std::vector<EvalQuery>& queries, const EvalOptions& options) {
  auto channel = OpenChannel(options.server, options.api_key);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    return absl::UnavailableError(absl::StrCat("cannot connect to ", options.server, "; is zhiku-server running?"));
  }
  auto stub = v1::SearchService::NewStub(channel);
  if (options.wait_model_seconds > 0) {
    auto knowledge = v1::KnowledgeService::NewStub(channel);
    grpc::ClientContext context;
    const int wait_ms = static_cast<int>(options.wait_model_seconds * 1000);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(wait_ms + 5000));
    v1::GetStatusRequest request;
    request.set_wait_for_model_ms(wait_ms);
    v1::KnowledgeBaseStatus status;
    grpc::Status s = knowledge->GetStatus(&context, request, &status);
    if (!s.ok()) return FromGrpcStatus(s);
  }
  v1::RetrievalOptions retrieval;
  if (options.semantic_ratio) retrieval.set_semantic_ratio(*options.semantic_ratio);
  if (options.fusion) retrieval.set_fusion(*options.fusion == "rrf" ? v1::FUSION_METHOD_RRF : v1::FUSION_METHOD_WEIGHTED);
  auto deadline = [&] {
    return std::chrono::system_clock::now() +
           std::chrono::milliseconds(static_cast<int64_t>(options.timeout_seconds * 1000));
  };
  EvalReport report;
  std::vector<double> answer_ms, search_ms, confidences;
  std::vector<bool> right;
  double reciprocal_sum = 0;
  int top1 = 0, search_top1 = 0, top5 = 0, answered = 0, answered_right = 0, suggested = 0, suggest_hit = 0;
  int oos_handoff = 0, oos_answered = 0;
  const size_t n = options.limit > 0 ? std::min<size_t>(queries.size(), options.limit) : queries.size();
  for (size_t i = 0; i < n; ++i) {
    const EvalQuery& q = queries[i];
    ++report.queries;
    if (q.expected_id) {
      ++report.in_scope;
    } else {
      ++report.out_of_scope;
    }
    {
      grpc::ClientContext context;
      context.set_deadline(deadline());
      v1::AnswerRequest request;
      request.set_query(q.query);
      *request.mutable_retrieval() = retrieval;
      if (options.answer_precision) request.mutable_thresholds()->set_answer_precision(*options.answer_precision);
      if (options.suggest_confidence) request.mutable_thresholds()->set_suggest_confidence(*options.suggest_confidence);
      v1::AnswerResponse response;
      const auto start = std::chrono::steady_clock::now();
      grpc::Status status = stub->Answer(&context, request, &response);
      answer_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      if (!status.ok()) {
        ++report.errors;
      } else {
        report.semantic_ratio = response.retrieval().semantic_ratio();
        report.fusion = response.retrieval().fusion() == v1::FUSION_METHOD_RRF ? "rrf" : "weighted";
        if (response.retrieval().vector_used()) {
          ++report.vector_used;
          report.model_version = response.retrieval().model_version();
        }
        if (report.note.empty()) report.note = response.retrieval().note();
        const bool has_top = response.has_top();
        const bool is_right = q.expected_id && has_top && response.top().entry().id() == *q.expected_id;
        confidences.push_back(has_top ? response.confidence() : 0.0);
        right.push_back(is_right);
        const v1::Decision d = response.decision();
        if (q.expected_id) {
          if (is_right) ++top1;
          if (d == v1::DECISION_ANSWER) {
            ++answered;
            if (is_right) ++answered_right;
          } else if (d == v1::DECISION_SUGGEST) {
            ++suggested;
            for (const v1::AnswerCandidate& c : response.alternatives()) {
              if (c.entry().id() == *q.expected_id) {
                ++suggest_hit;
                break;
              }
            }
          }
        } else {
          if (d == v1::DECISION_HANDOFF) ++oos_handoff;
          if (d == v1::DECISION_ANSWER) ++oos_answered;
        }
      }
    }
    if (!q.expected_id) continue;
    grpc::ClientContext context;
    context.set_deadline(deadline());
    v1::SearchRequest request;
    request.set_query(q.query);
    request.set_page_size(10);
    *request.mutable_retrieval() = retrieval;
    v1::SearchResponse response;
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = stub->Search(&context, request, &response);
    search_ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (!status.ok()) {
      ++report.errors;
      continue;
    }
    for (int r = 0; r < response.hits_size(); ++r) {
      if (response.hits(r).entry().id() != *q.expected_id) continue;
      reciprocal_sum += 1.0 / (r + 1);
      if (r == 0) ++search_top1;
      if (r < 5) ++top5;
      break;
    }
  }
  if (report.in_scope > 0) {
    const double in = report.in_scope;
    report.top1 = top1 / in;
    report.search_top1 = search_top1 / in;
    report.recall5 = top5 / in;
    report.mrr10 = reciprocal_sum / in;
    report.answer_rate = answered / in;
    report.suggest_rate = suggested / in;
    if (answered > 0) report.answered_precision = static_cast<double>(answered_right) / answered;
    if (suggested > 0) report.suggest_hit = static_cast<double>(suggest_hit) / suggested;
  }
  if (report.out_of_scope > 0) {
    report.handoff_recall = static_cast<double>(oos_handoff) / report.out_of_scope;
    report.oos_answered = static_cast<double>(oos_answered) / report.out_of_scope;
  }
  report.ece = Ece(confidences, right);
  report.latency_ms_p50 = Percentile(answer_ms, 0.5);
  report.latency_ms_p99 = Percentile(answer_ms, 0.99);
  report.search_latency_ms_p50 = Percentile(search_ms, 0.5);
  report.search_latency_ms_p99 = Percentile(search_ms, 0.99);
  return report;
}

std::string EvalReportToJson(const EvalReport& r) {
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j;
  j["queries"] = r.queries;
  j["in_scope"] = r.in_scope;
  j["out_of_scope"] = r.out_of_scope;
  j["errors"] = r.errors;
  j["top1"] = r.in_scope > 0 ? nlohmann::json(r.top1) : nlohmann::json(nullptr);
  j["search_top1"] = r.in_scope > 0 ? nlohmann::json(r.search_top1) : nlohmann::json(nullptr);
  j["mrr10"] = r.in_scope > 0 ? nlohmann::json(r.mrr10) : nlohmann::json(nullptr);
  j["recall5"] = r.in_scope > 0 ? nlohmann::json(r.recall5) : nlohmann::json(nullptr);
  j["handoff_recall"] = opt(r.handoff_recall);
  j["oos_answered"] = opt(r.oos_answered);
  j["answer_rate"] = r.in_scope > 0 ? nlohmann::json(r.answer_rate) : nlohmann::json(nullptr);
  j["answered_precision"] = opt(r.answered_precision);
  j["suggest_rate"] = r.in_scope > 0 ? nlohmann::json(r.suggest_rate) : nlohmann::json(nullptr);
  j["suggest_hit"] = opt(r.suggest_hit);
  j["ece"] = r.queries > r.errors ? nlohmann::json(r.ece) : nlohmann::json(nullptr);
  j["latency_ms_p50"] = r.latency_ms_p50;
  j["latency_ms_p99"] = r.latency_ms_p99;
  j["search_latency_ms_p50"] = r.search_latency_ms_p50;
  j["search_latency_ms_p99"] = r.search_latency_ms_p99;
  j["semantic_ratio"] = r.semantic_ratio;
  j["fusion"] = r.fusion;
  j["vector_used"] = r.vector_used;
  j["model_version"] = r.model_version;
  j["note"] = r.note;
  return j.dump();
}

std::string EvalReportToText(const EvalReport& r) {
  auto opt = [](const std::optional<double>& v) { return v ? absl::StrFormat("%.4f", *v) : std::string("n/a"); };
  return absl::StrFormat(
      "queries              %d (%d in scope, %d out of scope, %d errors)\n"
      "retrieval            semantic_ratio %.2f, fusion %s, vector leg used in %d Answer calls (model %d)%s\n"
      "top-1 (Answer)       %.4f   (Search %.4f)\n"
      "MRR@10 / recall@5    %.4f / %.4f\n"
      "answer rate          %.4f of in-scope, precision %s\n"
      "suggest rate         %.4f of in-scope, expected entry among alternatives %s\n"
      "hand-off recall      %s of out-of-scope (answered wrongly: %s)\n"
      "ECE                  %.4f\n"
      "latency p50 / p99    Answer %.2f / %.2f ms, Search %.2f / %.2f ms\n",
      r.queries, r.in_scope, r.out_of_scope, r.errors, r.semantic_ratio, r.fusion, r.vector_used, r.model_version,
      r.note.empty() ? "" : absl::StrCat("\n                     note: ", r.note), r.top1, r.search_top1, r.mrr10,
      r.recall5, r.answer_rate, opt(r.answered_precision), r.suggest_rate, opt(r.suggest_hit), opt(r.handoff_recall),
      opt(r.oos_answered), r.ece, r.latency_ms_p50, r.latency_ms_p99, r.search_latency_ms_p50,
      r.search_latency_ms_p99);
}

}  // namespace zhiku
