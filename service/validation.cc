#include "service/validation.h"

#include <cmath>
#include <cstdint>
#include <tuple>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "index/status_macros.h"
#include "service/convert.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

// FNV-1a: binds a page token to the request it continues.
uint64_t Fingerprint(const v1::SearchRequest& request) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](absl::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  mix(request.query());
  for (const v1::FieldFilter& f : request.filters()) {
    mix(f.field());
    for (const std::string& v : f.values()) mix(v);
  }
  // A page of one ranking must not continue another.
  const v1::RetrievalOptions& r = request.retrieval();
  mix(r.has_semantic_ratio() ? absl::StrCat(r.semantic_ratio()) : "-");
  mix(absl::StrCat(static_cast<int>(r.fusion())));
  for (float x : r.query_vector()) mix(absl::StrCat(x));
  return h;
}


}  // namespace

absl::Status CheckPageSize(int value, int max, absl::string_view field) {
  if (value < 0 || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is ", value, "; it must be between 1 and ", WithThousands(max), " (0 = default)"));
  }
  return absl::OkStatus();
}

absl::Status CheckKnowledgeBase(const std::string& name) {
  if (name.empty() || name == "default") return absl::OkStatus();
  return absl::NotFoundError(absl::StrCat("knowledge base '", name.substr(0, 64),
                                          "' does not exist; this server serves only 'default'"));
}

absl::StatusOr<Filters> ParseFilters(const google::protobuf::RepeatedPtrField<v1::FieldFilter>& filters,
                                     const RequestLimits& limits) {
  if (filters.size() > static_cast<int>(limits.max_filters)) {
    return absl::InvalidArgumentError(
        absl::StrCat(filters.size(), " filters given; the limit is ", limits.max_filters));
  }
  Filters out;
  for (const v1::FieldFilter& filter : filters) {
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(filter.field(), "filter field"));
    if (filter.values_size() > static_cast<int>(limits.max_filter_values)) {
      return absl::InvalidArgumentError(absl::StrCat("filter '", filter.field(), "' has ", filter.values_size(),
                                                     " values; the limit is ", limits.max_filter_values));
    }
    for (const std::string& value : filter.values()) {
      ZHIKU_RETURN_IF_ERROR(ValidateUtf8(value, absl::StrCat("value of filter '", filter.field(), "'")));
    }
    ZHIKU_RETURN_IF_ERROR(AddFilter(filter.field(), {filter.values().begin(), filter.values().end()}, &out));
  }
  return out;
}

std::string MakeSearchPageToken(const v1::SearchRequest& request, int offset) {
  return absl::WebSafeBase64Escape(absl::StrCat("s1:", offset, ":", Fingerprint(request)));
}

