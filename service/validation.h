// Request validation at the API boundary: every request is checked once and
// turned into a typed domain request; anything out of range is rejected with
// InvalidArgument naming the field, the value and the limit.
#ifndef ZHIKU_SERVICE_VALIDATION_H_
#define ZHIKU_SERVICE_VALIDATION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "index/entry_store.h"
#include "index/filters.h"
#include "index/format.h"
#include "index/knowledge_base.h"
#include "index/suggester.h"
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
  size_t max_context_turns = 20;
  // The text of one chat message imported into the corpus (ImportCorpus).
  // Customer messages are short; 64 KiB leaves room for pasted logs while
  // keeping one text well inside what the embedder trains on.
  size_t max_corpus_text_bytes = 64 << 10;
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
absl::Status ValidateEntryId(const std::string& id, const RequestLimits& limits);

// The text of a chat message for the corpus: at most
// limits.max_corpus_text_bytes, else InvalidArgument naming size and limit.
absl::Status CheckCorpusText(absl::string_view text, const RequestLimits& limits);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_VALIDATION_H_
