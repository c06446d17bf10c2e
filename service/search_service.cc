#include "service/search_service.h"

#include <chrono>

#include "index/status_macros.h"
#include "service/convert.h"
#include "service/status_util.h"

namespace zhiku {
namespace {

v1::FusionMethod ToProto(FusionMethod method) {
  return method == FusionMethod::kRrf ? v1::FUSION_METHOD_RRF : v1::FUSION_METHOD_WEIGHTED;
}

void ToProto(const RetrievalInfo& info, v1::RetrievalInfo* out) {
  out->set_semantic_ratio(info.semantic_ratio);
  out->set_fusion(ToProto(info.fusion));
  out->set_vector_used(info.vector_used);
  out->set_model_version(info.model_version);
  out->set_note(info.note);
}

void ToProto(const SearchHit& hit, int rank, bool explain, v1::SearchHit* out) {
  ToProto(hit.entry->entry, out->mutable_entry(), ProtoVectors::kOmit);
  out->set_score(hit.score);
  out->set_rank(rank);
  out->set_matched_field(ToProto(hit.matched_field));
  if (hit.matched_field == MatchedField::kVariant) out->set_variant_index(hit.variant_index);
  out->set_matched_text(hit.matched_text);
  out->set_highlighted_text(hit.highlighted_text);
  out->set_answer_snippet(hit.answer_snippet);
  if (explain) {
    v1::HitExplanation* e = out->mutable_explain();
    e->set_keyword_rank(hit.legs.keyword_rank);
    e->set_keyword_score(hit.legs.keyword_score);
    e->set_vector_rank(hit.legs.vector_rank);
    e->set_vector_score(hit.legs.vector_score);
    e->set_vector_phrasing(hit.legs.vector_phrasing);
    e->set_fused_score(hit.legs.fused);
  }
}

void ToProto(const AnswerCandidateResult& c, v1::AnswerCandidate* out) {
  ToProto(c.entry->entry, out->mutable_entry(), ProtoVectors::kOmit);
  out->set_confidence(c.confidence);
  out->set_question(c.question);
}

v1::Decision ToProto(AnswerDecision d) {
  switch (d) {
    case AnswerDecision::kAnswer:
      return v1::DECISION_ANSWER;
    case AnswerDecision::kSuggest:
      return v1::DECISION_SUGGEST;
    case AnswerDecision::kHandoff:
      return v1::DECISION_HANDOFF;
  }
  return v1::DECISION_UNSPECIFIED;
}

v1::HandoffReason ToProto(HandoffReason r) {
  switch (r) {
    case HandoffReason::kNone:
      return v1::HANDOFF_REASON_UNSPECIFIED;
    case HandoffReason::kEmptyQuery:
      return v1::HANDOFF_REASON_EMPTY_QUERY;
    case HandoffReason::kChitchat:
      return v1::HANDOFF_REASON_CHITCHAT;
    case HandoffReason::kNoMatch:
      return v1::HANDOFF_REASON_NO_MATCH;
    case HandoffReason::kLowConfidence:
      return v1::HANDOFF_REASON_LOW_CONFIDENCE;
  }
  return v1::HANDOFF_REASON_UNSPECIFIED;
}

LoggedDecision ToLogged(AnswerDecision d) {
  switch (d) {
    case AnswerDecision::kAnswer:
      return LoggedDecision::kAnswer;
    case AnswerDecision::kSuggest:
      return LoggedDecision::kSuggest;
    case AnswerDecision::kHandoff:
      return LoggedDecision::kHandoff;
  }
  return LoggedDecision::kNone;
}

absl::Status DoAnswer(KnowledgeBase& kb, const RequestLimits& limits, grpc::ServerContext* context,
                      const v1::AnswerRequest& request, v1::AnswerResponse* response, QueryLog* log,
                      const Caller& caller) {
  ZHIKU_ASSIGN_OR_RETURN(const AnswerRequest parsed, ParseAnswerRequest(request, limits));
  ZHIKU_RETURN_IF_ERROR(CheckCallAlive(context));
  ZHIKU_ASSIGN_OR_RETURN(const AnswerResult result, kb.Answer(parsed));
  if (log != nullptr) {
    QueryRecord record;
    record.query_id = NewQueryId();
    record.knowledge_base = request.knowledge_base();
    record.kind = QueryKind::kAnswer;
    record.text = request.query();
    record.decision = ToLogged(result.decision);
    record.handoff_reason = static_cast<int>(result.handoff_reason);
    record.confidence = result.confidence;
    if (result.top) record.top_entry_id = result.top->entry->entry.id;
    record.hits = result.top ? 1 + static_cast<int64_t>(result.alternatives.size()) : 0;
    record.actor = caller.key_id;
    response->set_query_id(record.query_id);
    log->Record(std::move(record));
  }
  response->set_decision(ToProto(result.decision));
  response->set_confidence(result.confidence);
  if (result.top) ToProto(*result.top, response->mutable_top());
  response->set_answer(result.answer);
  for (const AnswerCandidateResult& c : result.alternatives) ToProto(c, response->add_alternatives());
  response->set_handoff_reason(ToProto(result.handoff_reason));
  ToProto(result.retrieval, response->mutable_retrieval());
  response->set_answer_confidence(result.thresholds.answer_confidence);
  response->set_suggest_confidence(result.thresholds.suggest_confidence);
  int rank = 0;
  for (const SearchHit& hit : result.hits) ToProto(hit, ++rank, /*explain=*/true, response->add_hits());
  response->set_traditional_query(result.traditional_query);
  return absl::OkStatus();
}

absl::Status DoSearch(KnowledgeBase& kb, const RequestLimits& limits, grpc::ServerContext* context,
                      const v1::SearchRequest& request, v1::SearchResponse* response, QueryLog* log,
                      const Caller& caller) {
  ZHIKU_ASSIGN_OR_RETURN(const SearchRequest parsed, ParseSearchRequest(request, limits));
  ZHIKU_RETURN_IF_ERROR(CheckCallAlive(context));
  ZHIKU_ASSIGN_OR_RETURN(const SearchResult result, kb.Search(parsed));
  // Later pages are the same question asked once: only the first is logged.
  if (log != nullptr && parsed.offset == 0) {
    QueryRecord record;
    record.query_id = NewQueryId();
    record.knowledge_base = request.knowledge_base();
    record.kind = QueryKind::kSearch;
    record.text = request.query();
    if (!result.hits.empty()) record.top_entry_id = result.hits.front().entry->entry.id;
    record.hits = result.hits.empty() ? 0 : std::max<int64_t>(result.total_estimate, 1);
    record.actor = caller.key_id;
    response->set_query_id(record.query_id);
    log->Record(std::move(record));
  }
  response->set_total_estimate(result.total_estimate);
  response->set_traditional_query(result.traditional_query);
  ToProto(result.retrieval, response->mutable_retrieval());
  int rank = parsed.offset;
  for (const SearchHit& hit : result.hits) ToProto(hit, ++rank, parsed.retrieval.explain, response->add_hits());
  if (result.has_more) {
    response->set_next_page_token(MakeSearchPageToken(request, parsed.offset + parsed.limit));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckCallAlive(grpc::ServerContext* context) {
  if (context->IsCancelled()) return absl::CancelledError("the call was cancelled by the client");
  if (context->deadline() < std::chrono::system_clock::now()) {
    return absl::DeadlineExceededError("the call's deadline passed before the work was done");
  }
  return absl::OkStatus();
}

grpc::Status SearchServiceImpl::Search(grpc::ServerContext* context, const v1::SearchRequest* request,
                                       v1::SearchResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.SearchService/Search");
  return ToGrpcStatus(DoSearch(*kb_, limits_, context, *request, response, log_, caller));
}

grpc::Status SearchServiceImpl::Answer(grpc::ServerContext* context, const v1::AnswerRequest* request,
                                       v1::AnswerResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.SearchService/Answer");
  return ToGrpcStatus(DoAnswer(*kb_, limits_, context, *request, response, log_, caller));
}

grpc::Status SearchServiceImpl::Embed(grpc::ServerContext* context, const v1::EmbedRequest* request,
                                      v1::EmbedResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.SearchService/Embed");
  if (absl::Status valid = ValidateEmbedRequest(*request, limits_); !valid.ok()) return ToGrpcStatus(valid);
  if (absl::Status alive = CheckCallAlive(context); !alive.ok()) return ToGrpcStatus(alive);
  std::vector<std::string> texts(request->texts().begin(), request->texts().end());
  absl::StatusOr<KnowledgeBase::Embeddings> embedded = kb_->Embed(texts);
  if (!embedded.ok()) return ToGrpcStatus(embedded.status());
  response->set_dim(embedded->dim);
  response->set_model_version(embedded->model_version);
  for (const std::vector<float>& v : embedded->vectors) {
    response->add_embeddings()->mutable_values()->Assign(v.begin(), v.end());
  }
  return grpc::Status::OK;
}

grpc::Status SearchServiceImpl::Suggest(grpc::ServerContext* context, const v1::SuggestRequest* request,
                                        v1::SuggestResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.SearchService/Suggest");
  absl::StatusOr<SuggestQuery> query = ParseSuggestRequest(*request, limits_);
  if (!query.ok()) return ToGrpcStatus(query.status());
  if (absl::Status alive = CheckCallAlive(context); !alive.ok()) return ToGrpcStatus(alive);
  for (const Suggestion& suggestion : kb_->Suggest(*query)) {
    v1::Suggestion* out = response->add_suggestions();
    out->set_entry_id(suggestion.entry_id);
    out->set_text(suggestion.text);
    out->set_is_question(suggestion.phrasing == 0);
  }
  return grpc::Status::OK;
}

}  // namespace zhiku
