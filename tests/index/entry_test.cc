#include "index/entry.h"

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/filters.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

Entry ValidEntry() {
  Entry entry;
  entry.id = "refund-1";
  entry.question = "如何申请退款？";
  entry.variants = {"退款怎么申请", "how do I get a refund"};
  entry.answer = "在订单页点击“申请退款”。";
  entry.category = "售后";
  entry.tags = {"refund", "订单"};
  entry.locale = "zh-CN";
  entry.channel = "app";
  return entry;
}

// ---- ValidateUtf8

struct Utf8Case {
  const char* name;
  std::string text;
  bool ok;
  int bad_offset = -1;
};

TEST(ValidateUtf8, AcceptsWellFormedAndRejectsIllFormedWithOffset) {
  const Utf8Case cases[] = {
      {"empty", "", true},
      {"ascii", "hello", true},
      {"chinese", "退款", true},
      {"four_byte_emoji", "ok \xF0\x9F\x98\x80", true},
      {"max_code_point", "\xF4\x8F\xBF\xBF", true},
      {"lone_continuation", "ab\x80", false, 2},
      {"invalid_byte_ff", "\xFF", false, 0},
      {"overlong_two_byte_slash", "a\xC0\xAF", false, 1},
      {"overlong_three_byte", "\xE0\x80\xAF", false, 0},
      {"overlong_four_byte", "\xF0\x80\x80\xAF", false, 0},
      {"surrogate_high", "x\xED\xA0\x80", false, 1},
      {"surrogate_low", "\xED\xBF\xBF", false, 0},
      {"above_max_code_point", "\xF4\x90\x80\x80", false, 0},
      {"five_byte_lead", "\xF8\x88\x80\x80\x80", false, 0},
      {"truncated_at_end", "退\xE6\xAC", false, 3},
      {"truncated_before_ascii", "\xE6\xAC" "a", false, 0},
      // Regression guard: a valid character after an invalid one must not
      // move the reported offset.
      {"bad_then_good", "ab\xC3(退", false, 2},
  };
  for (const Utf8Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::Status status = ValidateUtf8(c.text, "question");
    if (c.ok) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr("question is not valid UTF-8"));
    EXPECT_THAT(status.message(), HasSubstr("byte offset " + std::to_string(c.bad_offset)));
  }
}

// ---- ValidateEntry

struct ValidateCase {
  const char* name;
  std::function<void(Entry&)> mutate;
  std::vector<std::string> message_parts;  // empty: expect OK
};

