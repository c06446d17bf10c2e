// zhiku-bench's library: percentile math, query files, option parsing, and
// short closed-loop runs against an in-process ZhikuServer on 127.0.0.1.
#include "service/bench.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/entry.h"
#include "nlohmann/json.hpp"
#include "service/server.h"
#include "tests/test_util.h"

namespace zhiku::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<double> Iota(int n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

// ---------------------------------------------------------------------------
// Percentiles

TEST(NearestRankPercentile, OneToHundredGivesTheRankItself) {
  const std::vector<double> v = Iota(100);
  EXPECT_EQ(NearestRankPercentile(v, 50), 50);
  EXPECT_EQ(NearestRankPercentile(v, 90), 90);
  EXPECT_EQ(NearestRankPercentile(v, 99), 99);
  // 99.9% of 100 samples is 99.9 -> rank 100.
  EXPECT_EQ(NearestRankPercentile(v, 99.9), 100);
  EXPECT_EQ(NearestRankPercentile(v, 100), 100);
  EXPECT_EQ(NearestRankPercentile(v, 0), 1);
}

TEST(NearestRankPercentile, ThousandSamplesP999IsRank999NotTheMaximum) {
  // Regression guard: 0.999 * 1000 is 999.0000000000001 in binary floating
  // point, and a plain ceil() would pick rank 1,000.
  const std::vector<double> v = Iota(1000);
  EXPECT_EQ(NearestRankPercentile(v, 99.9), 999);
  EXPECT_EQ(NearestRankPercentile(v, 99), 990);
  EXPECT_EQ(NearestRankPercentile(v, 50), 500);
}

TEST(NearestRankPercentile, SmallAndEmptyInputs) {
  EXPECT_EQ(NearestRankPercentile({}, 50), 0);
  EXPECT_EQ(NearestRankPercentile({7}, 50), 7);
  EXPECT_EQ(NearestRankPercentile({7}, 99.9), 7);
  // Two samples: the median is the lower one (rank ceil(1.0) = 1).
  EXPECT_EQ(NearestRankPercentile({1, 2}, 50), 1);
  EXPECT_EQ(NearestRankPercentile({1, 2}, 51), 2);
}

TEST(SummarizeLatencies, SortsUnorderedSamplesAndComputesEveryField) {
  std::vector<double> v = Iota(1000);
  std::mt19937 rng(3);
  std::shuffle(v.begin(), v.end(), rng);
  const LatencySummary s = SummarizeLatencies(v);
  EXPECT_EQ(s.count, 1000);
  EXPECT_EQ(s.min_ms, 1);
  EXPECT_EQ(s.p50_ms, 500);
  EXPECT_EQ(s.p90_ms, 900);
  EXPECT_EQ(s.p99_ms, 990);
  EXPECT_EQ(s.p999_ms, 999);
  EXPECT_EQ(s.max_ms, 1000);
  EXPECT_DOUBLE_EQ(s.mean_ms, 500.5);
}

TEST(SummarizeLatencies, EmptyIsAllZero) {
  const LatencySummary s = SummarizeLatencies({});
  EXPECT_EQ(s.count, 0);
  EXPECT_EQ(s.p50_ms, 0);
  EXPECT_EQ(s.mean_ms, 0);
}

// ---------------------------------------------------------------------------
// Query files

TEST(ParseBenchQueries, EvalLinesGiveTheirQuery) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      const std::vector<std::string> q,
      ParseBenchQueries("{\"query\":\"怎么退货\",\"expected_id\":\"returns\"}\n"
                        "{\"query\":\"讲个笑话\",\"expected_id\":null}\n"));
  EXPECT_THAT(q, ElementsAre("怎么退货", "讲个笑话"));
}

TEST(ParseBenchQueries, KbLinesGiveQuestionAndEveryVariant) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      const std::vector<std::string> q,
      ParseBenchQueries(R"({"id":"a","question":"运费怎么算？","variants":["包邮吗","邮费多少钱"],"answer":"x"})"
                        "\n"
                        R"({"id":"b","question":"How do I get a refund?"})"));
  EXPECT_THAT(q, ElementsAre("运费怎么算？", "包邮吗", "邮费多少钱", "How do I get a refund?"));
}

