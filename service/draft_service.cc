#include "service/draft_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "index/logging.h"
#include "index/status_macros.h"
#include "service/convert.h"
#include "service/search_service.h"
#include "service/status_util.h"

namespace zhiku {
namespace {

v1::SubmitOutcome ToProto(SubmitOutcomeKind kind) {
  switch (kind) {
    case SubmitOutcomeKind::kCreated: return v1::SUBMIT_OUTCOME_CREATED;
    case SubmitOutcomeKind::kMerged: return v1::SUBMIT_OUTCOME_MERGED;
    case SubmitOutcomeKind::kSuppressed: return v1::SUBMIT_OUTCOME_SUPPRESSED;
  }
  return v1::SUBMIT_OUTCOME_UNSPECIFIED;
}

absl::Status Submit(KnowledgeBase& kb, grpc::ServerContext* context, const v1::SubmitDraftsRequest& request,
                    const RequestLimits& limits, v1::SubmitDraftsResponse* response) {
  ZHIKU_ASSIGN_OR_RETURN(std::vector<Draft> drafts, ParseSubmitDraftsRequest(request, limits));
  ZHIKU_RETURN_IF_ERROR(CheckCallAlive(context));
  ZHIKU_ASSIGN_OR_RETURN(const SubmitDraftsResult result, kb.drafts().Submit(std::move(drafts)));
  response->set_created(result.created);
  response->set_merged(result.merged);
  response->set_suppressed(result.suppressed);
  for (const SubmitOutcome& outcome : result.outcomes) {
    v1::SubmittedDraft* out = response->add_results();
    out->set_draft_id(outcome.draft_id);
    out->set_outcome(ToProto(outcome.kind));
    out->set_status(ToProto(outcome.status));
  }
  Log(LogLevel::kInfo, "draft_service",
      absl::StrCat("submitted ", result.outcomes.size(), " drafts: ", result.created, " created, ", result.merged,
                   " merged, ", result.suppressed, " suppressed"));
  return absl::OkStatus();
}

absl::Status List(KnowledgeBase& kb, const v1::ListDraftsRequest& request, const RequestLimits& limits,
                  v1::ListDraftsResponse* response) {
  ZHIKU_ASSIGN_OR_RETURN(const ListDraftsRequest parsed, ParseListDraftsRequest(request, limits));
  ZHIKU_ASSIGN_OR_RETURN(const ListDraftsResult result, kb.drafts().List(parsed));
  for (const StoredDraft& draft : result.drafts) ToProto(draft, response->add_drafts());
  if (result.next.has_value()) response->set_next_page_token(MakeDraftPageToken(request, *result.next));
  return absl::OkStatus();
}

}  // namespace

grpc::Status DraftServiceImpl::SubmitDrafts(grpc::ServerContext* context, const v1::SubmitDraftsRequest* request,
                                            v1::SubmitDraftsResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/SubmitDrafts");
  return ToGrpcStatus(Submit(*kb_, context, *request, limits_, response));
}

grpc::Status DraftServiceImpl::ListDrafts(grpc::ServerContext* context, const v1::ListDraftsRequest* request,
                                          v1::ListDraftsResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/ListDrafts");
  return ToGrpcStatus(List(*kb_, *request, limits_, response));
}

grpc::Status DraftServiceImpl::GetDraft(grpc::ServerContext* context, const v1::GetDraftRequest* request,
                                        v1::Draft* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/GetDraft");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateDraftId(request->draft_id(), limits_); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<StoredDraft> draft = kb_->drafts().Get(request->draft_id());
  if (!draft.ok()) return ToGrpcStatus(draft.status());
  ToProto(*draft, response);
  return grpc::Status::OK;
}

grpc::Status DraftServiceImpl::RejectDraft(grpc::ServerContext* context, const v1::RejectDraftRequest* request,
                                           v1::Draft* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/RejectDraft");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateDraftId(request->draft_id(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckRejectReason(request->reason(), limits_); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<StoredDraft> draft = kb_->drafts().Reject(request->draft_id(), request->reason());
  if (!draft.ok()) return ToGrpcStatus(draft.status());
  ToProto(*draft, response);
  return grpc::Status::OK;
}

}  // namespace zhiku