absl::StatusOr<SearchRequest> ParseSearchRequest(const v1::SearchRequest& request, const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  if (request.query().size() > limits.max_query_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("query is ", WithThousands(request.query().size()),
                                                   " bytes; the limit is ", WithThousands(limits.max_query_bytes)));
  }
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(request.query(), "query"));
  SearchRequest out;
  out.query = request.query();
  ZHIKU_ASSIGN_OR_RETURN(out.filters, ParseFilters(request.filters(), limits));
  ZHIKU_ASSIGN_OR_RETURN(out.retrieval, ParseRetrievalOptions(request.retrieval(), limits));
  ZHIKU_RETURN_IF_ERROR(CheckPageSize(request.page_size(), limits.max_page_size, "page_size"));
  out.limit = request.page_size() == 0 ? limits.default_page_size : request.page_size();

  if (!request.page_token().empty() && request.offset() != 0) {
    return absl::InvalidArgumentError("give either page_token or offset, not both");
  }
  int offset = request.offset();
  if (!request.page_token().empty()) {
    std::string raw;
    std::vector<absl::string_view> parts;
    if (absl::WebSafeBase64Unescape(request.page_token(), &raw)) parts = absl::StrSplit(raw, ':');
    uint64_t fingerprint = 0;
    if (parts.size() != 3 || parts[0] != "s1" || !absl::SimpleAtoi(parts[1], &offset) ||
        !absl::SimpleAtoi(parts[2], &fingerprint)) {
      return absl::InvalidArgumentError("page_token is malformed; pass next_page_token from a previous response");
    }
    if (fingerprint != Fingerprint(request)) {
      return absl::InvalidArgumentError(
          "page_token belongs to a different query or filters; start again without a page_token");
    }
  }
  if (offset < 0 || offset > limits.max_offset) {
    return absl::InvalidArgumentError(absl::StrCat("offset is ", offset, "; it must be between 0 and ",
                                                   WithThousands(limits.max_offset)));
  }
  out.offset = offset;

  const v1::HighlightOptions& highlight = request.highlight();
  for (const auto& [tag, name] : {std::pair{&highlight.pre_tag(), "highlight.pre_tag"},
                                  std::pair{&highlight.post_tag(), "highlight.post_tag"}}) {
    if (tag->size() > limits.max_tag_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " is ", tag->size(), " bytes; the limit is ", limits.max_tag_bytes));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(*tag, name));
  }
  if (!highlight.pre_tag().empty()) out.highlight.pre_tag = highlight.pre_tag();
  if (!highlight.post_tag().empty()) out.highlight.post_tag = highlight.post_tag();
  if (highlight.snippet_chars() < 0 || highlight.snippet_chars() > limits.max_snippet_chars) {
    return absl::InvalidArgumentError(absl::StrCat("highlight.snippet_chars is ", highlight.snippet_chars(),
                                                   "; it must be between 0 and ", limits.max_snippet_chars));
  }
  out.answer_snippet_chars =
      highlight.snippet_chars() == 0 ? limits.default_snippet_chars : highlight.snippet_chars();
  return out;
}

absl::StatusOr<RetrievalSettings> ParseRetrievalOptions(const v1::RetrievalOptions& options,
                                                        const RequestLimits& limits) {
  RetrievalSettings out;
  if (options.has_semantic_ratio()) {
    const double r = options.semantic_ratio();
    if (!(r >= 0.0 && r <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("retrieval.semantic_ratio is ", r,
                                                     "; it must be between 0 (keyword only) and 1 (vector only)"));
    }
    out.semantic_ratio = r;
  }
  switch (options.fusion()) {
    case v1::FUSION_METHOD_UNSPECIFIED:
      break;
    case v1::FUSION_METHOD_RRF:
      out.fusion = FusionMethod::kRrf;
      break;
    case v1::FUSION_METHOD_WEIGHTED:
      out.fusion = FusionMethod::kWeighted;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("retrieval.fusion is ", static_cast<int>(options.fusion()),
                                                     "; use FUSION_METHOD_RRF (1) or FUSION_METHOD_WEIGHTED (2)"));
  }
  if (static_cast<size_t>(options.query_vector_size()) > limits.max_query_vector_dim) {
    return absl::InvalidArgumentError(absl::StrCat("retrieval.query_vector has ", options.query_vector_size(),
                                                   " dimensions; the limit is ", limits.max_query_vector_dim));
  }
  for (int i = 0; i < options.query_vector_size(); ++i) {
    if (!std::isfinite(options.query_vector(i))) {
      return absl::InvalidArgumentError(absl::StrCat("retrieval.query_vector[", i, "] is not a finite number"));
    }
  }
  out.query_vector.assign(options.query_vector().begin(), options.query_vector().end());
  out.explain = options.explain();
  return out;
}

