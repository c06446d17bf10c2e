#include "ingest/chat_generator.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/chat_message.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

std::string MessageLine(const std::string& conversation, const std::string& role, const std::string& text) {
  Json j = {{"conversation_id", conversation}, {"role", role}, {"text", text}};
  return j.dump() + "\n";
}

// A small mixed source: Chinese and English conversations with agents'
// replies, placeholders, a line to skip and a blank line.
std::string SmallSource() {
  std::string s;
  s += MessageLine("zh1", "customer", "你好，我买的衣服不合适，怎么退货啊");
  s += MessageLine("zh1", "agent", "您好，在我的订单里点申请售后就可以退货了");
  s += MessageLine("zh1", "customer", "退款多久能到账");
  s += MessageLine("zh1", "agent", "退款一般1到3个工作日原路返回");
  s += MessageLine("zh2", "customer", "[订单x]这个订单什么时候发货");
  s += MessageLine("zh2", "agent", "[订单x]还请您稍等，正在为您查询，预计[数字x]天内发货");
  s += MessageLine("zh3", "customer", "发票怎么开");
  s += "{broken json\n\n";
  s += MessageLine("en1", "customer", "How do I reset my password?");
  s += MessageLine("en1", "agent", "Click Forgot password on the sign-in page and follow the link we e-mail you.");
  s += MessageLine("en2", "customer", "My card has not arrived yet, it has been two weeks");
  s += MessageLine("en2", "agent", "Sorry about that. Cards usually arrive within 7 working days.");
  s += MessageLine("en2", "customer", "Can you send a new one?");
  return s;
}

struct Generated {
  absl::Status status;
  GeneratorReport report;
  std::string text;
};

Generated Generate(const std::vector<std::string>& paths, const GeneratorOptions& options) {
  std::ostringstream out;
  absl::StatusOr<GeneratorReport> report = GenerateChatLog(paths, options, out);
  Generated g;
  g.status = report.status();
  if (report.ok()) g.report = *std::move(report);
  g.text = out.str();
  return g;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  EXPECT_TRUE(lines.empty() || lines.back().empty()) << "output must end with a newline";
  if (!lines.empty()) lines.pop_back();
  return lines;
}

// A well-formed line: valid JSON object with every field as a string.
bool WellFormed(const std::string& line, Json* out) {
  Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return false;
  for (const char* key : {"conversation_id", "message_id", "role", "text", "ts", "channel"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return false;
  }
  if (!ChatMessageFromJsonLine(line).ok()) return false;
  *out = std::move(j);
  return true;
}

std::vector<Json> WellFormedMessages(const std::string& text) {
  std::vector<Json> messages;
  for (const std::string& line : Lines(text)) {
    Json j;
    if (WellFormed(line, &j)) messages.push_back(std::move(j));
  }
  return messages;
}

// Code points of a UTF-8 string.
std::vector<std::string> CodePoints(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

// Share of the source's code points (as a multiset) found in `text`.
double Recall(const std::string& source, const std::string& text) {
  absl::flat_hash_map<std::string, int> have;
  for (const std::string& cp : CodePoints(text)) ++have[cp];
  const std::vector<std::string> want = CodePoints(source);
  int found = 0;
  for (const std::string& cp : want) {
    auto it = have.find(cp);
    if (it != have.end() && it->second > 0) {
      --it->second;
      ++found;
    }
  }
  return want.empty() ? 1.0 : static_cast<double>(found) / want.size();
}

GeneratorOptions Small(int64_t messages) {
  GeneratorOptions o;
  o.messages = messages;
  o.days = 2;
  return o;
}

class ChatGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_ = dir_.Sub("source.jsonl");
    WriteFile(source_, SmallSource());
  }
  testing::TempDir dir_;
  std::string source_;
};