TEST(ParseBenchQueries, FormatIsDetectedPerLineAndBlankLinesAndCrAreSkipped) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::vector<std::string> q,
                             ParseBenchQueries("\n{\"query\":\"a\"}\r\n   \n{\"question\":\"b\",\"variants\":[\"c\"]}\r\n"));
  EXPECT_THAT(q, ElementsAre("a", "b", "c"));
}

struct BadLine {
  std::string jsonl;
  std::string message;
};

TEST(ParseBenchQueries, MalformedLinesAreInvalidArgumentWithTheLineNumber) {
  const BadLine cases[] = {
      {"{\"query\":\"ok\"}\n\n{\"query\": broken\n", "line 3: not valid JSON"},
      {"[1,2]\n", "line 1: expected a JSON object"},
      {"{\"query\":\"ok\"}\n{\"text\":\"neither format\"}\n", "line 2: expected an eval query"},
      {"{\"query\":42}\n", "line 1: \"query\" must be a string"},
      {"{\"question\":\"q\",\"variants\":\"not a list\"}\n", "line 1: \"variants\" must be a list of strings"},
      {"{\"question\":\"q\",\"variants\":[1]}\n", "line 1: \"variants\" must be a list of strings"},
      // A file with nothing in it is an error too, not a silent zero-query run.
      {"\n\n", "no queries"},
  };
  for (const BadLine& c : cases) {
    const absl::StatusOr<std::vector<std::string>> q = ParseBenchQueries(c.jsonl);
    ASSERT_FALSE(q.ok()) << c.jsonl;
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(q.status().message()), HasSubstr(c.message)) << c.jsonl;
  }
}

TEST(ReadBenchQueries, ErrorsNameTheFileAndLine) {
  zhiku::testing::TempDir dir;
  const std::string path = dir.Sub("q.jsonl");
  std::ofstream(path) << "{\"query\":\"a\"}\nnot json\n";
  const absl::StatusOr<std::vector<std::string>> q = ReadBenchQueries(path);
  ASSERT_FALSE(q.ok());
  EXPECT_THAT(std::string(q.status().message()), HasSubstr(path + ":2: not valid JSON"));
  EXPECT_EQ(ReadBenchQueries(dir.Sub("missing.jsonl")).status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadBenchQueries, ReadsTheSampleKb) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::vector<std::string> q,
                             ReadBenchQueries(zhiku::testing::SourceDir() + "/data/sample_kb.jsonl"));
  // 213 questions plus their variants.
  EXPECT_GT(q.size(), 213u * 3);
}

TEST(SuggestPrefixes, FirstOneToFourCodePoints) {
  EXPECT_THAT(SuggestPrefixes({"退货流程是什么", "ab"}), ElementsAre("退", "退货", "退货流", "退货流程", "a", "ab"));
  // A prefix that is only whitespace would be an empty Suggest.
  EXPECT_THAT(SuggestPrefixes({" x"}), ElementsAre(" x"));
}

// ---------------------------------------------------------------------------
// Options

TEST(ParseRpcList, NamesListsAndErrors) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::vector<Rpc> rpcs, ParseRpcList("search, Suggest,answer,HEALTH"));
  EXPECT_THAT(rpcs, ElementsAre(Rpc::kSearch, Rpc::kSuggest, Rpc::kAnswer, Rpc::kHealth));
  EXPECT_THAT(std::string(ParseRpcList("serch").status().message()), HasSubstr("use search, answer, suggest or health"));
  EXPECT_THAT(std::string(ParseRpcList("search,search").status().message()), HasSubstr("twice"));
  EXPECT_FALSE(ParseRpcList("").ok());
}

