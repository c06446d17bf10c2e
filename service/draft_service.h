// zhiku.v1.DraftService: mined FAQ drafts in, review lists out. Thin: the
// merge rules live in the knowledge base's DraftStore (index/draft_store.h).
#ifndef ZHIKU_SERVICE_DRAFT_SERVICE_H_
#define ZHIKU_SERVICE_DRAFT_SERVICE_H_

#include "index/knowledge_base.h"
#include "service/auth.h"
#include "service/validation.h"
#include "zhiku/v1/draft.grpc.pb.h"

namespace zhiku {

class DraftServiceImpl final : public v1::DraftService::Service {
 public:
  // `kb` must outlive the service.
  DraftServiceImpl(KnowledgeBase* kb, RequestLimits limits, const Authorizer* auth)
      : kb_(kb), limits_(limits), auth_(*auth) {}

  // Validates the whole batch (ParseSubmitDraftsRequest) before storing any
  // of it, then stores it in one transaction.
  grpc::Status SubmitDrafts(grpc::ServerContext* context, const v1::SubmitDraftsRequest* request,
                            v1::SubmitDraftsResponse* response) override;
  grpc::Status ListDrafts(grpc::ServerContext* context, const v1::ListDraftsRequest* request,
                          v1::ListDraftsResponse* response) override;
  grpc::Status GetDraft(grpc::ServerContext* context, const v1::GetDraftRequest* request,
                        v1::Draft* response) override;
  grpc::Status RejectDraft(grpc::ServerContext* context, const v1::RejectDraftRequest* request,
                           v1::Draft* response) override;
  grpc::Status UpdateDraft(grpc::ServerContext* context, const v1::UpdateDraftRequest* request,
                           v1::Draft* response) override;
  grpc::Status ApproveDraft(grpc::ServerContext* context, const v1::ApproveDraftRequest* request,
                            v1::ApproveDraftResponse* response) override;
  grpc::Status MergeDraft(grpc::ServerContext* context, const v1::MergeDraftRequest* request,
                          v1::MergeDraftResponse* response) override;

 private:
  KnowledgeBase* const kb_;
  const RequestLimits limits_;
  const Authorizer& auth_;
};

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_DRAFT_SERVICE_H_
