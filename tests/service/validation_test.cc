#include "service/validation.h"

#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/convert.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

TEST(WithThousands, GroupsDigits) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(4096), "4,096");
  EXPECT_EQ(WithThousands(1048576), "1,048,576");
  EXPECT_EQ(WithThousands(-70000), "-70,000");
}

struct BadSearchCase {
  const char* name;
  void (*mutate)(v1::SearchRequest*);
  const char* message_part;
};

TEST(ParseSearchRequest, RejectsOutOfRangeRequestsNamingTheLimit) {
  const BadSearchCase cases[] = {
      {"long query", [](v1::SearchRequest* r) { r->set_query(std::string(5000, 'x')); }, "5,000 bytes; the limit is 4,096"},
      {"invalid utf-8", [](v1::SearchRequest* r) { r->set_query("\xc3\x28"); }, "query"},
      {"negative page size", [](v1::SearchRequest* r) { r->set_page_size(-1); }, "page_size"},
      {"page size too big", [](v1::SearchRequest* r) { r->set_page_size(101); }, "between 1 and 100"},
      {"offset too big", [](v1::SearchRequest* r) { r->set_offset(10001); }, "10,000"},
      {"token and offset", [](v1::SearchRequest* r) { r->set_offset(5); r->set_page_token("abc"); }, "not both"},
      {"garbage token", [](v1::SearchRequest* r) { r->set_page_token("!!!"); }, "malformed"},
      {"unknown filter", [](v1::SearchRequest* r) { r->add_filters()->set_field("price"); }, "price"},
      {"long pre tag", [](v1::SearchRequest* r) { r->mutable_highlight()->set_pre_tag(std::string(40, '<')); }, "pre_tag"},
      {"snippet too long", [](v1::SearchRequest* r) { r->mutable_highlight()->set_snippet_chars(5000); }, "snippet_chars"},
      {"query vector too long",
       [](v1::SearchRequest* r) {
         for (int i = 0; i < 4097; ++i) r->mutable_retrieval()->add_query_vector(0.5f);
       },
       "retrieval.query_vector has 4097 dimensions; the limit is 4096"},
      {"query vector nan",
       [](v1::SearchRequest* r) {
         r->mutable_retrieval()->add_query_vector(1);
         r->mutable_retrieval()->add_query_vector(std::numeric_limits<float>::quiet_NaN());
       },
       "retrieval.query_vector[1] is not a finite number"},
      {"query vector infinite",
       [](v1::SearchRequest* r) { r->mutable_retrieval()->add_query_vector(-std::numeric_limits<float>::infinity()); },
       "retrieval.query_vector[0] is not a finite number"},
  };
  for (const BadSearchCase& c : cases) {
    v1::SearchRequest request;
    request.set_query("退货");
    c.mutate(&request);
    absl::StatusOr<SearchRequest> parsed = ParseSearchRequest(request, RequestLimits{});
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.message_part)) << c.name;
  }
}

TEST(ParseSearchRequest, QueryVectorAtTheLimitIsKept) {
  v1::SearchRequest request;
  for (int i = 0; i < 4096; ++i) request.mutable_retrieval()->add_query_vector(i % 7 - 3.5f);
  absl::StatusOr<SearchRequest> parsed = ParseSearchRequest(request, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->retrieval.query_vector.size(), 4096u);
  EXPECT_EQ(parsed->retrieval.query_vector[1], -2.5f);
}

TEST(ParseAnswerRequest, RejectsANonFiniteQueryVector) {
  v1::AnswerRequest request;
  request.set_query("退货");
  request.mutable_retrieval()->add_query_vector(std::numeric_limits<float>::infinity());
  absl::StatusOr<AnswerRequest> parsed = ParseAnswerRequest(request, RequestLimits{});
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("retrieval.query_vector[0] is not a finite number"));
}

TEST(ConvertEntry, VectorsRoundTripThroughTheProto) {
  v1::Entry proto;
  proto.set_id("a");
  proto.set_question("q");
  proto.add_variants("v");
  proto.add_vectors()->add_values(0.25f);
  proto.mutable_vectors(0)->add_values(-1);
  proto.add_vectors()->add_values(3);
  proto.mutable_vectors(1)->add_values(4);
  const Entry entry = FromProto(proto);
  EXPECT_EQ(entry.vectors, (std::vector<std::vector<float>>{{0.25f, -1}, {3, 4}}));

  v1::Entry back;
  ToProto(entry, &back);
  ASSERT_EQ(back.vectors_size(), 2);
  EXPECT_THAT(back.vectors(1).values(), ::testing::ElementsAre(3, 4));
  // Search hits and answers leave them out.
  v1::Entry hit;
  ToProto(entry, &hit, ProtoVectors::kOmit);
  EXPECT_EQ(hit.vectors_size(), 0);
  EXPECT_EQ(hit.question(), "q");
}

