#include "service/ctl.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "service/report.h"
#include "service/server.h"
#include "tests/test_util.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku::ctl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code;
  std::string out;
  std::string err;
};

// Nothing listens on port 1, so a test that reaches the network by mistake
// fails with UNAVAILABLE rather than talking to a developer's server.
Result RunArgs(const std::vector<std::string>& args, CtlOptions options = {}) {
  if (options.server == CtlOptions().server) options.server = "127.0.0.1:1";
  std::ostringstream out, err;
  const int code = RunCtl(options, args, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// ---------------------------------------------------------------------------
// Usage errors: exit 1, a message naming the problem, nothing on stdout.

struct UsageCase {
  std::vector<std::string> args;
  std::string message;  // expected in stderr
};

TEST(RunCtlUsage, BadCommandLinesExitOneWithAHelpfulMessage) {
  const UsageCase kCases[] = {
      {{}, "missing SUBCOMMAND"},
      {{"frobnicate"}, "unknown subcommand 'frobnicate'; one of search,"},
      {{"search"}, "missing QUERY"},
      {{"search", "x", "--bogus"}, "unknown flag --bogus of 'search'"},
      {{"search", "x", "--bogus"}, "zhikuctl help search"},
      {{"search", "x", "--page_size"}, "--page_size needs a value"},
      {{"search", "x", "--page_size=ten"}, "--page_size=ten is not a whole number"},
      {{"search", "x", "--offset=5", "--page_token=abc"},
       "give --offset or --page_token, not both"},
      {{"search", "x", "--filter", "colour=red"}, "unknown field 'colour'"},
      {{"search", "x", "--filter", "tags="}, "has no values"},
      {{"search", "x", "--page_size=1", "--page_size=2"}, "given twice"},
      // A switch does not swallow the next word.
      {{"--json=yes", "health"}, "--json is a switch"},
      {{"--timeout=soon", "health"}, "--timeout=soon is not a duration"},
      {{"--timeout=-1s", "health"}, "is negative"},
      {{"--color=sometimes", "health"}, "not one of auto, always, never"},
      // Subcommand flags before the subcommand are a mistake worth naming.
      {{"--page_size=3", "search", "x"}, "subcommand flags go after the subcommand"},
      {{"search", "-x", "y"}, "put '--' before an argument"},
      {{"suggest"}, "missing PREFIX"},
      {{"get"}, "missing ID"},
      {{"get", "a", "b"}, "unexpected argument 'b'"},
      {{"delete", "a", "--expected_version=x"}, "not a whole number"},
      {{"create", "--answer", "hi"}, "missing the question"},
      {{"create", "--file", "/nonexistent/entry.json"}, "cannot open"},
      {{"update", "a"}, "nothing to change"},
      {{"update", "a", "--id", "b"}, "unknown flag --id of 'update'"},
      {{"list", "extra"}, "unexpected argument 'extra'"},
      {{"import"}, "missing FILE.jsonl"},
      {{"import", "-"}, "standard input is not available"},
      {{"import-corpus"}, "missing FILE.jsonl"},
      {{"import-corpus", "a.jsonl", "b.jsonl"}, "unexpected argument 'b.jsonl'"},
      {{"import-corpus", "-"}, "standard input is not available"},
      {{"import-corpus", "-", "--retrain=maybe"}, "--retrain is a switch"},
      {{"create", "--file", "-"}, "standard input is not available"},
      {{"export", "--output="}, "--output is empty"},
      {{"help", "frobnicate"}, "unknown subcommand 'frobnicate'"},
      {{"drafts"}, "missing the action"},
      {{"drafts", "publish", "d-1"}, "unknown action 'publish'"},
      {{"drafts", "merge", "d-1"}, "missing ID ENTRY_ID"},
      {{"drafts", "get"}, "missing ID"},
      {{"drafts", "reject", "d-1", "d-2"}, "unexpected argument 'd-2'"},
      {{"drafts", "list", "--reason=x"}, "--reason applies to 'drafts reject'"},
      {{"drafts", "get", "d-1", "--sort=trend"}, "--sort applies to 'drafts list'"},
      {{"drafts", "list", "--status=pending"}, "'pending' is not one of new, in_review"},
      {{"drafts", "list", "--sort=alpha"}, "--sort=alpha is not one of frequency, last_seen, trend"},
      {{"drafts", "list", "--coverage=some"}, "--coverage=some is not one of any, covered, uncovered"},
      {{"drafts", "submit", "-"}, "standard input is not available"},
      // Retrieval flags of search, answer and eval.
      {{"search", "x", "--semantic_ratio=1.5"},
       "--semantic_ratio=1.5 is not a number between 0 and 1"},
      {{"search", "x", "--semantic_ratio=-0.1"}, "is not a number between 0 and 1"},
      {{"search", "x", "--semantic_ratio=nan"}, "is not a number between 0 and 1"},
      {{"search", "x", "--semantic_ratio", "half"}, "is not a number between 0 and 1"},
      {{"search", "x", "--fusion=borda"}, "--fusion=borda is not one of rrf, weighted"},
      {{"search", "x", "--explain=maybe"}, "--explain is a switch"},
      {{"eval", "--queries=q.jsonl", "--semantic_ratio=2"}, "is not a number between 0 and 1"},
      {{"answer"}, "missing TEXT"},
      {{"answer", "x", "--semantic_ratio=1.01"}, "is not a number between 0 and 1"},
      {{"answer", "x", "--fusion=max"}, "is not one of rrf, weighted"},
      {{"answer", "x", "--answer_precision=1"}, "is not a number strictly between 0 and 1"},
      {{"answer", "x", "--answer_confidence=1.2"}, "is not a number between 0 and 1"},
      {{"answer", "x", "--suggest_confidence=-1"}, "is not a number between 0 and 1"},
      {{"answer", "x", "--answer_precision=0.9", "--answer_confidence=0.8"}, "not both"},
      {{"answer", "x", "--answer_confidence=0.3", "--suggest_confidence=0.5"},
       "--suggest_confidence=0.5 is above --answer_confidence=0.3"},
      {{"answer", "x", "--context", "我想退货"}, "write ROLE:TEXT with ROLE customer or agent"},
      {{"answer", "x", "--context", "bot:hello"}, "write ROLE:TEXT"},
      {{"answer", "x", "--page_size=3"}, "unknown flag --page_size of 'answer'"},
      {{"status", "extra"}, "unexpected argument 'extra'"},
      {{"status", "--wait_model=soon"}, "--wait_model=soon is not a duration"},
      {{"status", "--wait_model=11m"}, "longer than the limit of 10m"},
      {{"status", "--wait_model=-1s"}, "is negative"},
  };
  for (const UsageCase& c : kCases) {
    SCOPED_TRACE(absl::StrJoin(c.args, " "));
    Result r = RunArgs(c.args);
    if (c.message == "cannot open") {
      // A file that cannot be read is a local failure, not a usage error.
      EXPECT_EQ(r.code, kExitRpcError);
    } else {
      EXPECT_EQ(r.code, kExitUsage);
    }
    EXPECT_THAT(r.err, HasSubstr(c.message));
    EXPECT_EQ(r.out, "");
  }
}

TEST(RunCtlUsage, FlagsAcceptEqualsSpaceAndDashedSpellings) {
  // All parse; the call then fails to connect (exit 2), proving parsing
  // succeeded.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"search", "x", "--page_size=3"},
           {"search", "x", "--page-size", "3"},
           {"search", "--", "-5%"},
           {"--json", "--timeout=200ms", "search", "x", "--filter", "tags=a,b"},
           {"search", "x", "--timeout", "1"},
           {"search", "x", "--semantic_ratio=0", "--fusion", "rrf", "--explain"},
           {"search", "x", "--semantic-ratio", "1", "--explain=false"},
           {"answer", "x", "--context", "customer:a:b", "--context=Agent:好的",
            "--answer_confidence=0.8", "--suggest_confidence=0.8"},
           {"status", "--wait_model=1500ms"},
           {"status", "--wait_model", "2"},
       }) {
    SCOPED_TRACE(absl::StrJoin(args, " "));
    Result r = RunArgs(args);
    EXPECT_EQ(r.code, kExitRpcError) << r.err;
    EXPECT_THAT(r.err, HasSubstr("error: UNAVAILABLE"));
  }
}

// ---------------------------------------------------------------------------
// Help.