absl::StatusOr<AnswerRequest> ParseAnswerRequest(const v1::AnswerRequest& request, const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  if (request.query().size() > limits.max_query_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("query is ", WithThousands(request.query().size()),
                                                   " bytes; the limit is ", WithThousands(limits.max_query_bytes)));
  }
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(request.query(), "query"));
  AnswerRequest out;
  out.query = request.query();
  ZHIKU_ASSIGN_OR_RETURN(out.filters, ParseFilters(request.filters(), limits));
  ZHIKU_ASSIGN_OR_RETURN(out.retrieval, ParseRetrievalOptions(request.retrieval(), limits));
  const v1::AnswerThresholds& t = request.thresholds();
  if (t.has_answer_precision()) {
    if (!(t.answer_precision() > 0.0 && t.answer_precision() < 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat("thresholds.answer_precision is ", t.answer_precision(),
                                                     "; it must be between 0 and 1 (exclusive), e.g. 0.9"));
    }
    out.thresholds.answer_precision = t.answer_precision();
  }
  for (const auto& [has, value, name] :
       {std::tuple{t.has_answer_confidence(), t.answer_confidence(), "thresholds.answer_confidence"},
        std::tuple{t.has_suggest_confidence(), t.suggest_confidence(), "thresholds.suggest_confidence"}}) {
    if (has && !(value >= 0.0 && value <= 1.0)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " is ", value, "; it must be between 0 and 1"));
    }
  }
  if (t.has_answer_confidence()) out.thresholds.answer_confidence = t.answer_confidence();
  if (t.has_suggest_confidence()) out.thresholds.suggest_confidence = t.suggest_confidence();
  if (t.has_answer_confidence() && t.has_suggest_confidence() && t.suggest_confidence() > t.answer_confidence()) {
    return absl::InvalidArgumentError(absl::StrCat("thresholds.suggest_confidence (", t.suggest_confidence(),
                                                   ") is above thresholds.answer_confidence (", t.answer_confidence(),
                                                   "); it must not be"));
  }
  if (static_cast<size_t>(request.context_size()) > limits.max_context_turns) {
    return absl::InvalidArgumentError(absl::StrCat("context has ", request.context_size(),
                                                   " turns; the limit is ", limits.max_context_turns));
  }
  for (int i = 0; i < request.context_size(); ++i) {
    const v1::ConversationTurn& turn = request.context(i);
    if (turn.role() != "customer" && turn.role() != "agent") {
      return absl::InvalidArgumentError(absl::StrCat("context[", i, "].role is '", turn.role().substr(0, 32),
                                                     "'; it must be 'customer' or 'agent'"));
    }
    if (turn.text().size() > limits.max_query_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("context[", i, "].text is ", WithThousands(turn.text().size()),
                                                     " bytes; the limit is ", WithThousands(limits.max_query_bytes)));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(turn.text(), absl::StrCat("context[", i, "].text")));
  }
  return out;
}

absl::StatusOr<SuggestQuery> ParseSuggestRequest(const v1::SuggestRequest& request, const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  if (request.prefix().size() > limits.max_prefix_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("prefix is ", WithThousands(request.prefix().size()),
                                                   " bytes; the limit is ", limits.max_prefix_bytes));
  }
  ZHIKU_RETURN_IF_ERROR(ValidateUtf8(request.prefix(), "prefix"));
  if (request.limit() < 0 || request.limit() > limits.max_suggestions) {
    return absl::InvalidArgumentError(absl::StrCat("limit is ", request.limit(), "; it must be between 1 and ",
                                                   limits.max_suggestions, " (0 = default)"));
  }
  SuggestQuery out;
  out.prefix = request.prefix();
  out.limit = request.limit() == 0 ? limits.default_suggestions : request.limit();
  ZHIKU_ASSIGN_OR_RETURN(out.filters, ParseFilters(request.filters(), limits));
  return out;
}

std::string MakeListPageToken(const std::string& after_id) {
  return after_id.empty() ? "" : absl::WebSafeBase64Escape(absl::StrCat("l1:", after_id));
}