TEST(ParseSearchRequest, AppliesDefaultsAndFilters) {
  v1::SearchRequest request;
  request.set_query("退货");
  v1::FieldFilter* filter = request.add_filters();
  filter->set_field("tags");
  filter->add_values("退货");
  absl::StatusOr<SearchRequest> parsed = ParseSearchRequest(request, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->limit, 10);
  EXPECT_EQ(parsed->offset, 0);
  EXPECT_EQ(parsed->highlight.pre_tag, "<em>");
  EXPECT_EQ(parsed->answer_snippet_chars, 120u);
  EXPECT_THAT(parsed->filters.tags, ::testing::ElementsAre("退货"));
}

TEST(ParseSearchRequest, PageTokenRoundTripsAndIsBoundToTheQuery) {
  v1::SearchRequest request;
  request.set_query("发票");
  request.set_page_token(MakeSearchPageToken(request, 20));
  absl::StatusOr<SearchRequest> parsed = ParseSearchRequest(request, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->offset, 20);
  request.set_query("退货");
  EXPECT_EQ(ParseSearchRequest(request, RequestLimits{}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseSuggestRequest, ChecksPrefixAndLimit) {
  v1::SuggestRequest request;
  request.set_prefix(std::string(300, 'a'));
  EXPECT_THAT(std::string(ParseSuggestRequest(request, RequestLimits{}).status().message()),
              HasSubstr("the limit is 256"));
  request.set_prefix("退");
  request.set_limit(11);
  EXPECT_EQ(ParseSuggestRequest(request, RequestLimits{}).status().code(), absl::StatusCode::kInvalidArgument);
  request.set_limit(0);
  absl::StatusOr<SuggestQuery> parsed = ParseSuggestRequest(request, RequestLimits{});
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->limit, 8);
}

TEST(ParseListEntriesRequest, PageTokenRoundTrips) {
  v1::ListEntriesRequest request;
  request.set_page_token(MakeListPageToken("refund-time"));
  absl::StatusOr<ListEntriesRequest> parsed = ParseListEntriesRequest(request, RequestLimits{});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->after_id, "refund-time");
  EXPECT_EQ(parsed->limit, 50);
  request.set_page_size(1001);
  EXPECT_EQ(ParseListEntriesRequest(request, RequestLimits{}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CheckKnowledgeBase, OnlyTheDefaultExists) {
  EXPECT_TRUE(CheckKnowledgeBase("").ok());
  EXPECT_TRUE(CheckKnowledgeBase("default").ok());
  EXPECT_EQ(CheckKnowledgeBase("other").code(), absl::StatusCode::kNotFound);
}

TEST(ValidateEmbedRequest, ChecksCountSizeEncodingAndKnowledgeBase) {
  RequestLimits limits;
  v1::EmbedRequest request;
  absl::Status empty = ValidateEmbedRequest(request, limits);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(empty.message(), HasSubstr("at least one text"));

  request.add_texts("退款多久到账");
  request.add_texts("where is my card");
  EXPECT_TRUE(ValidateEmbedRequest(request, limits).ok());

  v1::EmbedRequest too_many;
  for (size_t i = 0; i <= limits.max_embed_texts; ++i) too_many.add_texts("text");
  absl::Status many = ValidateEmbedRequest(too_many, limits);
  EXPECT_EQ(many.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(many.message(), HasSubstr("1,001 texts; the limit is 1,000"));

  v1::EmbedRequest long_text = request;
  long_text.add_texts(std::string(limits.max_query_bytes + 1, 'x'));
  absl::Status too_long = ValidateEmbedRequest(long_text, limits);
  EXPECT_EQ(too_long.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(too_long.message(), HasSubstr("texts[2] is 4,097 bytes; the limit is 4,096"));

  v1::EmbedRequest bad_utf8 = request;
  bad_utf8.set_texts(1, "\xc3\x28");
  absl::Status encoding = ValidateEmbedRequest(bad_utf8, limits);
  EXPECT_EQ(encoding.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(encoding.message(), HasSubstr("texts[1]"));

  v1::EmbedRequest other = request;
  other.set_knowledge_base("other");
  EXPECT_EQ(ValidateEmbedRequest(other, limits).code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace zhiku
