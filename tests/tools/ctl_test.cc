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
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
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
      {"search", {"--filter", "--page_size", "--offset", "--page_token", "--snippet_chars"}},
      {"suggest", {"--filter", "--limit"}},
      {"get", {}},
      {"create",
       {"--file", "--id", "--question", "--variant", "--answer", "--category", "--tag",
        "--locale", "--channel"}},
      {"update",
       {"--file", "--question", "--variant", "--add_variant", "--no_variants", "--answer",
        "--category", "--tag", "--add_tag", "--no_tags", "--locale", "--channel"}},
      {"delete", {"--expected_version"}},
      {"list", {"--filter", "--page_size", "--page_token", "--all"}},
      {"import", {}},
      {"import-corpus", {"--retrain"}},
      {"export", {"--output", "--filter"}},
      {"health", {"--service"}},
      {"eval", {"--queries", "--limit", "--fail_below"}},
      {"help", {}},
  };
  EXPECT_EQ(CtlSubcommandNames().size(), kFlags.size());
  Result r = RunArgs({"--help"});
  ASSERT_EQ(r.code, kExitOk);
  EXPECT_EQ(r.out, CtlUsage());
  for (const char* flag : {"--server", "--json", "--timeout", "--color"}) {
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

  std::mutex mu;
  std::map<std::string, v1::Entry> entries;
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
  v1::SearchRequest last_request;
};

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
}

TEST(RunCtlErrors, UnreachableServerIsExitTwoWithCodeName) {
  Result r = RunArgs({"--timeout=2s", "get", "x"});
  EXPECT_EQ(r.code, kExitRpcError);
  EXPECT_THAT(r.err, HasSubstr("error: UNAVAILABLE: "));
  EXPECT_THAT(r.err, HasSubstr("hint: is zhiku-server running at 127.0.0.1:1?"));
}

}  // namespace
}  // namespace zhiku::ctl