absl::StatusOr<ListEntriesRequest> ParseListEntriesRequest(const v1::ListEntriesRequest& request,
                                                           const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  ListEntriesRequest out;
  ZHIKU_ASSIGN_OR_RETURN(out.filters, ParseFilters(request.filters(), limits));
  ZHIKU_RETURN_IF_ERROR(CheckPageSize(request.page_size(), limits.max_list_page_size, "page_size"));
  out.limit = request.page_size() == 0 ? limits.default_list_page_size : request.page_size();
  if (!request.page_token().empty()) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(request.page_token(), &raw) || !absl::StartsWith(raw, "l1:")) {
      return absl::InvalidArgumentError("page_token is malformed; pass next_page_token from a previous response");
    }
    out.after_id = raw.substr(3);
  }
  return out;
}

absl::Status ValidateEmbedRequest(const v1::EmbedRequest& request, const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  const size_t n = static_cast<size_t>(request.texts_size());
  if (n == 0) return absl::InvalidArgumentError("texts is empty; pass at least one text to embed");
  if (n > limits.max_embed_texts) {
    return absl::InvalidArgumentError(absl::StrCat("texts has ", WithThousands(n), " texts; the limit is ",
                                                   WithThousands(limits.max_embed_texts),
                                                   " per call: send them in batches"));
  }
  for (size_t i = 0; i < n; ++i) {
    const std::string& text = request.texts(static_cast<int>(i));
    if (text.size() > limits.max_query_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("texts[", i, "] is ", WithThousands(text.size()),
                                                     " bytes; the limit is ", WithThousands(limits.max_query_bytes)));
    }
    ZHIKU_RETURN_IF_ERROR(ValidateUtf8(text, absl::StrCat("texts[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status ValidateDraftEdit(const DraftEdit& edit) {
  const EntryLimits limits;
  if (edit.question.has_value() && edit.question->size() > limits.max_question_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("question is ", WithThousands(edit.question->size()),
                                                   " bytes; the limit is ", WithThousands(limits.max_question_bytes)));
  }
  if (edit.answer.has_value() && edit.answer->size() > limits.max_answer_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("answer is ", WithThousands(edit.answer->size()),
                                                   " bytes; the limit is ", WithThousands(limits.max_answer_bytes)));
  }
  if (!edit.variants.has_value()) return absl::OkStatus();
  if (edit.variants->size() > limits.max_variants) {
    return absl::InvalidArgumentError(absl::StrCat("variants has ", edit.variants->size(),
                                                   " phrasings; the limit is ", limits.max_variants));
  }
  for (size_t i = 0; i < edit.variants->size(); ++i) {
    const size_t bytes = (*edit.variants)[i].size();
    if (bytes > limits.max_variant_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("variants[", i, "] is ", WithThousands(bytes),
                                                     " bytes; the limit is ", WithThousands(limits.max_variant_bytes)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCorpusText(absl::string_view text, const RequestLimits& limits) {
  if (text.size() <= limits.max_corpus_text_bytes) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("\"text\" is ", WithThousands(text.size()),
                                                 " bytes; the limit for a corpus message is ",
                                                 WithThousands(limits.max_corpus_text_bytes), " bytes"));
}

absl::Status ValidateEntryId(const std::string& id, const RequestLimits& limits) {
  if (id.empty()) return absl::InvalidArgumentError("id is empty; pass the id of an entry");
  if (id.size() > limits.max_id_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("id is ", WithThousands(id.size()), " bytes; the limit is ", limits.max_id_bytes));
  }
  return ValidateUtf8(id, "id");
}

namespace {

absl::Status CheckDraftText(const std::string& text, size_t limit, absl::string_view field) {
  if (text.size() > limit) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", WithThousands(text.size()),
                                                   " bytes; the limit is ", WithThousands(limit)));
  }
  return ValidateUtf8(text, field);
}

absl::Status CheckDraftList(const google::protobuf::RepeatedPtrField<std::string>& values, size_t max_count,
                            absl::string_view unit, size_t max_bytes, absl::string_view field) {
  if (static_cast<size_t>(values.size()) > max_count) {
    return absl::InvalidArgumentError(absl::StrCat(field, " has ", WithThousands(values.size()), " ", unit,
                                                   "; the limit is ", WithThousands(max_count), " per draft"));
  }
  for (int i = 0; i < values.size(); ++i) {
    ZHIKU_RETURN_IF_ERROR(CheckDraftText(values[i], max_bytes, absl::StrCat(field, "[", i, "]")));
  }
  return absl::OkStatus();
}

absl::Status CheckSubmittedDraft(const v1::Draft& d, const std::string& where, const RequestLimits& limits) {
  if (d.question().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".question is empty; every draft needs a question"));
  }
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.draft_id(), limits.max_id_bytes, where + ".draft_id"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.question(), limits.max_draft_phrasing_bytes, where + ".question"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftList(d.variants(), limits.max_draft_variants, "variants",
                                       limits.max_draft_phrasing_bytes, where + ".variants"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.answer(), limits.max_draft_answer_bytes, where + ".answer"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftList(d.answer_alternatives(), limits.max_draft_answer_alternatives, "answers",
                                       limits.max_draft_answer_bytes, where + ".answer_alternatives"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftList(d.message_ids(), limits.max_draft_evidence_ids, "ids",
                                       limits.max_id_bytes, where + ".message_ids"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftList(d.conversation_ids(), limits.max_draft_evidence_ids, "ids",
                                       limits.max_id_bytes, where + ".conversation_ids"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.covered_by(), limits.max_id_bytes, where + ".covered_by"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.first_seen(), limits.max_id_bytes, where + ".first_seen"));
  ZHIKU_RETURN_IF_ERROR(CheckDraftText(d.last_seen(), limits.max_id_bytes, where + ".last_seen"));
  if (d.frequency() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".frequency is ", d.frequency(), "; it must be >= 0"));
  }
  if (!std::isfinite(d.trend())) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".trend is not a finite number"));
  }
  if (!std::isfinite(d.covered_score())) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".covered_score is not a finite number"));
  }
  return absl::OkStatus();
}

