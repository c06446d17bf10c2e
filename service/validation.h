// Request validation at the API boundary: every request is checked once and
// turned into a typed domain request; anything out of range is rejected with
// InvalidArgument naming the field, the value and the limit.
#ifndef ZHIKU_SERVICE_VALIDATION_H_
#define ZHIKU_SERVICE_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/draft.h"
#include "index/draft_store.h"
#include "index/entry_store.h"
#include "index/filters.h"
#include "index/format.h"
#include "index/knowledge_base.h"
#include "index/suggester.h"
#include "zhiku/v1/draft.pb.h"
#include "zhiku/v1/knowledge.pb.h"
#include "zhiku/v1/search.pb.h"

namespace zhiku {

struct RequestLimits {
  size_t max_query_bytes = 4096;
  size_t max_prefix_bytes = 256;
  int default_page_size = 10;
  int max_page_size = 100;
  int max_offset = 10000;
  int default_list_page_size = 50;
  int max_list_page_size = 1000;
  int default_suggestions = 8;
  int max_suggestions = 10;
  size_t max_tag_bytes = 32;        // highlight pre/post tags
  int default_snippet_chars = 120;
  int max_snippet_chars = 1000;
  size_t max_filters = 16;
  size_t max_filter_values = 100;
  size_t max_import_line_bytes = 1 << 20;
  size_t max_id_bytes = 128;
  size_t max_query_vector_dim = 4096;
  size_t max_embed_texts = 1000;    // per Embed call (each <= max_query_bytes)
  size_t max_context_turns = 20;
  // The text of one chat message imported into the corpus (ImportCorpus).
  // Customer messages are short; 64 KiB leaves room for pasted logs while
  // keeping one text well inside what the embedder trains on.
  size_t max_corpus_text_bytes = 64 << 10;
  // SubmitDrafts: per call, and per draft (question and each variant, its
  // answer and each alternative, each evidence list).
  size_t max_drafts_per_submit = 10000;
  size_t max_draft_phrasing_bytes = 1024;
  size_t max_draft_variants = 200;
  size_t max_draft_answer_bytes = 65536;
  size_t max_draft_answer_alternatives = 20;
  size_t max_draft_evidence_ids = 100000;
  size_t max_reject_reason_bytes = 1024;
};

// OK for "" and "default" (the one knowledge base a server has today);
// NotFound naming the knowledge base otherwise.
absl::Status CheckKnowledgeBase(const std::string& name);

absl::StatusOr<Filters> ParseFilters(
    const google::protobuf::RepeatedPtrField<v1::FieldFilter>& filters, const RequestLimits& limits);

// Validates query (UTF-8, length), filters, paging (page_size, offset or
// page_token; a token from another query is rejected) and highlight options.
absl::StatusOr<SearchRequest> ParseSearchRequest(const v1::SearchRequest& request,
                                                 const RequestLimits& limits);

// The page token that continues `request` at `offset`.
std::string MakeSearchPageToken(const v1::SearchRequest& request, int offset);

// Validates retrieval options: semantic_ratio in [0, 1], a known fusion
// method, a query vector of at most max_query_vector_dim finite floats.
absl::StatusOr<RetrievalSettings> ParseRetrievalOptions(const v1::RetrievalOptions& options,
                                                        const RequestLimits& limits);

// Validates query, filters, retrieval options, thresholds (answer_precision
// in (0, 1), confidences in [0, 1], suggest <= answer) and context turns.
absl::StatusOr<AnswerRequest> ParseAnswerRequest(const v1::AnswerRequest& request, const RequestLimits& limits);

absl::StatusOr<SuggestQuery> ParseSuggestRequest(const v1::SuggestRequest& request,
                                                 const RequestLimits& limits);

absl::StatusOr<ListEntriesRequest> ParseListEntriesRequest(const v1::ListEntriesRequest& request,
                                                           const RequestLimits& limits);
std::string MakeListPageToken(const std::string& after_id);

// An entry id given on its own (Get/Delete): non-empty, within limits.
// OK for a page size or limit of 0 (= the default) or 1..max; otherwise
// InvalidArgument naming `field` and the bounds.
absl::Status CheckPageSize(int value, int max, absl::string_view field);

absl::Status ValidateEntryId(const std::string& id, const RequestLimits& limits);

// Embed: 1..max_embed_texts texts, each valid UTF-8 of at most
// max_query_bytes; InvalidArgument naming the text's index and the limit.
absl::Status ValidateEmbedRequest(const v1::EmbedRequest& request, const RequestLimits& limits);

// The text of a chat message for the corpus: at most
// limits.max_corpus_text_bytes, else InvalidArgument naming size and limit.
absl::Status CheckCorpusText(absl::string_view text, const RequestLimits& limits);

// SubmitDrafts: 1..max_drafts_per_submit drafts, each checked against the
// per-draft limits (and UTF-8, a non-negative frequency, finite trend and
// covered_score). InvalidArgument names the field, the draft's index and
// the limit, e.g. "drafts[3].message_ids has 120,000 ids; the limit is
// 100,000 per draft".
absl::StatusOr<std::vector<Draft>> ParseSubmitDraftsRequest(const v1::SubmitDraftsRequest& request,
                                                           const RequestLimits& limits);

// ListDrafts: statuses (known values; empty = NEW and IN_REVIEW), coverage,
// sort, page_size (default limits.default_list_page_size, at most
// max_list_page_size) and a page_token made by MakeDraftPageToken for the
// same statuses, coverage and sort.
absl::StatusOr<ListDraftsRequest> ParseListDraftsRequest(const v1::ListDraftsRequest& request,
                                                         const RequestLimits& limits);
// The token continuing `request` after `cursor`.
std::string MakeDraftPageToken(const v1::ListDraftsRequest& request, const DraftCursor& cursor);

// A draft id given on its own (GetDraft, RejectDraft).
absl::Status ValidateDraftId(const std::string& id, const RequestLimits& limits);
// UpdateDraft: the edited question, variants and answer within the limits
// of an entry (EntryLimits), which an approved draft becomes.
absl::Status ValidateDraftEdit(const DraftEdit& edit);
// RejectDraft's reason: UTF-8, at most max_reject_reason_bytes.
absl::Status CheckRejectReason(const std::string& reason, const RequestLimits& limits);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_VALIDATION_H_
