#include "service/search_service.h"

#include <chrono>

#include "index/status_macros.h"
#include "service/convert.h"
#include "service/status_util.h"

namespace zhiku {
namespace {

absl::Status DoSearch(KnowledgeBase& kb, const RequestLimits& limits, grpc::ServerContext* context,
                      const v1::SearchRequest& request, v1::SearchResponse* response) {
  ZHIKU_ASSIGN_OR_RETURN(const SearchRequest parsed, ParseSearchRequest(request, limits));
  ZHIKU_RETURN_IF_ERROR(CheckCallAlive(context));
  ZHIKU_ASSIGN_OR_RETURN(const SearchResult result, kb.Search(parsed));
  response->set_total_estimate(result.total_estimate);
  response->set_traditional_query(result.traditional_query);
  int rank = parsed.offset;
  for (const SearchHit& hit : result.hits) {
    v1::SearchHit* out = response->add_hits();
    ToProto(hit.entry->entry, out->mutable_entry());
    out->set_score(hit.score);
    out->set_rank(++rank);
    out->set_matched_field(ToProto(hit.matched_field));
    if (hit.matched_field == MatchedField::kVariant) out->set_variant_index(hit.variant_index);
    out->set_matched_text(hit.matched_text);
    out->set_highlighted_text(hit.highlighted_text);
    out->set_answer_snippet(hit.answer_snippet);
  }
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
  return ToGrpcStatus(DoSearch(*kb_, limits_, context, *request, response));
}

grpc::Status SearchServiceImpl::Suggest(grpc::ServerContext* context, const v1::SuggestRequest* request,
                                        v1::SuggestResponse* response) {
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