TEST(ValidateEntry, ChecksEveryFieldAndNamesTheLimit) {
  const ValidateCase cases[] = {
      {"valid", [](Entry&) {}, {}},
      {"empty_id_is_assigned_by_store", [](Entry& e) { e.id.clear(); }, {}},
      {"id_with_all_allowed_chars", [](Entry& e) { e.id = "Az09._:-"; }, {}},
      {"id_with_space", [](Entry& e) { e.id = "a b"; }, {"id has byte 0x20 at byte offset 1", "printable ASCII"}},
      {"id_with_tab", [](Entry& e) { e.id = "a\tb"; }, {"byte offset 1"}},
      {"id_with_delete_char", [](Entry& e) { e.id = "ab\x7f"; }, {"byte 0x7F at byte offset 2"}},
      {"id_non_ascii", [](Entry& e) { e.id = "退款"; }, {"id has byte 0xE9 at byte offset 0"}},
      {"id_too_long", [](Entry& e) { e.id = std::string(129, 'a'); }, {"id is 129 bytes; the limit is 128"}},
      {"blank_question", [](Entry& e) { e.question = ""; }, {"entry 'refund-1': question is blank"}},
      {"whitespace_question", [](Entry& e) { e.question = " \t\n"; }, {"question is blank"}},
      // Ideographic space (U+3000) is what CJK input methods type.
      {"ideographic_space_question", [](Entry& e) { e.question = "\xE3\x80\x80"; }, {"question is blank"}},
      {"question_invalid_utf8", [](Entry& e) { e.question = "ab\xFF"; },
       {"entry 'refund-1': question is not valid UTF-8", "byte offset 2"}},
      {"variant_invalid_utf8", [](Entry& e) { e.variants[1] = "\xC0\xAF"; },
       {"variants[1] is not valid UTF-8", "overlong", "byte offset 0"}},
      {"answer_invalid_utf8", [](Entry& e) { e.answer = "ok\xED\xA0\x80"; },
       {"answer is not valid UTF-8", "surrogate", "byte offset 2"}},
      {"category_invalid_utf8", [](Entry& e) { e.category = "\x80"; }, {"category is not valid UTF-8"}},
      {"tag_invalid_utf8", [](Entry& e) { e.tags[1] = "x\xF4\x90\x80\x80"; },
       {"tags[1] is not valid UTF-8", "above U+10FFFF", "byte offset 1"}},
      {"locale_invalid_utf8", [](Entry& e) { e.locale = "zh\xE6"; }, {"locale is not valid UTF-8"}},
      {"channel_invalid_utf8", [](Entry& e) { e.channel = "\xFE"; }, {"channel is not valid UTF-8"}},
      {"question_at_limit", [](Entry& e) { e.question = std::string(1024, 'q'); }, {}},
      {"question_too_long", [](Entry& e) { e.question = std::string(1025, 'q'); },
       {"question is 1,025 bytes; the limit is 1,024"}},
      {"answer_too_long", [](Entry& e) { e.answer = std::string(70000, 'a'); },
       {"entry 'refund-1': answer is 70,000 bytes; the limit is 65,536"}},
      {"variant_too_long", [](Entry& e) { e.variants[0] = std::string(2000, 'v'); },
       {"variants[0] is 2,000 bytes; the limit is 1,024"}},
      {"too_many_variants", [](Entry& e) { e.variants.assign(201, "v"); },
       {"201 variants; the limit is 200"}},
      {"too_many_tags", [](Entry& e) { e.tags.assign(33, "t"); }, {"33 tags; the limit is 32"}},
      {"tag_too_long", [](Entry& e) { e.tags[0] = std::string(129, 't'); },
       {"tags[0] is 129 bytes; the limit is 128"}},
      {"category_too_long", [](Entry& e) { e.category = std::string(129, 'c'); },
       {"category is 129 bytes; the limit is 128"}},
      {"locale_too_long", [](Entry& e) { e.locale = std::string(200, 'l'); }, {"locale is 200 bytes"}},
      {"channel_too_long", [](Entry& e) { e.channel = std::string(200, 'c'); }, {"channel is 200 bytes"}},
      {"new_entry_label", [](Entry& e) { e.id.clear(), e.question.clear(); }, {"new entry: question is blank"}},
      // Bring-your-own vectors: ValidEntry has a question and 2 variants.
      {"one_vector_for_the_entry", [](Entry& e) { e.vectors = {{0.1f, 0.2f}}; }, {}},
      {"one_vector_per_phrasing", [](Entry& e) { e.vectors = {{1, 0}, {0, 1}, {1, 1}}; }, {}},
      {"vector_count_neither_one_nor_phrasings", [](Entry& e) { e.vectors = {{1, 0}, {0, 1}}; },
       {"entry 'refund-1': 2 vectors given; give 1 (for the whole entry) or 3", "2 variants"}},
      {"vector_empty", [](Entry& e) { e.vectors = {{}}; }, {"vectors[0] has 0 values; a vector has 1 to 4,096"}},
      {"vector_at_dim_limit", [](Entry& e) { e.vectors = {std::vector<float>(4096, 0.5f)}; }, {}},
      {"vector_over_dim_limit", [](Entry& e) { e.vectors = {std::vector<float>(4097, 0.5f)}; },
       {"vectors[0] has 4,097 values; a vector has 1 to 4,096"}},
      {"vector_lengths_differ", [](Entry& e) { e.vectors = {{1, 0}, {0, 1, 0}, {1, 1}}; },
       {"vectors[1] has 3 values but vectors[0] has 2"}},
      {"vector_nan", [](Entry& e) { e.vectors = {{1, std::numeric_limits<float>::quiet_NaN()}}; },
       {"vectors[0][1] is not a finite number"}},
      {"vector_infinity", [](Entry& e) { e.vectors = {{1, 0}, {0, 1}, {-std::numeric_limits<float>::infinity(), 0}}; },
       {"vectors[2][0] is not a finite number"}},
      // A zero vector has no cosine with anything: it would silently never match.
      {"vector_all_zeros", [](Entry& e) { e.vectors = {{0, 0, 0}}; }, {"vectors[0] is all zeros"}},
  };
  for (const ValidateCase& c : cases) {
    SCOPED_TRACE(c.name);
    Entry entry = ValidEntry();
    c.mutate(entry);
    absl::Status status = ValidateEntry(entry);
    if (c.message_parts.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    for (const std::string& part : c.message_parts) EXPECT_THAT(status.message(), HasSubstr(part));
    EXPECT_TRUE(ValidateUtf8(status.message(), "message").ok()) << "messages must stay printable";
  }
}

TEST(ValidateEntry, HonoursCustomLimits) {
  EntryLimits limits;
  limits.max_answer_bytes = 10;
  Entry entry = ValidEntry();
  entry.answer = "0123456789A";
  absl::Status status = ValidateEntry(entry, limits);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("answer is 11 bytes; the limit is 10"));
}