TEST(ParseFusionAndSemanticRatio, AcceptKnownValuesAndRejectOthers) {
  EXPECT_EQ(*ParseFusion(""), Fusion::kServerDefault);
  EXPECT_EQ(*ParseFusion("rrf"), Fusion::kRrf);
  EXPECT_EQ(*ParseFusion("Weighted"), Fusion::kWeighted);
  EXPECT_FALSE(ParseFusion("linear").ok());
  EXPECT_EQ(*ParseSemanticRatio(""), std::nullopt);
  EXPECT_EQ(*ParseSemanticRatio("0.25"), std::optional<double>(0.25));
  EXPECT_EQ(*ParseSemanticRatio("0"), std::optional<double>(0));
  EXPECT_FALSE(ParseSemanticRatio("1.5").ok());
  EXPECT_FALSE(ParseSemanticRatio("half").ok());
  EXPECT_FALSE(ParseSemanticRatio("nan").ok());
}

TEST(RunBench, InconsistentOptionsAreInvalidArgumentBeforeConnecting) {
  BenchOptions options;
  options.server = "127.0.0.1:1";
  options.queries = {"q"};
  options.clients = 0;
  EXPECT_EQ(RunBench(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.clients = 2;
  options.channels = 3;
  EXPECT_THAT(std::string(RunBench(options).status().message()), HasSubstr("--channels is 3"));
  options.channels = 0;
  options.queries.clear();
  EXPECT_THAT(std::string(RunBench(options).status().message()), HasSubstr("--queries"));
  options.queries = {"q"};
  options.page_size = 101;
  EXPECT_EQ(RunBench(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RunBench, NoServerIsUnavailableNamingTheAddress) {
  BenchOptions options;
  options.server = "127.0.0.1:1";  // nothing listens on port 1
  options.queries = {"q"};
  options.connect_timeout = absl::Milliseconds(300);
  const absl::StatusOr<BenchReport> report = RunBench(options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("cannot connect to 127.0.0.1:1"));
  EXPECT_THAT(std::string(report.status().message()), HasSubstr("zhiku-server"));
}

// ---------------------------------------------------------------------------
// Real runs

class BenchRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.require_api_keys = false;  // API keys: auth_test.cc
    options.listen = "127.0.0.1:0";
    options.knowledge_base.data_dir = dir_.Sub("data");
    auto server = ZhikuServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);

    const std::string kb_path = zhiku::testing::SourceDir() + "/data/sample_kb.jsonl";
    std::ifstream in(kb_path);
    ASSERT_TRUE(in) << kb_path;
    std::vector<Entry> entries;
    for (std::string line; std::getline(in, line);) {
      ZHIKU_ASSERT_OK_AND_ASSIGN(Entry entry, EntryFromJsonLine(line));
      entries.push_back(std::move(entry));
    }
    ZHIKU_ASSERT_OK(server_->knowledge_base().UpsertEntries(std::move(entries)));
    ZHIKU_ASSERT_OK(server_->knowledge_base().WaitUntilSearchable(absl::Seconds(10)));
    ZHIKU_ASSERT_OK_AND_ASSIGN(queries_, ReadBenchQueries(kb_path));
  }

  BenchOptions Options() const {
    BenchOptions options;
    options.server = server_->address();
    options.queries = queries_;
    options.clients = 2;
    options.duration = absl::Milliseconds(500);
    options.warmup = absl::Milliseconds(100);
    options.baseline = absl::Milliseconds(200);
    return options;
  }

  zhiku::testing::TempDir dir_;
  std::unique_ptr<ZhikuServer> server_;
  std::vector<std::string> queries_;
};

TEST_F(BenchRunTest, TwoClientsForHalfASecondCompleteSearchSuggestAndHealthWithoutErrors) {
  BenchOptions options = Options();
  options.rpcs = {Rpc::kSearch, Rpc::kSuggest};
  ZHIKU_ASSERT_OK_AND_ASSIGN(const BenchReport report, RunBench(options));
  EXPECT_EQ(report.clients, 2);
  EXPECT_EQ(report.channels, 2);
  ASSERT_TRUE(report.baseline.has_value());
  EXPECT_GT(report.baseline->completed, 0);
  EXPECT_EQ(report.baseline->errors, 0);
  ASSERT_EQ(report.results.size(), 2u);
  for (const PhaseResult& r : report.results) {
    SCOPED_TRACE(RpcName(r.rpc));
    EXPECT_GT(r.completed, 0);
    EXPECT_EQ(r.errors, 0);
    EXPECT_TRUE(r.errors_by_code.empty());
    EXPECT_EQ(r.latency.count, r.completed);
    EXPECT_GE(r.elapsed_seconds, 0.5);
    EXPECT_GT(r.qps, 0);
    EXPECT_LE(r.latency.p50_ms, r.latency.p99_ms);
    EXPECT_GT(r.mean_items, 0) << "the sample KB's own phrasings must find something";
    EXPECT_TRUE(RatioToBaseline(report, r).has_value());
  }
  EXPECT_EQ(BenchExitCode(report), 0);

  const std::string text = BenchReportToText(report);
  EXPECT_THAT(text, HasSubstr("Health (baseline)"));
  EXPECT_THAT(text, HasSubstr("Search"));
  EXPECT_THAT(text, HasSubstr("p99.9 ms"));
  const nlohmann::json j = nlohmann::json::parse(BenchReportToJson(report));
  EXPECT_EQ(j["clients"], 2);
  EXPECT_EQ(j["results"][0]["rpc"], "search");
  EXPECT_EQ(j["results"][0]["errors"], 0);
  EXPECT_TRUE(j["results"][1]["latency_ms"].contains("p99_9"));
  EXPECT_TRUE(j["baseline"].is_object());
}

TEST_F(BenchRunTest, HealthAloneIsItsOwnBaseline) {
  BenchOptions options = Options();
  options.rpcs = {Rpc::kHealth};
  options.queries.clear();  // not needed for Health
  ZHIKU_ASSERT_OK_AND_ASSIGN(const BenchReport report, RunBench(options));
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_GT(report.results[0].completed, 0);
  EXPECT_EQ(report.results[0].errors, 0);
  ASSERT_TRUE(report.baseline.has_value());
  EXPECT_EQ(*RatioToBaseline(report, report.results[0]), 1.0);
}

TEST_F(BenchRunTest, FixedRequestCountIsSharedExactlyByTheClients) {
  BenchOptions options = Options();
  options.clients = 3;
  options.channels = 1;
  options.requests = 50;
  options.warmup = absl::ZeroDuration();
  options.baseline = absl::ZeroDuration();
  ZHIKU_ASSERT_OK_AND_ASSIGN(const BenchReport report, RunBench(options));
  EXPECT_EQ(report.channels, 1);
  EXPECT_FALSE(report.baseline.has_value());
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].completed + report.results[0].errors, 50);
  EXPECT_EQ(report.results[0].completed, 50);
}

TEST_F(BenchRunTest, FailedCallsAreCountedByStatusCodeNotFatal) {
  BenchOptions options = Options();
  options.queries = {std::string(5000, 'a')};  // over the 4,096-byte query limit
  options.requests = 20;
  options.baseline = absl::ZeroDuration();
  options.warmup = absl::ZeroDuration();
  ZHIKU_ASSERT_OK_AND_ASSIGN(const BenchReport report, RunBench(options));
  const PhaseResult& r = report.results.at(0);
  EXPECT_EQ(r.completed, 0);
  EXPECT_EQ(r.errors, 20);
  ASSERT_TRUE(r.errors_by_code.contains("INVALID_ARGUMENT"));
  EXPECT_EQ(r.errors_by_code.at("INVALID_ARGUMENT").count, 20);
  EXPECT_THAT(r.errors_by_code.at("INVALID_ARGUMENT").first_message, HasSubstr("4,096"));
  EXPECT_EQ(r.latency.count, 0);
  EXPECT_EQ(BenchExitCode(report), 3);
  EXPECT_THAT(BenchReportToText(report), HasSubstr("Search: INVALID_ARGUMENT x 20"));
}

}  // namespace
}  // namespace zhiku::bench