// What a draft page token is bound to: statuses, coverage and sort.
std::string DraftQueryKey(const v1::ListDraftsRequest& request) {
  std::string key;
  for (int status : request.statuses()) absl::StrAppend(&key, status, ",");
  absl::StrAppend(&key, "|", static_cast<int>(request.coverage()), "|", static_cast<int>(request.sort()));
  return key;
}

}  // namespace

absl::StatusOr<std::vector<Draft>> ParseSubmitDraftsRequest(const v1::SubmitDraftsRequest& request,
                                                           const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  if (request.drafts().empty()) {
    return absl::InvalidArgumentError("drafts is empty; submit at least one draft");
  }
  if (static_cast<size_t>(request.drafts_size()) > limits.max_drafts_per_submit) {
    return absl::InvalidArgumentError(absl::StrCat("drafts has ", WithThousands(request.drafts_size()),
                                                   " drafts; the limit is ",
                                                   WithThousands(limits.max_drafts_per_submit),
                                                   " per call (send them in batches)"));
  }
  std::vector<Draft> drafts;
  drafts.reserve(request.drafts_size());
  for (int i = 0; i < request.drafts_size(); ++i) {
    ZHIKU_RETURN_IF_ERROR(CheckSubmittedDraft(request.drafts(i), absl::StrCat("drafts[", i, "]"), limits));
    drafts.push_back(DraftFromProto(request.drafts(i)));
  }
  return drafts;
}