// ---- CanonicalizeEntry

TEST(CanonicalizeEntry, TrimsAndDropsEmptyAndDuplicateVariants) {
  Entry entry = ValidEntry();
  entry.question = "  \xE3\x80\x80如何申请退款？\t\n";
  entry.variants = {" 退款怎么申请 ", "", "   ", "如何申请退款？", "退款怎么申请", "Refund?", "refund?",
                    "\xEF\xBB\xBFRefund?"};
  const Entry canonical = CanonicalizeEntry(entry);
  EXPECT_EQ(canonical.question, "如何申请退款？");
  // Exact comparison: "refund?" differs from "Refund?" by case and stays.
  EXPECT_EQ(canonical.variants, (std::vector<std::string>{"退款怎么申请", "Refund?", "refund?"}));
  EXPECT_EQ(canonical.answer, entry.answer);
  EXPECT_EQ(canonical.tags, entry.tags);
}

TEST(CanonicalizeEntry, IsIdempotent) {
  Entry entry = ValidEntry();
  entry.variants = {" a", "a ", "b"};
  const Entry once = CanonicalizeEntry(entry);
  EXPECT_EQ(CanonicalizeEntry(once), once);
}

TEST(CanonicalizeEntry, DropsTheVectorOfADroppedVariant) {
  Entry entry = ValidEntry();
  entry.variants = {"a", "", "a", "b"};
  entry.vectors = {{0, 1}, {1, 0}, {2, 0}, {3, 0}, {4, 0}};
  const Entry canonical = CanonicalizeEntry(entry);
  EXPECT_EQ(canonical.variants, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(canonical.vectors, (std::vector<std::vector<float>>{{0, 1}, {1, 0}, {4, 0}}));
  ZHIKU_EXPECT_OK(ValidateEntry(canonical));
}

TEST(CanonicalizeEntry, KeepsOneVectorForTheWholeEntry) {
  Entry entry = ValidEntry();
  entry.variants = {"a", "a"};
  entry.vectors = {{0.5f, 0.5f}};
  EXPECT_EQ(CanonicalizeEntry(entry).vectors, entry.vectors);
}

TEST(CanonicalizeEntry, KeepsInvalidUtf8Invalid) {
  Entry entry = ValidEntry();
  entry.question = "\xE6\xAC \xE3\x80\x80";
  EXPECT_FALSE(ValidateEntry(CanonicalizeEntry(entry)).ok());
}

// ---- EntryFromJsonLine

struct JsonCase {
  const char* name;
  std::string line;
  std::vector<std::string> message_parts;  // empty: expect OK
};

TEST(EntryFromJsonLine, ParsesGoodLinesAndExplainsBadOnes) {
  const JsonCase cases[] = {
      {"minimal", R"({"question":"q"})", {}},
      {"spaces_like_the_datasets", R"({"id": "bq-0", "question": "可以换个手机号码审核吗？", "variants": ["电话号码已更改"]})", {}},
      {"unknown_keys_ignored", R"({"question":"q","score":3,"extra":{"a":[1,2]}})", {}},
      {"null_means_absent", R"({"question":"q","variants":null,"answer":null})", {}},
      {"empty_arrays", R"({"question":"q","variants":[],"tags":[]})", {}},
      {"missing_question", R"({"id":"a","answer":"x"})", {"missing \"question\""}},
      {"null_question", R"({"question":null})", {"missing \"question\""}},
      {"question_number", R"({"question":5})", {"\"question\" must be a string, not number"}},
      {"variants_string", R"({"question":"q","variants":"x"})", {"\"variants\" must be an array of strings, not string"}},
      {"variants_item_number", R"({"question":"q","variants":["a",2]})", {"\"variants[1]\" must be a string, not number"}},
      {"tags_object", R"({"question":"q","tags":{}})", {"\"tags\" must be an array of strings, not object"}},
      {"id_number", R"({"question":"q","id":17})", {"\"id\" must be a string"}},
      {"answer_array", R"({"question":"q","answer":["a"]})", {"\"answer\" must be a string, not array"}},
      {"category_bool", R"({"question":"q","category":true})", {"\"category\" must be a string, not boolean"}},
      {"locale_number", R"({"question":"q","locale":1})", {"\"locale\""}},
      {"channel_number", R"({"question":"q","channel":1})", {"\"channel\""}},
      {"version_string", R"({"question":"q","version":"2"})", {"\"version\" must be an integer"}},
      {"created_at_float", R"({"question":"q","created_at":1.5})", {"\"created_at\" must be an integer"}},
      {"top_level_array", R"(["q"])", {"must be a JSON object, not array"}},
      {"top_level_string", R"("q")", {"must be a JSON object, not string"}},
      {"empty_line", "", {"invalid JSON", "parse error"}},
      {"truncated_object", R"({"question":"q")", {"invalid JSON", "parse error"}},
      {"not_json", "question: q", {"invalid JSON"}},
      {"trailing_garbage", R"({"question":"q"} x)", {"invalid JSON"}},
      {"single_quotes", "{'question':'q'}", {"invalid JSON"}},
      // Regression guard: nlohmann echoes the bytes it read; raw invalid UTF-8
      // must neither crash nor leak into the message.
      {"invalid_utf8_in_string", "{\"question\":\"a\xFF\"}", {"invalid JSON", "UTF-8"}},
      {"overlong_in_string", "{\"question\":\"\xC0\xAF\"}", {"invalid JSON"}},
      {"lone_surrogate_escape", R"({"question":"\ud800"})", {"invalid JSON", "surrogate"}},
      {"vectors", R"({"question":"q","vectors":[[0.1,-2,3e-3]]})", {}},
      {"vectors_null", R"({"question":"q","vectors":null})", {}},
      {"vectors_flat", R"({"question":"q","vectors":[0.1,0.2]})", {"\"vectors[0]\" must be an array of numbers, not number"}},
      {"vectors_object", R"({"question":"q","vectors":{}})", {"\"vectors\" must be an array of arrays of numbers"}},
      {"vectors_string_value", R"({"question":"q","vectors":[[1,"2"]]})", {"\"vectors[0][1]\" must be a number, not string"}},
      {"vectors_beyond_float32", R"({"question":"q","vectors":[[1,1e39]]})", {"\"vectors[0][1]\" is 1e+39, outside the float32 range"}},
  };
  for (const JsonCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Entry> entry = EntryFromJsonLine(c.line);
    if (c.message_parts.empty()) {
      EXPECT_TRUE(entry.ok()) << entry.status();
      continue;
    }
    ASSERT_FALSE(entry.ok());
    EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument) << entry.status();
    for (const std::string& part : c.message_parts) {
      EXPECT_THAT(entry.status().message(), HasSubstr(part));
    }
    EXPECT_TRUE(ValidateUtf8(entry.status().message(), "message").ok()) << entry.status();
    EXPECT_LE(entry.status().message().size(), 300u) << "messages stay short";
  }
}