TEST(RunCtlHelp, UsageMentionsEverySubcommandFlagAndExitCode) {
  const std::map<std::string, std::vector<std::string>> kFlags = {
      {"search",
       {"--filter", "--page_size", "--offset", "--page_token", "--snippet_chars",
        "--semantic_ratio", "--fusion", "--explain"}},
      {"answer",
       {"--filter", "--context", "--answer_precision", "--answer_confidence",
        "--suggest_confidence", "--semantic_ratio", "--fusion", "--explain"}},
      {"suggest", {"--filter", "--limit"}},
      {"get", {}},
      {"create",
       {"--file", "--id", "--question", "--variant", "--answer", "--category", "--tag",
        "--locale", "--channel", "--reason"}},
      {"update",
       {"--file", "--question", "--variant", "--add_variant", "--no_variants", "--answer",
        "--category", "--tag", "--add_tag", "--no_tags", "--locale", "--channel", "--reason"}},
      {"delete", {"--expected_version", "--reason"}},
      {"history", {"--version", "--limit"}},
      {"rollback", {"--reason", "--expected_version"}},
      {"list", {"--filter", "--page_size", "--page_token", "--all"}},
      {"import", {}},
      {"import-corpus", {"--retrain"}},
      {"export", {"--output", "--filter"}},
      {"health", {"--service"}},
      {"status", {"--wait_model"}},
      {"eval",
       {"--queries", "--limit", "--semantic_ratio", "--fusion", "--answer_precision",
        "--suggest_confidence", "--wait_model", "--fail_below"}},
      {"drafts",
       {"--status", "--coverage", "--sort", "--limit", "--page_token", "--all", "--reason", "--question",
        "--variant", "--answer", "--id", "--category", "--tag", "--locale", "--channel", "--force"}},
      {"keys", {"--role", "--all"}},
      {"audit", {"--actor", "--target", "--since", "--limit"}},
      {"feedback", {"--entry", "--comment"}},
      {"analytics", {"--since", "--from", "--to", "--limit", "--sort", "--min_feedback", "--bucket"}},
      {"report", {"--html", "--since", "--from", "--to", "--limit"}},
      {"whoami", {}},
      {"help", {}},
  };
  EXPECT_EQ(CtlSubcommandNames().size(), kFlags.size());
  Result r = RunArgs({"--help"});
  ASSERT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, CtlUsage());
  for (const char* flag : {"--server", "--api_key_file", "--json", "--timeout", "--color"}) {
    EXPECT_THAT(r.out, HasSubstr(flag));
  }
  for (const char* code : {"  0  ", "  1  ", "  2  ", "  3  ", "  4  "}) {
    EXPECT_THAT(r.out, HasSubstr(code));
  }
  for (const std::string& name : CtlSubcommandNames()) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(kFlags.count(name)) << "add the new subcommand to this test";
    EXPECT_THAT(r.out, HasSubstr("zhikuctl " + name + " "));
    const std::string help = CtlSubcommandHelp(name);
    EXPECT_THAT(help, HasSubstr("zhikuctl " + name));
    EXPECT_THAT(help, HasSubstr("Examples:"));
    EXPECT_THAT(help, HasSubstr("Exit codes:"));
    for (const std::string& flag : kFlags.at(name)) {
      EXPECT_THAT(help, HasSubstr(flag + " ")) << flag;
    }
    // Three spellings of the same request.
    Result a = RunArgs({"help", name});
    Result b = RunArgs({name, "--help"});
    Result c = RunArgs({name, "-h"});
    EXPECT_EQ(a.code, kExitOk);
    EXPECT_EQ(a.out, help);
    EXPECT_EQ(b.out, help);
    EXPECT_EQ(c.out, help);
  }
  EXPECT_EQ(CtlSubcommandHelp("frobnicate"), "");
}

TEST(RunCtlHelp, OverviewListsAnswerAndStatus) {
  const std::string overview = RunArgs({}).err;  // missing SUBCOMMAND shows it
  EXPECT_THAT(overview, HasSubstr("  answer TEXT... [FLAGS]"));
  EXPECT_THAT(overview, HasSubstr("  status [--wait_model DURATION]"));
  EXPECT_THAT(overview, HasSubstr("zhikuctl answer 怎么退货 --explain"));
}

TEST(RunCtlHelp, HelpLinesFitEightyColumnsForAsciiText) {
  for (absl::string_view line : absl::StrSplit(CtlUsage(), '\n')) {
    bool ascii = std::all_of(line.begin(), line.end(),
                             [](char ch) { return static_cast<unsigned char>(ch) < 0x80; });
    if (ascii) {
      EXPECT_LE(line.size(), 80u) << line;
    }
  }
}

// ---------------------------------------------------------------------------
// Formatting.

v1::SearchResponse SampleResponse() {
  v1::SearchResponse r;
  v1::SearchHit* h = r.add_hits();
  h->set_rank(1);
  h->set_score(8.25);
  h->set_matched_field(v1::MATCHED_FIELD_VARIANT);
  h->set_variant_index(1);
  h->set_matched_text("如何退貨");
  h->set_highlighted_text("如何<em>退貨</em>");
  h->set_answer_snippet("在訂單頁申請<em>退貨</em>。\n七天內有效");
  v1::Entry* e = h->mutable_entry();
  e->set_id("refund-001");
  e->set_question("怎么退货");
  e->add_variants("退货流程");
  e->add_variants("如何退货");
  e->set_answer("在订单页申请退货。");
  e->set_category("售后");
  e->set_version(3);
  v1::SearchHit* h2 = r.add_hits();
  h2->set_rank(2);
  h2->set_score(1.5);
  h2->set_matched_field(v1::MATCHED_FIELD_QUESTION);
  h2->set_matched_text("退款多久到账");
  h2->set_highlighted_text("<em>退</em>款多久到账");
  h2->mutable_entry()->set_id("refund-002");
  r.set_total_estimate(7);
  r.set_next_page_token("tok123");
  r.set_traditional_query(true);
  return r;
}

TEST(PrintSearchHuman, ShowsRankIdScoreCategoryHighlightsAndPaging) {
  std::ostringstream out;
  PrintSearchHuman(SampleResponse(), Highlight::kBrackets, out);
  EXPECT_EQ(out.str(),
            "1. refund-001  score 8.250  category 售后  matched variant #2\n"
            "   Q: 如何【退貨】\n"
            "   A: 在訂單頁申請【退貨】。 七天內有效\n"
            "2. refund-002  score 1.500  category -  matched question\n"
            "   Q: 【退】款多久到账\n"
            "hits 1-2 of about 7 (query read as Traditional Chinese); "
            "next page: --page_token=tok123\n");
}

TEST(PrintSearchHuman, AnsiStyleUsesBoldYellow) {
  std::ostringstream out;
  PrintSearchHuman(SampleResponse(), Highlight::kAnsi, out);
  EXPECT_THAT(out.str(), HasSubstr("如何\x1b[1;33m退貨\x1b[0m"));
  EXPECT_THAT(out.str(), Not(HasSubstr("<em>")));
}

TEST(PrintSearchHuman, EmptyResultSaysSo) {
  std::ostringstream out;
  PrintSearchHuman(v1::SearchResponse(), Highlight::kBrackets, out);
  EXPECT_EQ(out.str(), "no matching entries\n");
}

v1::SearchResponse ExplainedResponse() {
  v1::SearchResponse r = SampleResponse();
  v1::HitExplanation* e = r.mutable_hits(0)->mutable_explain();
  e->set_keyword_rank(2);
  e->set_keyword_score(8.25);
  e->set_vector_rank(1);
  e->set_vector_score(0.875);
  e->set_vector_phrasing(2);
  e->set_fused_score(0.9375);
  e = r.mutable_hits(1)->mutable_explain();
  e->set_keyword_rank(1);
  e->set_keyword_score(9.5);
  e->set_fused_score(0.5);
  v1::RetrievalInfo* info = r.mutable_retrieval();
  info->set_semantic_ratio(0.5);
  info->set_fusion(v1::FUSION_METHOD_RRF);
  info->set_vector_used(true);
  info->set_model_version(3);
  return r;
}

TEST(PrintSearchHuman, ExplainShowsBothLegsPerHitAndWhatRetrievalRan) {
  std::ostringstream out;
  PrintSearchHuman(ExplainedResponse(), Highlight::kBrackets, out, /*explain=*/true);
  EXPECT_EQ(out.str(),
            "1. refund-001  score 8.250  category 售后  matched variant #2\n"
            "   Q: 如何【退貨】\n"
            "   A: 在訂單頁申請【退貨】。 七天內有效\n"
            "   keyword rank 2 score 8.250 | vector rank 1 cosine 0.875 (variant #2) | "
            "fused 0.9375\n"
            "2. refund-002  score 1.500  category -  matched question\n"
            "   Q: 【退】款多久到账\n"
            "   keyword rank 1 score 9.500 | vector - | fused 0.5000\n"
            "hits 1-2 of about 7 (query read as Traditional Chinese); "
            "next page: --page_token=tok123\n"
            "retrieval: semantic_ratio 0.50, fusion rrf, vector leg used (model 3)\n");

  // Without --explain the same response prints as before.
  std::ostringstream plain;
  PrintSearchHuman(ExplainedResponse(), Highlight::kBrackets, plain);
  std::ostringstream sample;
  PrintSearchHuman(SampleResponse(), Highlight::kBrackets, sample);
  EXPECT_EQ(plain.str(), sample.str());
}

TEST(PrintSearchHuman, ExplainWithoutHitsStillSaysWhyTheVectorLegDidNotRun) {
  v1::SearchResponse r;
  r.mutable_retrieval()->set_fusion(v1::FUSION_METHOD_WEIGHTED);
  r.mutable_retrieval()->set_note("no embedding model yet");
  std::ostringstream out;
  PrintSearchHuman(r, Highlight::kBrackets, out, /*explain=*/true);
  EXPECT_EQ(out.str(),
            "no matching entries\n"
            "retrieval: semantic_ratio 0.00, fusion weighted, vector leg not used "
            "(model none); no embedding model yet\n");
}

