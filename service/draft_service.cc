#include "service/draft_service.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
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
  absl::Status submitted = Submit(*kb_, context, *request, limits_, response);
  if (submitted.ok()) {
    auth_.Record(caller, "drafts.submit", "",
                 absl::StrCat(request->drafts_size(), " drafts: ", response->created(), " created, ", response->merged(),
                              " merged, ", response->suppressed(), " suppressed"));
  }
  return ToGrpcStatus(submitted);
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
  auth_.Record(caller, "draft.reject", request->draft_id(), request->reason());
  return grpc::Status::OK;
}

}  // namespace zhiku

namespace zhiku {
namespace {

// Checked before an entry is written (Resolve checks again afterwards).
absl::Status CheckDraftOpen(const StoredDraft& stored) {
  if (stored.status == DraftStatus::kNew || stored.status == DraftStatus::kInReview) return absl::OkStatus();
  if (stored.status == DraftStatus::kRejected) {
    return absl::FailedPreconditionError(
        absl::StrCat("draft ", stored.draft.draft_id, " was rejected (", stored.reject_reason, "); nothing changed"));
  }
  return absl::FailedPreconditionError(absl::StrCat("draft ", stored.draft.draft_id, " was already ",
                                                    stored.status == DraftStatus::kApproved ? "approved" : "merged",
                                                    " into entry ", stored.draft.covered_by.value_or("?"),
                                                    "; edit that entry instead"));
}

// The index forms of an entry's question and variants.
std::vector<std::string> PhrasingKeys(const TextNormalizer& normalizer, const Entry& entry) {
  std::vector<std::string> keys = {normalizer.Normalize(entry.question)};
  for (const std::string& v : entry.variants) keys.push_back(normalizer.Normalize(v));
  return keys;
}

// Entries an approval would duplicate: those with a phrasing equal in index
// form to one of the draft's, and the entry Answer would give for its
// question. Empty when there are none.
std::string NearDuplicates(KnowledgeBase& kb, const Entry& candidate) {
  const TextNormalizer& normalizer = kb.normalizer();
  const std::vector<std::string> keys = PhrasingKeys(normalizer, candidate);
  std::vector<std::string> found;
  auto note = [&](const Entry& entry, absl::string_view why) {
    for (const std::string& f : found) {
      if (absl::StartsWith(f, entry.id + " ")) return;
    }
    const bool same_answer = normalizer.Normalize(entry.answer) == normalizer.Normalize(candidate.answer);
    found.push_back(absl::StrCat(entry.id, " (", why, same_answer ? ", same answer" : ", different answer", ")"));
  };
  {
    const std::string& phrasing = candidate.question;
    SearchRequest search;
    search.query = phrasing;
    search.limit = 10;
    absl::StatusOr<SearchResult> hits = kb.Search(search);
    if (hits.ok()) {
      for (const SearchHit& hit : hits->hits) {
        for (const std::string& p : hit.entry->normalized_phrasings) {
          if (!p.empty() && std::find(keys.begin(), keys.end(), p) != keys.end()) {
            note(hit.entry->entry, "same question");
            break;
          }
        }
      }
    }
    AnswerRequest ask;
    ask.query = phrasing;
    absl::StatusOr<AnswerResult> answer = kb.Answer(ask);
    if (answer.ok() && answer->decision == AnswerDecision::kAnswer && answer->top.has_value()) {
      note(answer->top->entry->entry, absl::StrFormat("Answer gives it at confidence %.2f", answer->confidence));
    }
  }
  return absl::StrJoin(found, "; ");
}

absl::Status Approve(KnowledgeBase& kb, const Caller& caller, const v1::ApproveDraftRequest& request,
                     const RequestLimits& limits, v1::ApproveDraftResponse* response) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  ZHIKU_RETURN_IF_ERROR(ValidateDraftId(request.draft_id(), limits));
  ZHIKU_RETURN_IF_ERROR(CheckRejectReason(request.reason(), limits));
  ZHIKU_ASSIGN_OR_RETURN(StoredDraft stored, kb.drafts().Get(request.draft_id()));
  ZHIKU_RETURN_IF_ERROR(CheckDraftOpen(stored));
  Entry entry = FromProto(request.entry());
  if (entry.question.empty()) entry.question = stored.draft.question;
  if (entry.variants.empty()) entry.variants = stored.draft.variants;
  if (entry.answer.empty()) entry.answer = stored.draft.answer;
  if (entry.answer.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("draft ", request.draft_id(),
                                                   " has no answer; pass entry.answer (zhikuctl drafts approve --answer)"));
  }
  entry = CanonicalizeEntry(std::move(entry));
  ZHIKU_RETURN_IF_ERROR(ValidateEntry(entry));
  if (!request.force()) {
    const std::string duplicates = NearDuplicates(kb, entry);
    if (!duplicates.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the knowledge base already has this question: ", duplicates,
          ". Merge the draft into one of them (MergeDraft), or approve with force to add it anyway"));
    }
  }
  WriteInfo info{caller.Actor(), absl::StrCat("approved draft ", request.draft_id(),
                                              request.reason().empty() ? "" : ": ", request.reason())};
  ZHIKU_ASSIGN_OR_RETURN(const Entry created, kb.CreateEntry(std::move(entry), info));
  ZHIKU_ASSIGN_OR_RETURN(const StoredDraft approved,
                         kb.drafts().Resolve(request.draft_id(), DraftStatus::kApproved, created.id));
  ToProto(approved, response->mutable_draft());
  ToProto(created, response->mutable_entry());
  Log(LogLevel::kInfo, "draft_service",
      absl::StrCat(caller.Actor(), " approved draft ", request.draft_id(), " as entry ", created.id));
  return absl::OkStatus();
}