TEST(EntryFromJsonLine, ReadsEveryField) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      Entry entry,
      EntryFromJsonLine(R"({"id":"card_arrival","question":"Where is my card?","variants":["card not here"],)"
                        R"("answer":"Cards arrive in 5 days.","category":"cards","tags":["card","delivery"],)"
                        R"("locale":"en","channel":"web","unknown":1})"));
  EXPECT_EQ(entry.id, "card_arrival");
  EXPECT_EQ(entry.question, "Where is my card?");
  EXPECT_EQ(entry.variants, std::vector<std::string>{"card not here"});
  EXPECT_EQ(entry.answer, "Cards arrive in 5 days.");
  EXPECT_EQ(entry.category, "cards");
  EXPECT_EQ(entry.tags, (std::vector<std::string>{"card", "delivery"}));
  EXPECT_EQ(entry.locale, "en");
  EXPECT_EQ(entry.channel, "web");
  EXPECT_EQ(entry.version, 0);
}

TEST(EntryFromJsonLine, DoesNotValidateOrCanonicalize) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry entry, EntryFromJsonLine(R"({"question":"  ","id":"a b"})"));
  EXPECT_EQ(entry.question, "  ");
  EXPECT_EQ(entry.id, "a b");
}

// ---- EntryToJsonLine