absl::StatusOr<ListDraftsRequest> ParseListDraftsRequest(const v1::ListDraftsRequest& request,
                                                         const RequestLimits& limits) {
  ZHIKU_RETURN_IF_ERROR(CheckKnowledgeBase(request.knowledge_base()));
  ListDraftsRequest out;
  if (!request.statuses().empty()) out.statuses.clear();
  for (int i = 0; i < request.statuses_size(); ++i) {
    const int status = request.statuses(i);
    if (status < v1::DRAFT_STATUS_NEW || status > v1::DRAFT_STATUS_MERGED) {
      return absl::InvalidArgumentError(absl::StrCat("statuses[", i, "] is ", status,
                                                     "; use DRAFT_STATUS_NEW (1) to DRAFT_STATUS_MERGED (5)"));
    }
    out.statuses.push_back(static_cast<DraftStatus>(status));
  }
  switch (request.coverage()) {
    case v1::DRAFT_COVERAGE_UNSPECIFIED: out.coverage = CoverageFilter::kAny; break;
    case v1::DRAFT_COVERAGE_COVERED: out.coverage = CoverageFilter::kCovered; break;
    case v1::DRAFT_COVERAGE_UNCOVERED: out.coverage = CoverageFilter::kUncovered; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("coverage is ", static_cast<int>(request.coverage()),
                                                     "; use 0 (any), 1 (covered) or 2 (uncovered)"));
  }
  switch (request.sort()) {
    case v1::DRAFT_SORT_UNSPECIFIED:
    case v1::DRAFT_SORT_FREQUENCY: out.sort = DraftSortKey::kFrequency; break;
    case v1::DRAFT_SORT_LAST_SEEN: out.sort = DraftSortKey::kLastSeen; break;
    case v1::DRAFT_SORT_TREND: out.sort = DraftSortKey::kTrend; break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("sort is ", static_cast<int>(request.sort()),
                                                     "; use DRAFT_SORT_FREQUENCY, _LAST_SEEN or _TREND"));
  }
  ZHIKU_RETURN_IF_ERROR(CheckPageSize(request.page_size(), limits.max_list_page_size, "page_size"));
  out.limit = request.page_size() == 0 ? limits.default_list_page_size : request.page_size();
  if (!request.page_token().empty()) {
    std::string raw;
    nlohmann::json token;
    if (absl::WebSafeBase64Unescape(request.page_token(), &raw)) {
      token = nlohmann::json::parse(raw, nullptr, /*allow_exceptions=*/false);
    }
    if (!token.is_object() || !token.contains("q") || !token["q"].is_string() || !token.contains("i") ||
        !token["i"].is_string() || !token.contains("n") || !token["n"].is_number_integer() ||
        !token.contains("l") || !token["l"].is_string() || !token.contains("t") || !token["t"].is_number()) {
      return absl::InvalidArgumentError("page_token is malformed; pass next_page_token from a previous response");
    }
    if (token["q"].get<std::string>() != DraftQueryKey(request)) {
      return absl::InvalidArgumentError(
          "page_token belongs to other statuses, coverage or sort; start again without a page_token");
    }
    out.after = DraftCursor{token["n"].get<int64_t>(), token["l"].get<std::string>(), token["t"].get<double>(),
                            token["i"].get<std::string>()};
  }
  return out;
}

std::string MakeDraftPageToken(const v1::ListDraftsRequest& request, const DraftCursor& cursor) {
  nlohmann::json token;
  token["q"] = DraftQueryKey(request);
  token["n"] = cursor.frequency;
  token["l"] = cursor.last_seen;
  token["t"] = cursor.trend;
  token["i"] = cursor.draft_id;
  return absl::WebSafeBase64Escape(token.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

absl::Status ValidateDraftId(const std::string& id, const RequestLimits& limits) {
  if (id.empty()) return absl::InvalidArgumentError("draft_id is empty; pass the id of a draft");
  if (id.size() > limits.max_id_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("draft_id is ", WithThousands(id.size()), " bytes; the limit is ", limits.max_id_bytes));
  }
  return ValidateUtf8(id, "draft_id");
}

absl::Status CheckRejectReason(const std::string& reason, const RequestLimits& limits) {
  return CheckDraftText(reason, limits.max_reject_reason_bytes, "reason");
}

}  // namespace zhiku