TEST(PrintSearchJson, ExplainAndRetrievalAreObjects) {
  std::ostringstream out;
  PrintSearchJson(ExplainedResponse(), out);
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["explain"]["keyword_rank"], 2);
  EXPECT_EQ(first["explain"]["vector_rank"], 1);
  EXPECT_EQ(first["explain"]["vector_score"], 0.875);
  EXPECT_EQ(first["explain"]["vector_phrasing"], 2);
  EXPECT_EQ(first["explain"]["fused_score"], 0.9375);
  nlohmann::json summary = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(summary["retrieval"]["fusion"], "rrf");
  EXPECT_EQ(summary["retrieval"]["vector_used"], true);
  EXPECT_EQ(summary["retrieval"]["model_version"], 3);
  // Hits without an explanation have no "explain" key.
  std::ostringstream plain;
  PrintSearchJson(SampleResponse(), plain);
  EXPECT_FALSE(nlohmann::json::parse(Lines(plain.str())[0]).contains("explain"));
}

TEST(PrintSearchJson, OneObjectPerHitThenASummary) {
  std::ostringstream out;
  PrintSearchJson(SampleResponse(), out);
  std::vector<std::string> lines = Lines(out.str());
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["rank"], 1);
  EXPECT_EQ(first["score"], 8.25);
  EXPECT_EQ(first["matched_field"], "variant");
  EXPECT_EQ(first["variant_index"], 1);
  EXPECT_EQ(first["highlighted_text"], "如何<em>退貨</em>");
  EXPECT_EQ(first["entry"]["id"], "refund-001");
  EXPECT_EQ(first["entry"]["variants"][1], "如何退货");
  EXPECT_EQ(first["entry"]["version"], 3);
  nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_FALSE(second.contains("variant_index"));
  nlohmann::json summary = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(summary["total_estimate"], 7);
  EXPECT_EQ(summary["next_page_token"], "tok123");
  EXPECT_EQ(summary["traditional_query"], true);
}

TEST(RenderHighlighted, NeutralisesTerminalControlCharacters) {
  // Regression guard: KB content must not be able to drive the terminal.
  EXPECT_EQ(RenderHighlighted("a\x1b[2Jb<em>c</em>", Highlight::kBrackets),
            "a\xEF\xBF\xBD[2Jb【c】");
  EXPECT_EQ(RenderHighlighted("x\xC2\x9B" "1m", Highlight::kBrackets),
            "x\xEF\xBF\xBD" "1m");
  EXPECT_EQ(RenderHighlighted("a\tb\r\nc", Highlight::kBrackets), "a b c");
}

TEST(EntryJson, RoundTripsThroughApplyEntryJson) {
  v1::Entry e;
  e.set_id("faq-1");
  e.set_question("發票怎麼開");
  e.add_variants("怎么开发票");
  e.set_answer("line1\nline2 \"quoted\"");
  e.set_category("发票");
  e.add_tags("a");
  e.add_tags("b");
  e.set_locale("zh-TW");
  e.set_channel("app");
  e.set_version(4);
  const std::string line = EntryToJson(e, /*with_metadata=*/false);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_THAT(line, Not(HasSubstr("version")));
  EXPECT_THAT(line, HasSubstr("發票怎麼開"));  // not \u-escaped
  v1::Entry back;
  ZHIKU_ASSERT_OK(ApplyEntryJson(line, back));
  e.clear_version();
  EXPECT_EQ(back.SerializeAsString(), e.SerializeAsString());

  v1::Entry with_meta;
  ZHIKU_ASSERT_OK(ApplyEntryJson(EntryToJson(e, /*with_metadata=*/true), with_meta));
  EXPECT_EQ(with_meta.version(), 0);  // output-only keys are ignored
}

TEST(EntryJson, InvalidUtf8IsReplacedNotThrown) {
  v1::Entry e;
  e.set_question("bad \xff byte");
  EXPECT_THAT(EntryToJson(e, false), HasSubstr("bad \xEF\xBF\xBD byte"));
}

TEST(EntryJson, VectorsRoundTripInShortestForm) {
  v1::Entry e;
  e.set_id("v-1");
  e.set_question("q");
  e.add_variants("v");
  v1::EntryVector* question = e.add_vectors();
  for (float x : {0.1f, -2.0f, 3e-5f}) question->add_values(x);
  v1::EntryVector* variant = e.add_vectors();
  for (float x : {1.0f, 0.0f, 0.5f}) variant->add_values(x);
  const std::string line = EntryToJson(e, /*with_metadata=*/false);
  EXPECT_THAT(line, HasSubstr("\"vectors\""));
  EXPECT_THAT(line, HasSubstr("0.1"));
  EXPECT_THAT(line, Not(HasSubstr("0.10000000149")));
  v1::Entry back;
  ZHIKU_ASSERT_OK(ApplyEntryJson(line, back));
  EXPECT_EQ(back.SerializeAsString(), e.SerializeAsString());
  // Entries without vectors print no "vectors" key.
  v1::Entry plain;
  plain.set_question("q");
  EXPECT_THAT(EntryToJson(plain, false), Not(HasSubstr("vectors")));
  EXPECT_THAT(std::string(ApplyEntryJson("{\"vectors\": [1, 2]}", back).message()),
              HasSubstr("\"vectors\" must be an array of arrays of numbers"));
}

TEST(ApplyEntryJson, RejectsWhatItCannotUse) {
  v1::Entry e;
  EXPECT_THAT(std::string(ApplyEntryJson("{\"quesiton\": \"x\"}", e).message()),
              HasSubstr("unknown key \"quesiton\""));
  EXPECT_THAT(std::string(ApplyEntryJson("{\"tags\": \"x\"}", e).message()),
              HasSubstr("\"tags\" must be an array of strings"));
  EXPECT_THAT(std::string(ApplyEntryJson("{\"answer\": 3}", e).message()),
              HasSubstr("\"answer\" must be a string"));
  EXPECT_THAT(std::string(ApplyEntryJson("[1]", e).message()),
              HasSubstr("expected one JSON object"));
  EXPECT_THAT(std::string(ApplyEntryJson("{", e).message()), HasSubstr("not valid JSON"));
  ZHIKU_EXPECT_OK(ApplyEntryJson("{\"question\": \"q\", \"answer\": null}", e));
  EXPECT_EQ(e.question(), "q");
}

// ---------------------------------------------------------------------------
// Against an in-process fake server: what goes over the wire.

class FakeKnowledge final : public v1::KnowledgeService::Service {
 public:
  grpc::Status CreateEntry(grpc::ServerContext*, const v1::CreateEntryRequest* request,
                           v1::Entry* response) override {
    std::lock_guard<std::mutex> lock(mu);
    v1::Entry e = request->entry();
    if (e.id().empty()) e.set_id(absl::StrCat("gen-", entries.size() + 1));
    if (entries.count(e.id())) return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, e.id());
    e.set_version(1);
    entries[e.id()] = e;
    *response = e;
    return grpc::Status::OK;
  }
  grpc::Status GetEntry(grpc::ServerContext*, const v1::GetEntryRequest* request,
                        v1::Entry* response) override {
    std::lock_guard<std::mutex> lock(mu);
    auto it = entries.find(request->id());
    if (it == entries.end()) {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no entry " + request->id());
    }
    *response = it->second;
    // Simulates an editor who saves between our read and our write.
    if (concurrent_edit) it->second.set_version(it->second.version() + 1);
    return grpc::Status::OK;
  }
  grpc::Status UpdateEntry(grpc::ServerContext*, const v1::UpdateEntryRequest* request,
                           v1::Entry* response) override {
    std::lock_guard<std::mutex> lock(mu);
    last_update = *request;
    auto it = entries.find(request->entry().id());
    if (it == entries.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "gone");
    if (request->expected_version() > 0 &&
        request->expected_version() != it->second.version()) {
      return grpc::Status(grpc::StatusCode::ABORTED, "version mismatch");
    }
    v1::Entry e = request->entry();
    e.set_version(it->second.version() + 1);
    it->second = e;
    *response = e;
    return grpc::Status::OK;
  }
  grpc::Status DeleteEntry(grpc::ServerContext*, const v1::DeleteEntryRequest* request,
                           v1::DeleteEntryResponse*) override {
    std::lock_guard<std::mutex> lock(mu);
    if (!entries.erase(request->id())) return grpc::Status(grpc::StatusCode::NOT_FOUND, "x");
    return grpc::Status::OK;
  }
  grpc::Status ListEntries(grpc::ServerContext*, const v1::ListEntriesRequest* request,
                           v1::ListEntriesResponse* response) override {
    std::lock_guard<std::mutex> lock(mu);
    const int size = request->page_size() > 0 ? request->page_size() : 50;
    auto it = entries.lower_bound(request->page_token());
    for (; it != entries.end() && response->entries_size() < size; ++it) {
      *response->add_entries() = it->second;
    }
    if (it != entries.end()) response->set_next_page_token(it->first);
    return grpc::Status::OK;
  }
  grpc::Status ImportEntries(grpc::ServerContext*,
                             grpc::ServerReader<v1::ImportEntriesRequest>* reader,
                             v1::ImportEntriesResponse* response) override {
    v1::ImportEntriesRequest line;
    std::lock_guard<std::mutex> lock(mu);
    while (reader->Read(&line)) {
      imported_lines.push_back(line.line_number());
      response->set_lines_received(response->lines_received() + 1);
      if (line.jsonl_line().empty()) {
        response->set_blank_lines(response->blank_lines() + 1);
        continue;
      }
      v1::Entry e;
      absl::Status s = ApplyEntryJson(line.jsonl_line(), e);
      if (s.ok() && e.question().empty()) s = absl::InvalidArgumentError("question is required");
      if (!s.ok()) {
        response->set_failed(response->failed() + 1);
        v1::ImportError* error = response->add_errors();
        error->set_line_number(line.line_number());
        error->set_id(e.id());
        error->set_message(std::string(s.message()));
        continue;
      }
      auto it = entries.find(e.id());
      e.set_version(it == entries.end() ? 1 : it->second.version() + 1);
      if (it == entries.end()) {
        response->set_created(response->created() + 1);
      } else {
        response->set_updated(response->updated() + 1);
      }
      entries[e.id()] = e;
    }
    return grpc::Status::OK;
  }
  grpc::Status ImportCorpus(grpc::ServerContext*, grpc::ServerReader<v1::ImportCorpusRequest>* reader,
                            v1::ImportCorpusResponse* response) override {
    v1::ImportCorpusRequest line;
    std::lock_guard<std::mutex> lock(mu);
    while (reader->Read(&line)) {
      corpus_lines.push_back(line.line_number());
      corpus_retrain.push_back(line.retrain());
      response->set_lines_received(response->lines_received() + 1);
    }
    return grpc::Status::OK;
  }
  grpc::Status ExportEntries(grpc::ServerContext*, const v1::ExportEntriesRequest*,
                             grpc::ServerWriter<v1::ExportEntriesResponse>* writer) override {
    std::lock_guard<std::mutex> lock(mu);
    v1::ExportEntriesResponse batch;
    for (const auto& [id, e] : entries) {
      *batch.add_entries() = e;
      if (batch.entries_size() == 2) {
        writer->Write(batch);
        batch.Clear();
      }
    }
    if (batch.entries_size() > 0) writer->Write(batch);
    return grpc::Status::OK;
  }

  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest* request,
                         v1::KnowledgeBaseStatus* response) override {
    std::lock_guard<std::mutex> lock(mu);
    last_status_request = *request;
    status_deadline_left = absl::FromChrono(context->deadline()) - absl::Now();
    *response = status;
    return grpc::Status::OK;
  }

  std::mutex mu;
  std::map<std::string, v1::Entry> entries;
  v1::GetStatusRequest last_status_request;
  absl::Duration status_deadline_left;
  v1::KnowledgeBaseStatus status;
  std::vector<int64_t> imported_lines;
  std::vector<int64_t> corpus_lines;
  std::vector<bool> corpus_retrain;
  v1::UpdateEntryRequest last_update;
  bool concurrent_edit = false;
};