TEST_F(ChatGeneratorTest, SameSeedGivesIdenticalBytesAndAnotherSeedDoesNot) {
  GeneratorOptions o = Small(3000);
  o.dirty_share = 0.01;
  const Generated a = Generate({source_}, o);
  const Generated b = Generate({source_}, o);
  ZHIKU_ASSERT_OK(a.status);
  ZHIKU_ASSERT_OK(b.status);
  EXPECT_EQ(a.text, b.text);
  o.seed = 2;
  const Generated c = Generate({source_}, o);
  ZHIKU_ASSERT_OK(c.status);
  EXPECT_NE(a.text, c.text);
  o.seed = 1;
  o.time_ordered = false;
  const Generated d = Generate({source_}, o);
  ZHIKU_ASSERT_OK(d.status);
  EXPECT_EQ(d.text, Generate({source_}, o).text);
}

TEST_F(ChatGeneratorTest, WritesExactlyTheRequestedNumberOfLines) {
  for (int64_t n : {0, 1, 2, 17, 1237}) {
    for (bool ordered : {true, false}) {
      GeneratorOptions o = Small(n);
      o.dirty_share = 0.05;
      o.time_ordered = ordered;
      const Generated g = Generate({source_}, o);
      ZHIKU_ASSERT_OK(g.status);
      EXPECT_EQ(static_cast<int64_t>(Lines(g.text).size()), n) << n;
      EXPECT_EQ(g.report.lines, n);
      EXPECT_EQ(g.report.messages + g.report.dirty_lines, n);
    }
  }
}

TEST_F(ChatGeneratorTest, WellFormedLinesCarryEveryFieldAndDirtyShareIsAsAsked) {
  GeneratorOptions o = Small(20000);
  o.dirty_share = 0.05;
  const Generated g = Generate({source_}, o);
  ZHIKU_ASSERT_OK(g.status);
  int64_t dirty = 0;
  absl::flat_hash_set<std::string> message_ids;
  std::string previous_ts;
  for (const std::string& line : Lines(g.text)) {
    Json j;
    if (!WellFormed(line, &j)) {
      ++dirty;
      continue;
    }
    const std::string ts = j["ts"].get<std::string>();
    // ISO 8601 with the offset: 2026-11-02T09:32:36+08:00
    ASSERT_EQ(ts.size(), 25u) << ts;
    EXPECT_EQ(ts.substr(19), "+08:00");
    EXPECT_GE(ts, "2026-11-02T00:00:00");
    EXPECT_LT(ts, "2026-11-04T01:00:00");
    EXPECT_GE(ts, previous_ts) << "time-ordered output";
    previous_ts = ts;
    EXPECT_TRUE(message_ids.insert(j["message_id"].get<std::string>()).second) << "fresh, unique message ids";
    EXPECT_THAT(j["conversation_id"].get<std::string>(), ::testing::StartsWith("gen-c"));
    EXPECT_FALSE(j["text"].get<std::string>().empty());
    EXPECT_FALSE(j["channel"].get<std::string>().empty());
  }
  EXPECT_EQ(dirty, g.report.dirty_lines);
  // 1,000 expected; the binomial standard deviation is about 31.
  EXPECT_NEAR(static_cast<double>(dirty), 1000.0, 150.0);
  EXPECT_EQ(g.report.messages, 20000 - dirty);
  EXPECT_EQ(g.report.customer_messages + g.report.agent_messages + g.report.other_messages, g.report.messages);
  EXPECT_GT(g.report.conversations, 1000);
  EXPECT_GT(g.report.pii_messages, 0);
  EXPECT_GT(g.report.perturbed_messages, 0);
  EXPECT_GT(g.report.chitchat_messages, 0);
  EXPECT_THAT(g.report.first_ts, ::testing::StartsWith("2026-11-02T"));
  EXPECT_EQ(g.report.source_conversations, 5);
  EXPECT_EQ(g.report.source_skipped_lines, 2);
  EXPECT_EQ(g.report.source_messages, 12);
}

TEST_F(ChatGeneratorTest, ZeroDirtyShareWritesNoDirtyLines) {
  GeneratorOptions o = Small(5000);
  o.dirty_share = 0;
  const Generated g = Generate({source_}, o);
  ZHIKU_ASSERT_OK(g.status);
  EXPECT_EQ(g.report.dirty_lines, 0);
  EXPECT_EQ(static_cast<int64_t>(WellFormedMessages(g.text).size()), 5000);
}