absl::Status Merge(KnowledgeBase& kb, const Caller& caller, const v1::MergeDraftRequest& request,
                   const RequestLimits& limits, v1::MergeDraftResponse* response) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  ZHIKU_RETURN_IF_ERROR(ValidateDraftId(request.draft_id(), limits));
  ZHIKU_RETURN_IF_ERROR(ValidateEntryId(request.entry_id(), limits));
  ZHIKU_RETURN_IF_ERROR(CheckRejectReason(request.reason(), limits));
  if (request.expected_version() < 0) return absl::InvalidArgumentError("expected_version must be >= 0");
  ZHIKU_ASSIGN_OR_RETURN(StoredDraft stored, kb.drafts().Get(request.draft_id()));
  ZHIKU_RETURN_IF_ERROR(CheckDraftOpen(stored));
  ZHIKU_ASSIGN_OR_RETURN(Entry entry, kb.GetEntry(request.entry_id()));
  const TextNormalizer& normalizer = kb.normalizer();
  std::vector<std::string> keys = PhrasingKeys(normalizer, entry);
  const int64_t read_version = entry.version;
  int added = 0;
  std::vector<std::string> phrasings = {stored.draft.question};
  phrasings.insert(phrasings.end(), stored.draft.variants.begin(), stored.draft.variants.end());
  for (const std::string& p : phrasings) {
    const std::string key = normalizer.Normalize(p);
    if (key.empty() || std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
    keys.push_back(key);
    entry.variants.push_back(p);
    ++added;
  }
  Entry result = entry;
  if (added > 0) {
    WriteInfo info{caller.Actor(), absl::StrCat("merged draft ", request.draft_id(),
                                                request.reason().empty() ? "" : ": ", request.reason())};
    const int64_t expected = request.expected_version() > 0 ? request.expected_version() : read_version;
    ZHIKU_ASSIGN_OR_RETURN(result, kb.UpdateEntry(std::move(entry), expected, info));
  } else if (request.expected_version() > 0 && request.expected_version() != read_version) {
    return absl::AbortedError(absl::StrCat("entry ", request.entry_id(), " is at version ", read_version, ", not ",
                                           request.expected_version(), "; re-read it and retry"));
  }
  ZHIKU_ASSIGN_OR_RETURN(const StoredDraft merged,
                         kb.drafts().Resolve(request.draft_id(), DraftStatus::kMerged, result.id));
  ToProto(merged, response->mutable_draft());
  ToProto(result, response->mutable_entry());
  response->set_variants_added(added);
  Log(LogLevel::kInfo, "draft_service",
      absl::StrCat(caller.Actor(), " merged draft ", request.draft_id(), " into entry ", result.id, " (", added,
                   " new variants)"));
  return absl::OkStatus();
}

}  // namespace

grpc::Status DraftServiceImpl::UpdateDraft(grpc::ServerContext* context, const v1::UpdateDraftRequest* request,
                                           v1::Draft* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/UpdateDraft");
  if (absl::Status s = CheckKnowledgeBase(request->knowledge_base()); !s.ok()) return ToGrpcStatus(s);
  if (absl::Status s = ValidateDraftId(request->draft_id(), limits_); !s.ok()) return ToGrpcStatus(s);
  DraftEdit edit;
  if (request->has_question()) edit.question = request->question();
  if (request->set_variants()) edit.variants = std::vector<std::string>(request->variants().begin(), request->variants().end());
  if (request->has_answer()) edit.answer = request->answer();
  if (absl::Status s = ValidateDraftEdit(edit); !s.ok()) return ToGrpcStatus(s);
  absl::StatusOr<StoredDraft> draft = kb_->drafts().Edit(request->draft_id(), edit);
  if (!draft.ok()) return ToGrpcStatus(draft.status());
  ToProto(*draft, response);
  auth_.Record(caller, "draft.update", request->draft_id(), "");
  return grpc::Status::OK;
}

grpc::Status DraftServiceImpl::ApproveDraft(grpc::ServerContext* context, const v1::ApproveDraftRequest* request,
                                            v1::ApproveDraftResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/ApproveDraft");
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  absl::Status approved = Approve(*kb_, caller, *request, limits_, response);
  if (approved.ok()) {
    auth_.Record(caller, "draft.approve", request->draft_id(), absl::StrCat("entry ", response->entry().id()));
  }
  return ToGrpcStatus(approved);
}

grpc::Status DraftServiceImpl::MergeDraft(grpc::ServerContext* context, const v1::MergeDraftRequest* request,
                                          v1::MergeDraftResponse* response) {
  ZHIKU_AUTHORIZE(caller, auth_, context, "zhiku.v1.DraftService/MergeDraft");
  if (absl::Status s = CheckCallAlive(context); !s.ok()) return ToGrpcStatus(s);
  absl::Status merged = Merge(*kb_, caller, *request, limits_, response);
  if (merged.ok()) {
    auth_.Record(caller, "draft.merge", request->draft_id(),
                 absl::StrCat("entry ", response->entry().id(), ", ", response->variants_added(), " variants added"));
  }
  return ToGrpcStatus(merged);
}

}  // namespace zhiku