class FakeSearch final : public v1::SearchService::Service {
 public:
  grpc::Status Search(grpc::ServerContext*, const v1::SearchRequest* request,
                      v1::SearchResponse* response) override {
    last_request = *request;
    *response = SampleResponse();
    return grpc::Status::OK;
  }
  grpc::Status Suggest(grpc::ServerContext*, const v1::SuggestRequest* request,
                       v1::SuggestResponse* response) override {
    v1::Suggestion* s = response->add_suggestions();
    s->set_entry_id("refund-001");
    s->set_text(request->prefix() + "货怎么办");
    s->set_is_question(true);
    s = response->add_suggestions();
    s->set_entry_id("r2");
    s->set_text(request->prefix() + "款");
    return grpc::Status::OK;
  }
  grpc::Status Answer(grpc::ServerContext*, const v1::AnswerRequest* request,
                      v1::AnswerResponse* response) override {
    last_answer_request = *request;
    *response = answer;
    return grpc::Status::OK;
  }
  v1::SearchRequest last_request;
  v1::AnswerRequest last_answer_request;
  v1::AnswerResponse answer;
};

v1::AnswerCandidate Candidate(const std::string& id, double confidence, const std::string& question) {
  v1::AnswerCandidate c;
  c.mutable_entry()->set_id(id);
  c.mutable_entry()->set_question(question + " (stored)");
  c.mutable_entry()->set_answer("stored answer");
  c.set_confidence(confidence);
  c.set_question(question);
  return c;
}

v1::AnswerResponse SuggestResponse() {
  v1::AnswerResponse r;
  r.set_decision(v1::DECISION_SUGGEST);
  r.set_confidence(0.5);
  *r.mutable_top() = Candidate("refund-time", 0.5, "退款多久到賬？");
  r.set_answer("一般1-3個工作日。\n銀行卡1-7天。");
  *r.add_alternatives() = Candidate("refund-time", 0.5, "退款多久到賬？");
  *r.add_alternatives() = Candidate("refund-progress", 0.25, "在哪裡看退款進度？");
  r.set_answer_confidence(0.8);
  r.set_suggest_confidence(0.2);
  r.set_traditional_query(true);
  r.mutable_retrieval()->set_semantic_ratio(0.5);
  r.mutable_retrieval()->set_fusion(v1::FUSION_METHOD_WEIGHTED);
  return r;
}

class CtlAgainstFakeServer : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&knowledge_);
    builder.RegisterService(&search_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    options_.server = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override { server_->Shutdown(); }

  Result Ctl(const std::vector<std::string>& args) { return RunArgs(args, options_); }

  FakeKnowledge knowledge_;
  FakeSearch search_;
  std::unique_ptr<grpc::Server> server_;
  CtlOptions options_;
  testing::TempDir dir_;
};