TEST_F(ChatGeneratorTest, ConversationsKeepTheSourceTurnOrder) {
  // Texts that say where they come from: conversation k, turn t.
  std::string source;
  absl::flat_hash_map<std::string, std::pair<int, int>> origin;
  for (int k = 0; k < 30; ++k) {
    for (int t = 0; t < 1 + k % 5; ++t) {
      const std::string text = absl::StrCat("source ", k, " turn ", t);
      origin[text] = {k, t};
      source += MessageLine(absl::StrCat("c", k), t % 2 == 0 ? "customer" : "agent", text);
    }
  }
  const std::string path = dir_.Sub("ordered.jsonl");
  WriteFile(path, source);
  for (bool ordered : {true, false}) {
    GeneratorOptions o = Small(20000);
    o.dirty_share = 0;
    o.perturb_share = o.pii_share = o.noise_share = 0;
    o.time_ordered = ordered;
    const Generated g = Generate({path}, o);
    ZHIKU_ASSERT_OK(g.status);
    // Per conversation: the (source, turn) sequence and the roles.
    absl::flat_hash_map<std::string, std::vector<std::pair<int, int>>> turns;
    absl::flat_hash_map<std::string, std::string> last_ts;
    std::string previous_conversation;
    absl::flat_hash_set<std::string> finished;
    for (const Json& j : WellFormedMessages(g.text)) {
      const std::string conversation = j["conversation_id"].get<std::string>();
      const std::string ts = j["ts"].get<std::string>();
      EXPECT_GE(ts, last_ts[conversation]);
      last_ts[conversation] = ts;
      if (!ordered) {
        // Written in one piece each.
        if (conversation != previous_conversation) {
          EXPECT_TRUE(finished.insert(previous_conversation).second || previous_conversation.empty());
          EXPECT_FALSE(finished.contains(conversation)) << conversation;
        }
        previous_conversation = conversation;
      }
      auto it = origin.find(j["text"].get<std::string>());
      if (it == origin.end()) continue;  // chit-chat
      const int t = it->second.second;
      EXPECT_EQ(j["role"].get<std::string>(), t % 2 == 0 ? "customer" : "agent");
      turns[conversation].push_back(it->second);
    }
    int interleaved = 0;
    for (const auto& [conversation, seq] : turns) {
      // Each conversation is one or two source conversations, each in order
      // from its first turn (the last one may be cut by the message limit).
      ASSERT_FALSE(seq.empty());
      int parts = 1;
      EXPECT_EQ(seq[0].second, 0) << conversation;
      for (size_t i = 1; i < seq.size(); ++i) {
        if (seq[i].first == seq[i - 1].first && seq[i].second == seq[i - 1].second + 1) continue;
        EXPECT_EQ(seq[i].second, 0) << conversation << " restarts mid-conversation";
        ++parts;
      }
      EXPECT_LE(parts, 2) << conversation;
    }
    if (ordered) {
      // Sorted by time, concurrent conversations interleave.
      std::string prev;
      absl::flat_hash_set<std::string> closed;
      for (const Json& j : WellFormedMessages(g.text)) {
        const std::string c = j["conversation_id"].get<std::string>();
        if (c != prev && closed.contains(c)) ++interleaved;
        if (c != prev) closed.insert(prev);
        prev = c;
      }
      EXPECT_GT(interleaved, 0);
    }
  }
}