TEST(EntryToJsonLine, RoundTripsThroughEntryFromJsonLine) {
  Entry entry = ValidEntry();
  entry.answer = "line1\nline2 \"quoted\" \\ back\tslash \xF0\x9F\x98\x80 ✓";
  entry.version = 7;
  entry.created_at_ms = 1700000000123;
  entry.updated_at_ms = 1700000009999;
  const std::string line = EntryToJsonLine(entry);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line";
  EXPECT_THAT(line, ::testing::StartsWith(R"({"id":"refund-1","question":"如何申请退款？")"));
  EXPECT_THAT(line, HasSubstr(R"("created_at":1700000000123)"));
  EXPECT_THAT(line, HasSubstr(R"("version":7)"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry parsed, EntryFromJsonLine(line));
  EXPECT_EQ(parsed, entry);
}

TEST(EntryFromJsonLine, ReadsVectorsAsFloat32) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry entry,
                             EntryFromJsonLine(R"({"question":"q","variants":["v"],"vectors":[[0.1,-2],[0,1e-3]]})"));
  EXPECT_EQ(entry.vectors, (std::vector<std::vector<float>>{{0.1f, -2.0f}, {0.0f, 0.001f}}));
}

TEST(EntryToJsonLine, WritesVectorsInShortestFormAndReadsThemBackExactly) {
  Entry entry = ValidEntry();
  entry.vectors = {{0.1f, -2.0f, 1e-3f}, {std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min(), 1},
                   {0.3333333f, -0.0f, 123456.789f}};
  const std::string line = EntryToJsonLine(entry);
  EXPECT_THAT(line, HasSubstr(R"("vectors":[[0.1,-2.0,0.001],)"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(Entry parsed, EntryFromJsonLine(line));
  EXPECT_EQ(parsed, entry);
  // Entries without vectors keep the line they always had.
  EXPECT_THAT(EntryToJsonLine(ValidEntry()), ::testing::Not(HasSubstr("vectors")));
}

TEST(EntryToJsonLine, DoesNotThrowOnInvalidUtf8) {
  Entry entry = ValidEntry();
  entry.answer = "bad \xFF";
  const std::string line = EntryToJsonLine(entry);
  EXPECT_TRUE(ValidateUtf8(line, "line").ok());
  EXPECT_TRUE(EntryFromJsonLine(line).ok());
}

// ---- Filters

TEST(AddFilter, AcceptsFieldsAndAliases) {
  Filters filters;
  ZHIKU_ASSERT_OK(AddFilter("category", {"a"}, &filters));
  ZHIKU_ASSERT_OK(AddFilter("categories", {"b", "a"}, &filters));
  ZHIKU_ASSERT_OK(AddFilter("tag", {"t1"}, &filters));
  ZHIKU_ASSERT_OK(AddFilter("tags", {"t2"}, &filters));
  ZHIKU_ASSERT_OK(AddFilter("locales", {"en"}, &filters));
  ZHIKU_ASSERT_OK(AddFilter("channel", {"app"}, &filters));
  EXPECT_EQ(filters.categories, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(filters.tags, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(filters.locales, std::vector<std::string>{"en"});
  EXPECT_EQ(filters.channels, std::vector<std::string>{"app"});
  EXPECT_FALSE(filters.empty());
}

TEST(AddFilter, RejectsUnknownFieldsAndEmptyValues) {
  Filters filters;
  absl::Status status = AddFilter("author", {"x"}, &filters);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("unknown filter field 'author'"));
  EXPECT_THAT(status.message(), HasSubstr("category, tags, locale, channel"));
  // Field names are case-sensitive, like the values.
  EXPECT_EQ(AddFilter("Category", {"x"}, &filters).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AddFilter("category", {}, &filters).code(), absl::StatusCode::kInvalidArgument);
  status = AddFilter("tags", {"a", ""}, &filters);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("empty value"));
  EXPECT_TRUE(filters.empty()) << "a rejected filter adds nothing";
}

// "category=a,b;tags=x" -> Filters, through AddFilter.
Filters ParseFilters(absl::string_view spec) {
  Filters filters;
  for (absl::string_view clause : absl::StrSplit(spec, ';', absl::SkipEmpty())) {
    std::pair<std::string, std::string> field_values = absl::StrSplit(clause, absl::MaxSplits('=', 1));
    std::vector<std::string> values = absl::StrSplit(field_values.second, ',');
    EXPECT_TRUE(AddFilter(field_values.first, values, &filters).ok()) << clause;
  }
  return filters;
}

struct MatchCase {
  const char* name;
  const char* filters;
  bool matches;
};

TEST(Matches, OrWithinAFieldAndAcrossFields) {
  const Entry entry = ValidEntry();  // 售后, tags {refund, 订单}, zh-CN, app
  const MatchCase cases[] = {
      {"no_filters", "", true},
      {"category_hit", "category=售后", true},
      {"category_miss", "category=物流", false},
      {"category_any_of", "category=物流,售后", true},
      {"category_case_sensitive", "category=售後", false},
      {"tag_hit", "tags=订单", true},
      {"tag_any_of", "tags=x,refund", true},
      {"tag_miss", "tags=Refund", false},
      {"locale_hit", "locale=zh-CN", true},
      {"locale_miss", "locale=zh-TW", false},
      {"channel_hit", "channel=web,app", true},
      {"channel_miss", "channel=web", false},
      {"all_fields_hit", "category=售后;tags=refund;locale=zh-CN;channel=app", true},
      {"and_across_fields", "category=售后;tags=refund;locale=en;channel=app", false},
  };
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Matches(ParseFilters(c.filters), entry), c.matches);
  }
  Entry untagged = entry;
  untagged.tags.clear();
  EXPECT_FALSE(Matches(ParseFilters("tags=refund"), untagged));
}

}  // namespace
}  // namespace zhiku