TEST_F(CtlAgainstFakeServer, HealthReportsServing) {
  Result r = Ctl({"health"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, options_.server + ": SERVING\n");
  r = Ctl({"--json", "health"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["status"], "SERVING");
  server_->GetHealthCheckService()->SetServingStatus(false);
  r = Ctl({"health"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.out, HasSubstr("NOT_SERVING"));
}

TEST_F(CtlAgainstFakeServer, SearchSendsFlagsAndDefaultTags) {
  Result r = Ctl({"search", "how", "do", "I", "--filter", "category=a, b", "--filter",
                  "locale=en", "--page_size=3", "--offset", "6", "--snippet_chars=40"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const v1::SearchRequest& q = search_.last_request;
  EXPECT_EQ(q.query(), "how do I");
  ASSERT_EQ(q.filters_size(), 2);
  EXPECT_EQ(q.filters(0).field(), "category");
  EXPECT_THAT(q.filters(0).values(), ::testing::ElementsAre("a", "b"));
  EXPECT_EQ(q.page_size(), 3);
  EXPECT_EQ(q.offset(), 6);
  EXPECT_EQ(q.highlight().pre_tag(), "<em>");
  EXPECT_EQ(q.highlight().snippet_chars(), 40);
  EXPECT_THAT(r.out, HasSubstr("Q: 如何【退貨】"));  // not a TTY: brackets

  options_.stdout_is_tty = true;
  r = Ctl({"search", "x"});
  EXPECT_THAT(r.out, HasSubstr("\x1b[1;33m"));
  r = Ctl({"--color=never", "search", "x"});
  EXPECT_THAT(r.out, Not(HasSubstr("\x1b[")));
  r = Ctl({"--json", "search", "x"});
  EXPECT_THAT(r.out, HasSubstr("<em>"));
}

TEST_F(CtlAgainstFakeServer, SearchSendsRetrievalFlags) {
  Result r = Ctl({"search", "x"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_FALSE(search_.last_request.retrieval().has_semantic_ratio());  // the server's default
  EXPECT_EQ(search_.last_request.retrieval().fusion(), v1::FUSION_METHOD_UNSPECIFIED);
  EXPECT_FALSE(search_.last_request.retrieval().explain());
  r = Ctl({"search", "x", "--semantic_ratio=0", "--fusion=rrf", "--explain"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(search_.last_request.retrieval().has_semantic_ratio());
  EXPECT_EQ(search_.last_request.retrieval().semantic_ratio(), 0);
  EXPECT_EQ(search_.last_request.retrieval().fusion(), v1::FUSION_METHOD_RRF);
  EXPECT_TRUE(search_.last_request.retrieval().explain());
  EXPECT_THAT(r.out, HasSubstr("\nretrieval: "));
  r = Ctl({"search", "x", "--fusion", "weighted", "--semantic_ratio", "1"});
  EXPECT_EQ(search_.last_request.retrieval().fusion(), v1::FUSION_METHOD_WEIGHTED);
  EXPECT_EQ(search_.last_request.retrieval().semantic_ratio(), 1);
}

TEST_F(CtlAgainstFakeServer, AnswerSendsContextThresholdsAndRetrieval) {
  search_.answer = SuggestResponse();
  Result r = Ctl({"answer", "那", "退款呢", "--context", "customer:我想退货", "--context",
                  "agent:好的，请问订单号？", "--filter", "locale=zh-TW", "--answer_precision=0.95",
                  "--suggest_confidence=0.1", "--semantic_ratio=0.25", "--fusion=rrf"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const v1::AnswerRequest& q = search_.last_answer_request;
  EXPECT_EQ(q.query(), "那 退款呢");
  ASSERT_EQ(q.context_size(), 2);
  EXPECT_EQ(q.context(0).role(), "customer");
  EXPECT_EQ(q.context(0).text(), "我想退货");
  EXPECT_EQ(q.context(1).role(), "agent");
  EXPECT_EQ(q.context(1).text(), "好的，请问订单号？");
  ASSERT_EQ(q.filters_size(), 1);
  EXPECT_EQ(q.filters(0).field(), "locale");
  EXPECT_DOUBLE_EQ(q.thresholds().answer_precision(), 0.95);
  EXPECT_FALSE(q.thresholds().has_answer_confidence());
  EXPECT_DOUBLE_EQ(q.thresholds().suggest_confidence(), 0.1);
  EXPECT_DOUBLE_EQ(q.retrieval().semantic_ratio(), 0.25);
  EXPECT_EQ(q.retrieval().fusion(), v1::FUSION_METHOD_RRF);
  EXPECT_FALSE(q.retrieval().explain());
  EXPECT_EQ(r.out,
            "decision    SUGGEST\n"
            "confidence  0.500  (ANSWER at >= 0.800, SUGGEST at >= 0.200)\n"
            "entry       refund-time\n"
            "question    退款多久到賬？\n"
            "answer      一般1-3個工作日。\n"
            "            銀行卡1-7天。\n"
            "did you mean:\n"
            "  1. refund-time      0.500  退款多久到賬？\n"
            "  2. refund-progress  0.250  在哪裡看退款進度？\n");

  r = Ctl({"answer", "x", "--answer_confidence=0.7"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_FALSE(search_.last_answer_request.thresholds().has_answer_precision());
  EXPECT_DOUBLE_EQ(search_.last_answer_request.thresholds().answer_confidence(), 0.7);
  EXPECT_FALSE(search_.last_answer_request.thresholds().has_suggest_confidence());
  EXPECT_EQ(search_.last_answer_request.context_size(), 0);
}

TEST_F(CtlAgainstFakeServer, AnswerJsonAndExplain) {
  search_.answer = SuggestResponse();
  v1::SearchHit* hit = search_.answer.add_hits();
  *hit = SampleResponse().hits(0);
  hit->mutable_explain()->set_keyword_rank(1);
  hit->mutable_explain()->set_vector_rank(2);
  hit->mutable_explain()->set_vector_score(0.75);
  search_.answer.mutable_retrieval()->set_vector_used(true);
  search_.answer.mutable_retrieval()->set_model_version(4);
  Result r = Ctl({"answer", "x", "--explain"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(search_.last_answer_request.retrieval().explain());
  EXPECT_THAT(r.out, HasSubstr("hits behind the decision:\n1. refund-001  score 8.250"));
  EXPECT_THAT(r.out, HasSubstr("   keyword rank 1 score 0.000 | vector rank 2 cosine 0.750 (question)"));
  EXPECT_THAT(r.out, HasSubstr("\nretrieval: semantic_ratio 0.50, fusion weighted, vector leg used "
                               "(model 4)\n"));

  r = Ctl({"--json", "answer", "x"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 1u);
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["decision"], "SUGGEST");
  EXPECT_TRUE(j["handoff_reason"].is_null());
  EXPECT_EQ(j["confidence"], 0.5);
  EXPECT_EQ(j["entry_id"], "refund-time");
  EXPECT_EQ(j["question"], "退款多久到賬？");
  EXPECT_EQ(j["answer"], "一般1-3個工作日。\n銀行卡1-7天。");
  EXPECT_EQ(j["entry"]["answer"], "stored answer");
  ASSERT_EQ(j["alternatives"].size(), 2u);
  EXPECT_EQ(j["alternatives"][1]["entry_id"], "refund-progress");
  EXPECT_EQ(j["alternatives"][1]["confidence"], 0.25);
  EXPECT_EQ(j["traditional_query"], true);
  EXPECT_EQ(j["retrieval"]["model_version"], 4);
  EXPECT_EQ(j["hits"][0]["explain"]["vector_rank"], 2);

  // Nothing matched: HANDOFF with its reason, no entry.
  search_.answer = v1::AnswerResponse();
  search_.answer.set_decision(v1::DECISION_HANDOFF);
  search_.answer.set_handoff_reason(v1::HANDOFF_REASON_NO_MATCH);
  r = Ctl({"answer", "zzz"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision    HANDOFF (NO_MATCH: no entry matched)\n"));
  EXPECT_THAT(r.out, HasSubstr("entry       - (nothing matched)\n"));
  j = nlohmann::json::parse(Ctl({"--json", "answer", "zzz"}).out);
  EXPECT_EQ(j["handoff_reason"], "NO_MATCH");
  EXPECT_TRUE(j["entry_id"].is_null());
  EXPECT_TRUE(j["alternatives"].empty());
  EXPECT_FALSE(j.contains("hits"));
}

TEST_F(CtlAgainstFakeServer, StatusSendsTheWaitAndExtendsTheDeadlineByIt) {
  knowledge_.status.set_entries(3);
  knowledge_.status.set_store_seq(9);
  knowledge_.status.set_searchable_seq(8);
  knowledge_.status.set_vector_note("no embedding model yet");
  knowledge_.status.set_answer_confidence(1);
  knowledge_.status.set_calibration_note("too few held-out phrasings");
  Result r = Ctl({"status"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(knowledge_.last_status_request.wait_for_model_ms(), 0);
  EXPECT_EQ(r.out,
            "entries            3\n"
            "store seq          9\n"
            "searchable seq     8 (1 change still indexing)\n"
            "model              none yet\n"
            "vectors            0 base + 0 delta\n"
            "vector note        no embedding model yet\n"
            "calibration        none\n"
            "answer threshold   1.000\n"
            "calibration note   too few held-out phrasings\n"
            "corpus texts       0\n");
  nlohmann::json j = nlohmann::json::parse(Ctl({"--json", "status"}).out);
  EXPECT_EQ(j["server"], options_.server);
  EXPECT_EQ(j["entries"], 3);
  EXPECT_EQ(j["calibrated"], false);
  EXPECT_TRUE(j["calibration_ece"].is_null());
  EXPECT_EQ(j["vector_note"], "no embedding model yet");

  r = Ctl({"--timeout=2s", "status", "--wait_model", "1500ms"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(knowledge_.last_status_request.wait_for_model_ms(), 1500);
  EXPECT_GT(knowledge_.status_deadline_left, absl::Seconds(3));  // 2 s after the 1.5 s wait
  EXPECT_LT(knowledge_.status_deadline_left, absl::Seconds(4));  // gRPC rounds timeouts up
  ASSERT_EQ(Ctl({"status", "--wait_model=0.0005"}).code, kExitOk);
  EXPECT_EQ(knowledge_.last_status_request.wait_for_model_ms(), 1);  // rounded up, still waits

  knowledge_.status.set_model_version(2);
  knowledge_.status.set_model_seq(9);
  knowledge_.status.set_training(true);
  knowledge_.status.set_calibrated(true);
  knowledge_.status.set_calibration_ece(0.041);
  knowledge_.status.set_calibration_top1(0.8);
  knowledge_.status.set_calibration_positives(40);
  knowledge_.status.set_calibration_negatives(12);
  knowledge_.status.set_answer_confidence(0.625);
  knowledge_.status.set_calibration_precision(0.9);
  knowledge_.status.set_calibration_answer_rate(0.5);
  r = Ctl({"status"});
  EXPECT_THAT(r.out, HasSubstr("model              version 2, trained at seq 9 (current); training now\n"));
  EXPECT_THAT(r.out, HasSubstr("calibration        ECE 0.041, top-1 0.800 on 40 held-out positives and "
                               "12 negatives\n"));
  EXPECT_THAT(r.out, HasSubstr("answer threshold   0.625 (precision 0.900, answer rate 0.500 on the "
                               "calibration set)\n"));
  j = nlohmann::json::parse(Ctl({"--json", "status"}).out);
  EXPECT_EQ(j["calibration_ece"], 0.041);
  EXPECT_EQ(j["calibration_positives"], 40);
}

TEST_F(CtlAgainstFakeServer, SuggestMarksVariants) {
  Result r = Ctl({"suggest", "退"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "refund-001  退货怎么办\nr2          退款  (variant)\n");
}

TEST_F(CtlAgainstFakeServer, CreateGetUpdateDeleteRoundTrip) {
  Result r = Ctl({"create", "--id", "faq-1", "--question", "怎么退货", "--variant", "如何退货",
                  "--variant", "退货流程", "--answer", "在订单页申请。", "--tag", "售后",
                  "--locale", "zh-CN", "--channel", "all", "--category", "售后"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "created faq-1 (version 1)\n");

  r = Ctl({"get", "faq-1"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("question  怎么退货"), HasSubstr("          退货流程")));

  r = Ctl({"update", "faq-1", "--add_variant", "怎样退货", "--answer", "七天内。"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, "updated faq-1: version 1 -> 2\n");
  EXPECT_EQ(knowledge_.last_update.expected_version(), 1);
  EXPECT_THAT(knowledge_.last_update.entry().variants(),
              ::testing::ElementsAre("如何退货", "退货流程", "怎样退货"));
  EXPECT_EQ(knowledge_.last_update.entry().locale(), "zh-CN");  // kept

  r = Ctl({"--json", "get", "faq-1"});
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["answer"], "七天内。");

  r = Ctl({"delete", "faq-1"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  r = Ctl({"get", "faq-1"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_EQ(r.err, "error: NOT_FOUND: no entry faq-1\n");
}

TEST_F(CtlAgainstFakeServer, UpdateFailsWithAbortedWhenTheEntryChangedMeanwhile) {
  ASSERT_EQ(Ctl({"create", "--id", "a", "--question", "q"}).code, kExitOk);
  knowledge_.concurrent_edit = true;
  Result r = Ctl({"update", "a", "--answer", "new"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("error: ABORTED: version mismatch\n"));
  EXPECT_THAT(r.err, HasSubstr("Run the update again"));
  EXPECT_EQ(knowledge_.entries["a"].answer(), "");
}

TEST_F(CtlAgainstFakeServer, CreateFromFileWithFlagOverrides) {
  const std::string path = dir_.Sub("entry.json");
  std::ofstream(path) << "{\n  \"id\": \"f1\",\n  \"question\": \"from file\",\n"
                         "  \"tags\": [\"x\"]\n}\n";
  Result r = Ctl({"create", "--file", path, "--answer", "from flag"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(knowledge_.entries["f1"].answer(), "from flag");
  EXPECT_EQ(knowledge_.entries["f1"].tags(0), "x");
}

TEST_F(CtlAgainstFakeServer, ImportReportsBadAndOverlongLinesAndExitsThree) {
  const std::string path = dir_.Sub("kb.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << "{\"id\":\"a\",\"question\":\"q1\",\"answer\":\"x\"}\r\n";  // 1: CRLF
    f << "\n";                                                       // 2: blank
    f << "{\"id\":\"b\",\"answer\":\"no question\"}\n";              // 3: server error
    f << "{\"id\":\"c\",\"question\":\"" << std::string((1 << 20) + 10, 'x')
      << "\"}\n";                                                    // 4: too long
    f << "{\"id\":\"d\",\"question\":\"q4\"}";                       // 5: no final \n
  }
  Result r = Ctl({"import", path});
  EXPECT_EQ(r.code, kExitPartialImport) << r.err;
  EXPECT_THAT(knowledge_.imported_lines, ::testing::ElementsAre(1, 2, 3, 5));
  EXPECT_THAT(r.out, HasSubstr("4 lines received, 2 created, 0 updated, 2 failed, 1 blank"));
  std::vector<std::string> errors = Lines(r.err);
  ASSERT_EQ(errors.size(), 2u) << r.err;
  EXPECT_EQ(errors[0], path + ":3: question is required (id b)");
  EXPECT_THAT(errors[1], HasSubstr(path + ":4: line is 1048610 bytes; the limit is"));

  // Again from stdin, all good now: updates, exit 0, JSON summary.
  std::istringstream in("{\"id\":\"a\",\"question\":\"q1b\"}\n");
  options_.in = &in;
  r = Ctl({"--json", "import", "-"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["file"], "<stdin>");
  EXPECT_EQ(j["updated"], 1);
  EXPECT_EQ(j["failed"], 0);
}

TEST_F(CtlAgainstFakeServer, ExportIsReimportable) {
  for (const char* id : {"e1", "e2", "e3"}) {
    ASSERT_EQ(Ctl({"create", "--id", id, "--question", "问题", "--tag", "t"}).code, kExitOk);
  }
  Result r = Ctl({"export"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  nlohmann::ordered_json first = nlohmann::ordered_json::parse(lines[0]);
  std::vector<std::string> keys;
  for (const auto& [k, v] : first.items()) keys.push_back(k);
  EXPECT_THAT(keys, ::testing::ElementsAre("id", "question", "variants", "answer", "category",
                                           "tags", "locale", "channel"));

  const std::string path = dir_.Sub("out.jsonl");
  r = Ctl({"export", "--output", path});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "exported 3 entries to " + path + "\n");
  knowledge_.entries.clear();
  r = Ctl({"import", path});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(knowledge_.entries.size(), 3u);
}

TEST_F(CtlAgainstFakeServer, ListPagesWithAll) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_EQ(Ctl({"create", "--id", id, "--question", "q"}).code, kExitOk);
  }
  Result r = Ctl({"list", "--page_size=2"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 entries; next page: --page_token=c"));
  r = Ctl({"list", "--page_size=2", "--all"});
  EXPECT_THAT(r.out, HasSubstr("\n3 entries\n"));
  r = Ctl({"--json", "list", "--page_size=2"});
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["next_page_token"], "c");
}

TEST_F(CtlAgainstFakeServer, ImportCorpusSendsLineNumbersAndRetrain) {
  const std::string path = dir_.Sub("chats.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << "{\"role\":\"customer\",\"text\":\"a\"}\n";
    f << "{\"role\":\"customer\",\"text\":\"" << std::string((1 << 20) + 10, 'x') << "\"}\n";  // not sent
    f << "{\"role\":\"customer\",\"text\":\"b\"}\n";
  }
  Result r = Ctl({"import-corpus", path, "--retrain"});
  EXPECT_EQ(r.code, kExitPartialImport) << r.err;  // the overlong line failed locally
  EXPECT_THAT(knowledge_.corpus_lines, ::testing::ElementsAre(1, 3));
  EXPECT_THAT(knowledge_.corpus_retrain, ::testing::ElementsAre(true, true));
  EXPECT_THAT(r.out, HasSubstr(": 3 lines, "));
  EXPECT_THAT(r.err, HasSubstr(path + ":2: line is 1048615 bytes; the limit is 1048576 (1 MiB); not sent"));
  knowledge_.corpus_retrain.clear();
  ASSERT_EQ(Ctl({"import-corpus", path}).code, kExitPartialImport);
  EXPECT_THAT(knowledge_.corpus_retrain, ::testing::ElementsAre(false, false));
}

// ---------------------------------------------------------------------------
// Against the real server, in-process on 127.0.0.1.

class CtlAgainstRealServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    absl::StatusOr<std::unique_ptr<ZhikuServer>> server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    options_.server = server_->address();
  }

  Result Ctl(const std::vector<std::string>& args) { return RunArgs(args, options_); }

  std::vector<std::string> CorpusTexts() {
    std::vector<std::string> texts;
    ZHIKU_EXPECT_OK(server_->knowledge_base().ForEachCorpusText([&](absl::string_view text) {
      texts.emplace_back(text);
      return absl::OkStatus();
    }));
    return texts;
  }

  testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  CtlOptions options_;
};

TEST_F(CtlAgainstRealServer, ImportCorpusPrintsTheSummaryAndExitsThreeWhenALineFailed) {
  const std::string path = dir_.Sub("chats.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"conversation_id":"c1","message_id":"m1","role":"customer","text":"订单号SF1234567890怎么还没到？电话13812345678"})"
      << "\r\n";                                                                         // 1: CRLF
    f << R"({"conversation_id":"c1","message_id":"m2","role":"agent","text":"马上为您查询"})" << "\n";  // 2
    f << R"({"conversation_id":"c1","message_id":"m3","role":"customer","text":)" << "\n";            // 3: broken
    f << "\n";                                                                              // 4: blank
    f << R"({"conversation_id":"c2","message_id":"m5","role":"customer","text":"How do I return shoes?"})";  // 5
  }
  Result r = Ctl({"import-corpus", path});
  EXPECT_EQ(r.code, kExitPartialImport) << r.err;
  EXPECT_THAT(r.out, HasSubstr("imported corpus from " + path +
                               ": 5 lines, 2 stored, 0 duplicates, 1 skipped (not customer), 1 blank, 1 failed; "
                               "2 items of personal data masked; corpus size 2 ("));
  std::vector<std::string> errors = Lines(r.err);
  ASSERT_EQ(errors.size(), 1u) << r.err;
  EXPECT_THAT(errors[0], HasSubstr(path + ":3: invalid JSON at byte"));
  EXPECT_THAT(CorpusTexts(), ::testing::ElementsAre("订单号[订单号]怎么还没到？电话[手机号]", "How do I return shoes?"));

  // The same log again from stdin, minus the broken line: all duplicates, exit 0.
  std::istringstream in(
      "{\"role\":\"customer\",\"text\":\"How do I return shoes?\"}\n"
      "{\"role\":\"customer\",\"text\":\"Where is my refund? mail a@b.com\"}\n");
  options_.in = &in;
  r = Ctl({"--json", "import-corpus", "-"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["file"], "<stdin>");
  EXPECT_EQ(j["lines"], 2);
  EXPECT_EQ(j["stored"], 1);
  EXPECT_EQ(j["duplicates"], 1);
  EXPECT_EQ(j["skipped_not_customer"], 0);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["masked_items"], 1);
  EXPECT_EQ(j["corpus_size"], 3);
  EXPECT_TRUE(j["errors"].empty());

  // status counts the corpus too.
  r = Ctl({"--json", "status"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["corpus_texts"], 3);
}

// drafts: submit a drafts JSONL file, list, get, reject, submit again.
TEST_F(CtlAgainstRealServer, DraftsSubmitListGetRejectAgainstTheServer) {
  const std::string path = dir_.Sub("drafts.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"draft_id":"d-refund","question":"退款多久到账","variants":["钱什么时候退"],"answer":"1-3个工作日","frequency":3,"message_ids":["m1","m2","m3"],"conversation_ids":["c1","c2","c3"],"covered_by":null,"conflicting_answers":false,"first_seen":"2024-01-01","last_seen":"2024-01-05","trend":1.5})"
      << "\r\n\n";
    f << R"({"draft_id":"d-robot","question":"你是机器人吗","frequency":1,"message_ids":["m4"],"conversation_ids":["c4"],"covered_by":"chitchat-bot","covered_score":0.7})"
      << "\n";
  }
  Result r = Ctl({"drafts", "submit", path});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("submitted 2 drafts in 1 call: 2 created, 0 merged, 0 suppressed"));

  r = Ctl({"drafts", "list"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_THAT(lines[0], AllOf(HasSubstr("DRAFT"), HasSubstr("FREQUENCY"), HasSubstr("QUESTION")));
  EXPECT_THAT(lines[1], AllOf(HasSubstr("d-refund"), HasSubstr("new"), HasSubstr("3"), HasSubstr("退款多久到账")));
  EXPECT_THAT(lines[2], AllOf(HasSubstr("d-robot"), HasSubstr("chitchat-bot")));
  EXPECT_EQ(lines[3], "2 drafts");

  r = Ctl({"drafts", "list", "--coverage=uncovered", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  nlohmann::json j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["draft_id"], "d-refund");
  EXPECT_EQ(j["status"], "new");
  EXPECT_EQ(j["message_count"], 3);
  EXPECT_TRUE(j["covered_by"].is_null());

  r = Ctl({"drafts", "get", "d-refund"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("钱什么时候退"), HasSubstr("1-3个工作日"), HasSubstr("m1 m2 m3"),
                           HasSubstr("2024-01-01 .. 2024-01-05")));

  r = Ctl({"drafts", "reject", "d-robot", "--reason", "chit-chat"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("rejected d-robot"));
  r = Ctl({"drafts", "list", "--json"});
  EXPECT_THAT(r.out, Not(HasSubstr("d-robot")));

  // The same file again: nothing new, the rejected one suppressed, counts unchanged.
  r = Ctl({"--json", "drafts", "submit", path});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["created"], 0);
  EXPECT_EQ(j["merged"], 1);
  EXPECT_EQ(j["suppressed"], 1);
  r = Ctl({"--json", "drafts", "get", "d-robot"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "rejected");
  EXPECT_EQ(j["reject_reason"], "chit-chat");
  EXPECT_EQ(j["frequency"], 1);
  EXPECT_EQ(j["runs"], 2);
  r = Ctl({"drafts", "list", "--status=rejected"});
  EXPECT_THAT(r.out, HasSubstr("d-robot"));

  r = Ctl({"drafts", "get", "d-missing"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("error: NOT_FOUND"));
}

TEST_F(CtlAgainstRealServer, DraftsSubmitOfAMalformedLineSendsNothing) {
  const std::string path = dir_.Sub("drafts.jsonl");
  {
    std::ofstream f(path, std::ios::binary);
    f << R"({"draft_id":"d-1","question":"q"})" << "\n" << R"({"draft_id":"d-2"})" << "\n";
  }
  Result r = Ctl({"drafts", "submit", path});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr(path + ":2: \"question\" is missing or empty; nothing was sent"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(int64_t count, server_->knowledge_base().drafts().Count());
  EXPECT_EQ(count, 0);
}

// The real server holding the sample KB, with a quickly trained embedding
// model (fewer epochs than production: these tests check the plumbing, not
// the ranking quality).
class CtlAgainstSampleKb : public CtlAgainstRealServer {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    options.knowledge_base.semantic.enabled = true;
    options.knowledge_base.semantic.fasttext.epochs = 10;
    options.knowledge_base.semantic.retrain_quiet = absl::Milliseconds(100);
    absl::StatusOr<std::unique_ptr<ZhikuServer>> server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    options_.server = server_->address();
    Result r = Ctl({"import", SampleKbPath()});
    ASSERT_EQ(r.code, kExitOk) << r.err;
  }

  static std::string SampleKbPath() { return zhiku::testing::SourceDir() + "/data/sample_kb.jsonl"; }

  static int SampleKbEntries() {
    std::ifstream in(SampleKbPath());
    int n = 0;
    for (std::string line; std::getline(in, line);) n += !line.empty();
    return n;
  }

  // Blocks until the embedding model covers the whole KB.
  void WaitForModel() {
    Result r = Ctl({"status", "--wait_model", "120s"});
    ASSERT_EQ(r.code, kExitOk) << r.err;
  }
};

TEST_F(CtlAgainstSampleKb, AnswerPrintsADecisionForAKbQuestionAndExitsZero) {
  Result r = Ctl({"answer", "怎么退货"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_THAT(r.out, ::testing::MatchesRegex("decision    (ANSWER|SUGGEST|HANDOFF \\(LOW_CONFIDENCE: .*\\))\n"
                                             "confidence  [01]\\.[0-9]{3}  \\(ANSWER at >= .*"));
  EXPECT_THAT(r.out, HasSubstr("\nentry       returns-how-to\n"));
  EXPECT_THAT(r.out, HasSubstr("\nquestion    怎么申请退货？\n"));
  EXPECT_THAT(r.out, HasSubstr("\nanswer      在「我的订单」"));

  // With every confidence below 1 and none below 0, the decision is SUGGEST.
  r = Ctl({"answer", "怎么退货", "--answer_confidence=1", "--suggest_confidence=0"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision    SUGGEST\n"));
  EXPECT_THAT(r.out, HasSubstr("(ANSWER at >= 1.000, SUGGEST at >= 0.000)"));
  EXPECT_THAT(r.out, HasSubstr("\ndid you mean:\n  1. returns-how-to"));

  // The conversation context is accepted (and validated by the server).
  r = Ctl({"answer", "那退款呢", "--context", "customer:我想退货", "--context", "agent:好的"});
  EXPECT_EQ(r.code, kExitOk) << r.err;
}

TEST_F(CtlAgainstSampleKb, AnswerHandsChitchatOffWithItsReason) {
  Result r = Ctl({"answer", "你好"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decision    HANDOFF (CHITCHAT: greeting, thanks or asking for a human)\n"));
  r = Ctl({"--json", "answer", "你好"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["decision"], "HANDOFF");
  EXPECT_EQ(j["handoff_reason"], "CHITCHAT");
}

TEST_F(CtlAgainstSampleKb, AnswerJsonHasTheDecisionConfidenceAndEntryId) {
  Result r = Ctl({"--json", "answer", "发票怎么开"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out);
  for (const char* key : {"decision", "handoff_reason", "confidence", "answer_confidence",
                          "suggest_confidence", "entry_id", "question", "answer", "entry",
                          "alternatives", "traditional_query", "retrieval"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_THAT(std::string(j["decision"]), ::testing::AnyOf("ANSWER", "SUGGEST", "HANDOFF"));
  EXPECT_GE(j["confidence"].get<double>(), 0);
  EXPECT_LE(j["confidence"].get<double>(), 1);
  ASSERT_TRUE(j["entry_id"].is_string());
  EXPECT_THAT(std::string(j["entry_id"]), HasSubstr("invoice"));
  EXPECT_EQ(j["entry"]["id"], j["entry_id"]);
  EXPECT_FALSE(j.contains("hits"));  // only with --explain
}

TEST_F(CtlAgainstSampleKb, StatusReportsEntriesAndTheModelAfterWaiting) {
  Result r = Ctl({"--json", "status", "--wait_model", "120s"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["entries"], SampleKbEntries());
  EXPECT_EQ(j["searchable_seq"], j["store_seq"]);
  EXPECT_GE(j["model_version"].get<int64_t>(), 1);
  EXPECT_EQ(j["model_seq"], j["store_seq"]);
  EXPECT_GT(j["vector_base_vectors"].get<int64_t>() + j["vector_delta_vectors"].get<int64_t>(),
            SampleKbEntries());  // questions and variants
  EXPECT_TRUE(j.contains("calibration_ece"));

  r = Ctl({"status"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat("entries            ", SampleKbEntries(), "\n")));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("model              version [0-9]+, trained at seq"));
}

TEST_F(CtlAgainstSampleKb, SearchExplainShowsBothLegsOnceTheModelIsTrained) {
  WaitForModel();
  Result r = Ctl({"search", "钱什么时候退回来", "--explain"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "\n   keyword rank [0-9]+ score [0-9.]+ \\| vector rank [0-9]+ cosine "
                         "-?[0-9.]+ \\((question|variant #[0-9]+)\\) \\| fused [0-9.]+\n"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "\nretrieval: semantic_ratio [01]\\.[0-9]0, fusion weighted, vector leg used "
                         "\\(model [0-9]+\\)\n$"));

  r = Ctl({"--json", "search", "钱什么时候退回来", "--explain", "--fusion=rrf"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u);
  int both_legs = 0;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    nlohmann::json hit = nlohmann::json::parse(lines[i]);
    ASSERT_TRUE(hit.contains("explain")) << lines[i];
    both_legs += hit["explain"]["keyword_rank"] > 0 && hit["explain"]["vector_rank"] > 0;
  }
  EXPECT_GT(both_legs, 0);
  nlohmann::json summary = nlohmann::json::parse(lines.back());
  EXPECT_EQ(summary["retrieval"]["fusion"], "rrf");
  EXPECT_EQ(summary["retrieval"]["vector_used"], true);

  // Keyword only: the vector leg is not called.
  r = Ctl({"search", "钱什么时候退回来", "--explain", "--semantic_ratio=0"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("| vector - |"));
  EXPECT_THAT(r.out, Not(HasSubstr("| vector rank")));
  EXPECT_THAT(r.out, HasSubstr("\nretrieval: semantic_ratio 0.00, fusion weighted, vector leg not used"));

  // Answer explains the hits behind its decision the same way.
  r = Ctl({"answer", "钱什么时候退回来", "--explain"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("\nhits behind the decision:\n1. "));
  EXPECT_THAT(r.out, HasSubstr("| vector rank "));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nretrieval: semantic_ratio [01]\\.[0-9]0, fusion weighted"));
}

TEST_F(CtlAgainstSampleKb, BadSemanticRatioIsAUsageErrorAndSendsNothing) {
  for (const char* ratio : {"1.5", "-0.5", "x"}) {
    SCOPED_TRACE(ratio);
    Result r = Ctl({"search", "退货", absl::StrCat("--semantic_ratio=", ratio)});
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_THAT(r.err, HasSubstr("is not a number between 0 and 1"));
    EXPECT_EQ(r.out, "");
    r = Ctl({"answer", "退货", absl::StrCat("--semantic_ratio=", ratio)});
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_EQ(r.out, "");
  }
}

TEST(RunCtlErrors, UnreachableServerIsExitTwoWithCodeName) {
  Result r = RunArgs({"--timeout=2s", "get", "x"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(r.err, HasSubstr("hint: is zhiku-server running at 127.0.0.1:1?"));
}


// The feedback loop through zhikuctl: answers carry a query_id, feedback on
// it shows in the analytics tables and in the HTML report.
TEST_F(CtlAgainstSampleKb, FeedbackAnalyticsAndReportShowWhatWasAsked) {
  Result r = Ctl({"--json", "answer", "发票怎么开"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json answered = nlohmann::json::parse(r.out);
  const std::string query_id = answered["query_id"];
  ASSERT_THAT(query_id, ::testing::MatchesRegex("q[0-9a-f]{24}"));
  const std::string entry_id = answered["entry_id"];
  // The human output names the query_id too, so an agent can copy it.
  r = Ctl({"answer", "发票怎么开"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("\nquery_id    q[0-9a-f]{24}\n"));
  // A question the sample KB does not cover, asked twice in two spellings.
  for (const char* q : {"火星快递多久到？", "火星快递多久到"}) {
    r = Ctl({"answer", q});
    ASSERT_EQ(r.code, kExitOk) << r.err;
  }
  r = Ctl({"feedback", query_id, "not-helpful", "--comment", "客户说没用，电话13812345678"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(r.out, absl::StrCat("recorded: not_helpful for ", query_id, " (entry ", entry_id, ")\n"));
  r = Ctl({"--json", "feedback", query_id, "not_helpful"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["duplicate"], true);
  // Bad KIND is a usage error; an unknown query is NOT_FOUND from the server.
  r = Ctl({"feedback", query_id, "great"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("is not one of helpful, not_helpful, escalated, answer_used"));
  r = Ctl({"feedback", "q000000000000000000000000", "helpful"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("NOT_FOUND"));

  r = Ctl({"--json", "analytics", "summary", "--since", "1d"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  nlohmann::json summary = nlohmann::json::parse(r.out);
  EXPECT_EQ(summary["answers"], 4);
  EXPECT_EQ(summary["not_helpful"], 1);
  EXPECT_GE(summary["unanswered"].get<int64_t>(), 2);  // the two Mars questions at least
  EXPECT_FALSE(summary["timeline"].empty());
  r = Ctl({"analytics", "summary"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("queries       4  (0 Search, 4 Answer)\n"));
  EXPECT_THAT(r.out, HasSubstr("bucket (UTC)"));

  r = Ctl({"analytics", "unanswered", "--limit", "5"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 2u) << r.out;
  EXPECT_THAT(lines[0], HasSubstr("asked"));
  // Both spellings are one group, asked twice.
  EXPECT_THAT(r.out, ::testing::ContainsRegex("   1      2 .*火星快递多久到"));
  r = Ctl({"--json", "analytics", "top"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::vector<std::string> top = Lines(r.out);
  ASSERT_EQ(top.size(), 2u) << r.out;  // the invoice question and the Mars one
  EXPECT_EQ(nlohmann::json::parse(top[0])["count"], 2);

  r = Ctl({"--json", "analytics", "entries", "--sort", "not_helpful"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r.out;
  nlohmann::json entry = nlohmann::json::parse(r.out);
  EXPECT_EQ(entry["entry_id"], entry_id);
  EXPECT_EQ(entry["not_helpful"], 1);
  EXPECT_DOUBLE_EQ(entry["not_helpful_rate"].get<double>(), 1.0);
  r = Ctl({"analytics", "entries"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr(entry_id));

  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"analytics"}, {"analytics", "weekly"}, {"analytics", "summary", "--limit", "3"},
        {"analytics", "top", "--since", "1d", "--from", "2026-01-01"}, {"analytics", "top", "--from", "yesterday"},
        {"analytics", "top", "--from", "2026-02-01", "--to", "2026-01-01"}, {"report"}}) {
    SCOPED_TRACE(absl::StrJoin(bad, " "));
    r = Ctl(bad);
    EXPECT_EQ(r.code, kExitUsage);
    EXPECT_THAT(r.err, HasSubstr("zhikuctl help"));
  }

  const std::string html_path = dir_.Sub("report.html");
  r = Ctl({"report", "--html", html_path, "--since", "7d"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + html_path));
  std::ifstream in(html_path);
  std::stringstream html;
  html << in.rdbuf();
  EXPECT_THAT(html.str(), HasSubstr("<h2>Hot questions</h2>"));
  EXPECT_THAT(html.str(), HasSubstr("火星快递多久到"));
  EXPECT_THAT(html.str(), HasSubstr("<h2>Least helpful entries</h2>"));
  EXPECT_THAT(html.str(), HasSubstr(entry_id));
  EXPECT_THAT(html.str(), HasSubstr("<polyline"));  // the hand-off rate line
  r = Ctl({"report", "--html", dir_.Sub("no/such/dir/report.html")});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("cannot write"));
}

TEST(RenderReportHtml, EscapesTextAndNeedsNothingFromOutside) {
  ReportData data;
  data.server = "127.0.0.1:1";
  data.generated_ms = 1764547200000;
  data.summary.mutable_range()->set_since_ms(1764547200000 - 86400000);
  data.summary.mutable_range()->set_until_ms(1764547200000);
  data.summary.set_queries(10);
  data.summary.set_answers(8);
  data.summary.set_handoffs(2);
  data.summary.set_handoff_rate(0.25);
  data.summary.set_bucket_seconds(3600);
  for (int i = 0; i < 3; ++i) {
    v1::TimelineBucket* b = data.summary.add_timeline();
    b->set_start_ms(1764547200000 - 86400000 + i * 3600000);
    b->set_queries(3 + i);
    b->set_answers(2 + i);
    b->set_handoffs(i);
  }
  v1::QueryGroupStats* q = data.hot.add_queries();
  q->set_text("<script>alert('x')</script> 退货 & 退款");
  q->set_count(7);
  q->set_handoffs(3);
  *data.unanswered.add_queries() = *q;
  v1::EntryUsageStats* e = data.least_helpful.add_entries();
  e->set_entry_id("refund-\"policy\"");
  e->set_question("退款政策");
  e->set_helpful(1);
  e->set_not_helpful(3);
  e->set_not_helpful_rate(0.75);
  const std::string html = RenderReportHtml(data);
  EXPECT_THAT(html, ::testing::StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, ::testing::EndsWith("</html>\n"));
  EXPECT_THAT(html, ::testing::Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 退货 &amp; 退款"));
  EXPECT_THAT(html, HasSubstr("refund-&quot;policy&quot;"));
  EXPECT_THAT(html, HasSubstr("75.0% of 4 votes"));
  EXPECT_THAT(html, HasSubstr("25.0%"));  // the headline hand-off rate
  // Self-contained: no link, image, font or style sheet from elsewhere.
  for (const char* external : {"http:", "https:", "src=", "<link", "@import", "url("}) {
    EXPECT_THAT(html, ::testing::Not(HasSubstr(external))) << external;
  }
  // The hand-off line has a point per bucket with Answer calls: 3.
  const size_t start = html.find("<polyline points=\"");
  ASSERT_NE(start, std::string::npos);
  const std::string points = html.substr(start + 18, html.find('"', start + 18) - start - 18);
  EXPECT_EQ(std::count(points.begin(), points.end(), ','), 3) << points;
  // Empty data says so instead of drawing empty charts.
  const std::string empty = RenderReportHtml(ReportData{});
  EXPECT_THAT(empty, HasSubstr("No queries in this range."));
  EXPECT_THAT(empty, HasSubstr("No buckets in this range."));
}

}  // namespace
}  // namespace zhiku::ctl