TEST_F(ChatGeneratorTest, PerturbedTextsStayRecognisable) {
  const std::string path = testing::SourceDir() + "/data/sample_chats.jsonl";
  std::vector<std::string> sources;
  {
    std::ifstream in(path);
    ASSERT_TRUE(in.is_open()) << path;
    std::string line;
    while (std::getline(in, line)) {
      absl::StatusOr<ChatMessage> m = ChatMessageFromJsonLine(line);
      if (m.ok() && m->role == ChatRole::kCustomer) sources.push_back(m->text);
    }
  }
  GeneratorOptions o = Small(4000);
  o.dirty_share = 0;
  o.perturb_share = 1.0;  // every customer text edited
  o.traditional_share = 0;
  o.greeting_share = o.thanks_share = o.order_number_share = 0;
  const Generated g = Generate({path}, o);
  ZHIKU_ASSERT_OK(g.status);
  int customers = 0, recognisable = 0;
  for (const Json& j : WellFormedMessages(g.text)) {
    if (j["role"] != "customer") continue;
    const std::string text = j["text"].get<std::string>();
    ++customers;
    double best = 0;
    for (const std::string& s : sources) best = std::max(best, Recall(s, text));
    if (best >= 0.75) ++recognisable;
  }
  ASSERT_GT(customers, 1000);
  EXPECT_GE(recognisable, customers * 0.95) << recognisable << " of " << customers;
  EXPECT_GT(g.report.perturbed_messages, customers * 0.9);
}

TEST_F(ChatGeneratorTest, SomeChineseConversationsSwitchToTraditional) {
  GeneratorOptions o = Small(3000);
  o.dirty_share = 0;
  o.traditional_share = 1.0;
  o.perturb_share = 0;
  const Generated g = Generate({source_}, o);
  ZHIKU_ASSERT_OK(g.status);
  EXPECT_GT(g.report.script_converted_messages, 100);
  EXPECT_THAT(g.text, HasSubstr("退貨"));
  EXPECT_THAT(g.text, HasSubstr("發票"));
  // Agents keep their script.
  EXPECT_THAT(g.text, HasSubstr("退款一般1到3个工作日原路返回"));
}

TEST_F(ChatGeneratorTest, PlaceholdersBecomeFakeValuesAndPiiIsInjected) {
  GeneratorOptions o = Small(3000);
  o.dirty_share = 0;
  o.pii_share = 1.0;
  const Generated g = Generate({source_}, o);
  ZHIKU_ASSERT_OK(g.status);
  EXPECT_THAT(g.text, ::testing::Not(HasSubstr("[订单x]")));
  EXPECT_THAT(g.text, ::testing::Not(HasSubstr("[数字x]")));
  int with_phone_or_mail = 0, customers = 0;
  for (const Json& j : WellFormedMessages(g.text)) {
    if (j["role"] != "customer") continue;
    const std::string text = j["text"].get<std::string>();
    ++customers;
    int digits = 0;
    for (char c : text) digits += c >= '0' && c <= '9';
    if (text.find('@') != std::string::npos || digits >= 7) ++with_phone_or_mail;
  }
  EXPECT_GT(with_phone_or_mail, customers / 2);
  EXPECT_GT(g.report.pii_messages, 0);
}

TEST_F(ChatGeneratorTest, HotSourcesRecurFarMoreThanTheMedian) {
  std::string source;
  for (int k = 0; k < 200; ++k) source += MessageLine(absl::StrCat("q", k), "customer", absl::StrCat("question ", k));
  const std::string path = dir_.Sub("flat.jsonl");
  WriteFile(path, source);
  GeneratorOptions o = Small(20000);
  o.greeting_share = o.thanks_share = o.second_question_share = 0;
  const Generated g = Generate({path}, o);
  ZHIKU_ASSERT_OK(g.status);
  std::vector<int64_t> uses = g.report.source_uses;
  ASSERT_EQ(uses.size(), 200u);
  std::sort(uses.begin(), uses.end());
  const int64_t median = uses[100];
  const int64_t top = uses.back();
  // Zipf s = 1 over 200 ranks: the top gets ~17% of draws, rank 100 ~0.17%.
  EXPECT_GT(top, 20 * std::max<int64_t>(median, 1)) << top << " vs median " << median;
  // Exponent 0 is uniform.
  o.zipf_exponent = 0;
  const Generated flat = Generate({path}, o);
  ZHIKU_ASSERT_OK(flat.status);
  uses = flat.report.source_uses;
  std::sort(uses.begin(), uses.end());
  EXPECT_LT(uses.back(), 3 * uses[100]);
}

TEST_F(ChatGeneratorTest, UtcOffsetAndStartAreHonoured) {
  GeneratorOptions o = Small(200);
  o.dirty_share = 0;
  o.days = 1;
  o.utc_offset_minutes = -330;
  o.start = absl::FromUnixSeconds(0);
  const Generated g = Generate({source_}, o);
  ZHIKU_ASSERT_OK(g.status);
  for (const Json& j : WellFormedMessages(g.text)) {
    const std::string ts = j["ts"].get<std::string>();
    EXPECT_EQ(ts.substr(19), "-05:30");
    EXPECT_GE(ts, "1969-12-31T18:30:00");
    EXPECT_LT(ts, "1970-01-01T19:30:00");
  }
}

TEST_F(ChatGeneratorTest, RejectsBadInputs) {
  EXPECT_EQ(Generate({}, Small(10)).status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Generate({dir_.Sub("absent.jsonl")}, Small(10)).status.code(), absl::StatusCode::kNotFound);
  const std::string junk = dir_.Sub("junk.jsonl");
  WriteFile(junk, "not json\n" + MessageLine("a", "agent", "only an agent here"));
  const Generated g = Generate({junk}, Small(10));
  EXPECT_EQ(g.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(g.status.message()), HasSubstr("no conversation with a customer message"));
  struct Case {
    const char* what;
    void (*set)(GeneratorOptions&);
  };
  const Case kCases[] = {
      {"messages", [](GeneratorOptions& o) { o.messages = -1; }},
      {"days", [](GeneratorOptions& o) { o.days = 0; }},
      {"dirty_share", [](GeneratorOptions& o) { o.dirty_share = 1.0; }},
      {"zipf_exponent", [](GeneratorOptions& o) { o.zipf_exponent = -0.5; }},
      {"perturb_share", [](GeneratorOptions& o) { o.perturb_share = 1.5; }},
      {"utc_offset_minutes", [](GeneratorOptions& o) { o.utc_offset_minutes = 5000; }},
      {"max_source_turns", [](GeneratorOptions& o) { o.max_source_turns = 0; }},
      {"id_prefix", [](GeneratorOptions& o) { o.id_prefix = ""; }},
  };
  for (const Case& c : kCases) {
    GeneratorOptions o = Small(10);
    c.set(o);
    const Generated bad = Generate({source_}, o);
    EXPECT_EQ(bad.status.code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_THAT(std::string(bad.status.message()), HasSubstr(c.what));
  }
  GeneratorOptions o = Small(10);
  o.opencc_dir = dir_.Sub("no-opencc");
  EXPECT_EQ(Generate({source_}, o).status.code(), absl::StatusCode::kFailedPrecondition);
  o.traditional_share = 0;
  ZHIKU_EXPECT_OK(Generate({source_}, o).status);
}

// A discarding stream, so that throughput excludes memory growth.
class NullBuffer : public std::streambuf {
 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
  int overflow(int c) override { return c; }
};

TEST(GenerateChatLog, ThroughputOnThePublicLogs) {
  const std::string shared = testing::SourceDir() + "/../shared/datasets";
  std::vector<std::string> paths = {testing::SourceDir() + "/data/sample_chats.jsonl"};
  for (const char* set : {"jddc", "twcs", "banking77"}) {
    const std::string p = absl::StrCat(shared, "/", set, "/chats.jsonl");
    if (std::ifstream(p).good()) paths.push_back(p);
  }
  GeneratorOptions o;
  o.messages = 300000;
  NullBuffer buffer;
  std::ostream out(&buffer);
  const auto begin = std::chrono::steady_clock::now();
  absl::StatusOr<GeneratorReport> report = GenerateChatLog(paths, o, out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  ZHIKU_ASSERT_OK(report);
  EXPECT_EQ(report->lines, 300000);
  std::cout << "generated " << report->lines << " lines from " << paths.size() << " sources ("
            << report->source_conversations << " conversations) in " << seconds
            << " s: " << static_cast<int64_t>(report->lines / seconds) << " lines/s (including loading)\n";
}

}  // namespace
}  // namespace zhiku
