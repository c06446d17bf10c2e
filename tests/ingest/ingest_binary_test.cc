// zhiku-ingest as users run it: the real binary on real files, and against a
// real server on 127.0.0.1 for coverage and DraftService submission.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index/draft_store.h"
#include "ingest/mining_eval.h"
#include "ingest/server_embedder.h"
#include "service/server.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct IngestRun {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

IngestRun Ingest(const std::string& args) {
  std::string command = testing::BinaryDir() + "/ingest/zhiku-ingest " + args + " 2>&1";
  IngestRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.output.append(buffer, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Two conversations per question, each with an agent answer.
std::string Log(const std::string& prefix, const std::vector<std::string>& questions, int copies) {
  std::string log;
  int n = 0;
  for (const std::string& q : questions) {
    for (int c = 0; c < copies; ++c, ++n) {
      std::string conv = prefix + std::to_string(n);
      log += "{\"conversation_id\":\"" + conv + "\",\"message_id\":\"" + conv + "-1\",\"role\":\"customer\",\"text\":\"" +
             q + (c % 2 ? "?" : "") + "\"}\n";
      log += "{\"conversation_id\":\"" + conv + "\",\"message_id\":\"" + conv +
             "-2\",\"role\":\"agent\",\"text\":\"Please open Settings, then Security, and choose the option.\"}\n";
    }
  }
  return log;
}

TEST(IngestBinaryTest, CountsBadRecordsAndWritesDrafts) {
  testing::TempDir dir;
  std::string log = Log("c", {"how do I reset my password", "how do I change my email address"}, 3);
  log += "{broken json\n";
  log += "{\"conversation_id\":\"x\",\"role\":\"wizard\",\"text\":\"hi\"}\n";
  Write(dir.Sub("log.jsonl"), log);
  IngestRun run = Ingest("--output=" + dir.Sub("drafts.jsonl") + " " + dir.Sub("log.jsonl"));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("bad records         2"));
  EXPECT_THAT(run.output, HasSubstr("broken_json=1"));
  EXPECT_THAT(run.output, HasSubstr("log.jsonl:13"));
  EXPECT_THAT(run.output, HasSubstr("peak memory"));
  auto drafts = ReadDraftsFile(dir.Sub("drafts.jsonl"));
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  ASSERT_EQ(drafts->size(), 2u);
  EXPECT_EQ((*drafts)[0].frequency, 3);
  EXPECT_THAT((*drafts)[0].answer, HasSubstr("Settings"));

  // Another process, same bytes (nothing depends on hash-map order).
  IngestRun again = Ingest("--output=" + dir.Sub("again.jsonl") + " " + dir.Sub("log.jsonl"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(slurp(dir.Sub("drafts.jsonl")), slurp(dir.Sub("again.jsonl")));

  IngestRun strict = Ingest("--strict --output=" + dir.Sub("strict.jsonl") + " " + dir.Sub("log.jsonl"));
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_THAT(strict.output, HasSubstr("log.jsonl:13"));
}

TEST(IngestBinaryTest, UsageErrorsSayWhatToDo) {
  IngestRun none = Ingest("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.output, HasSubstr("no input"));
  IngestRun missing = Ingest("/nonexistent/chats.jsonl");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("/nonexistent/chats.jsonl"));
  IngestRun eval = Ingest("eval --drafts=x.jsonl");
  EXPECT_EQ(eval.exit_code, 2);
  EXPECT_THAT(eval.output, HasSubstr("--labels"));
}

TEST(IngestBinaryTest, CoverageSubmitAndMergeThroughARealServer) {
  testing::TempDir dir;
  ServerOptions options;
  options.require_api_keys = false;  // the next test sends keys
  options.listen = "127.0.0.1:0";
  options.knowledge_base.data_dir = dir.Sub("data");
  auto server = ZhikuServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  KnowledgeBase& kb = (*server)->knowledge_base();
  Entry entry;
  entry.id = "pw";
  entry.question = "how do I reset my password";
  entry.answer = "Use the reset link on the sign-in page.";
  entry.locale = "en";
  ASSERT_TRUE(kb.CreateEntry(entry).ok());
  ASSERT_TRUE(kb.WaitUntilSearchable(absl::Seconds(10)).ok());
  const std::string target = "--server=" + (*server)->address();

  Write(dir.Sub("week1.jsonl"), Log("w1-", {"how do I reset my password", "how do I change my email address"}, 2));
  IngestRun first = Ingest(target + " --output=" + dir.Sub("d1.jsonl") + " " + dir.Sub("week1.jsonl"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("submitted: 2 new"));
  auto drafts = ReadDraftsFile(dir.Sub("d1.jsonl"));
  ASSERT_TRUE(drafts.ok()) << drafts.status();
  ASSERT_EQ(drafts->size(), 2u);
  const Draft* password = nullptr;
  const Draft* email = nullptr;
  for (const Draft& d : *drafts) (d.question.find("password") != std::string::npos ? password : email) = &d;
  ASSERT_NE(password, nullptr);
  ASSERT_NE(email, nullptr);
  ASSERT_TRUE(password->covered_by.has_value()) << first.output;
  EXPECT_EQ(*password->covered_by, "pw");
  EXPECT_FALSE(email->covered_by.has_value()) << DraftToJson(*email);

  // An editor rejects the e-mail draft; next week's log asks both again.
  ASSERT_TRUE(kb.drafts().Reject(email->draft_id, "handled by the account team").ok());
  Write(dir.Sub("week2.jsonl"), Log("w2-", {"how do I reset my password", "how do I change my email address"}, 3));
  IngestRun second = Ingest(target + " --output=" + dir.Sub("d2.jsonl") + " " + dir.Sub("week2.jsonl"));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("1 merged into earlier drafts, 1 matching rejected drafts"));
  auto stored = kb.drafts().Get(password->draft_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(stored->draft.frequency, 5);  // 2 + 3 conversations
  auto rejected = kb.drafts().Get(email->draft_id);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->status, DraftStatus::kRejected);

  // The same log again adds nothing.
  IngestRun again = Ingest(target + " --output=" + dir.Sub("d3.jsonl") + " " + dir.Sub("week2.jsonl"));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  stored = kb.drafts().Get(password->draft_id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->draft.frequency, 5);
}

TEST(IngestBinaryTest, ClustersWithTheServersEmbeddingModel) {
  testing::TempDir dir;
  ServerOptions options;
  options.listen = "127.0.0.1:0";
  options.knowledge_base.data_dir = dir.Sub("data");
  options.knowledge_base.semantic.retrain_quiet = absl::Milliseconds(100);
  auto server = ZhikuServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  KnowledgeBase& kb = (*server)->knowledge_base();
  // Auth is on: every call below sends the bootstrap admin key.
  ASSERT_FALSE((*server)->admin_key_path().empty());
  const std::string target =
      "--server=" + (*server)->address() + " --api_key_file=" + (*server)->admin_key_path();
  const std::string log = dir.Sub("log.jsonl");
  Write(log, Log("c", {"how do I reset my password", "my card was declined at a shop"}, 2));

  // No entries yet, so no model: the run goes on by TF-IDF and says why.
  IngestRun untrained = Ingest(target + " --submit=false --output=" + dir.Sub("d0.jsonl") + " " + log);
  ASSERT_EQ(untrained.exit_code, 0) << untrained.output;
  EXPECT_THAT(untrained.output, HasSubstr("embeddings          not used: embedding on "));

  const std::vector<std::pair<std::string, std::vector<std::string>>> entries = {
      {"how do I reset my password", {"forgot my password", "cannot sign in"}},
      {"why was my card declined", {"payment refused", "card not accepted"}},
      {"where is my parcel", {"track my order", "delivery is late"}},
  };
  for (size_t i = 0; i < entries.size(); ++i) {
    Entry entry;
    entry.id = "e" + std::to_string(i);
    entry.question = entries[i].first;
    entry.variants = entries[i].second;
    entry.answer = "Answer " + std::to_string(i);
    entry.locale = "en";
    ASSERT_TRUE(kb.CreateEntry(entry).ok());
  }
  ASSERT_TRUE(kb.WaitUntilModelCurrent(absl::Seconds(60)).ok());

  IngestRun run = Ingest(target + " --submit=false --output=" + dir.Sub("d1.jsonl") + " " + log);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("embeddings          2 of 2 distinct questions embedded by"));
  IngestRun off = Ingest(target + " --submit=false --embedding_weight=0 --output=" + dir.Sub("d2.jsonl") + " " + log);
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_THAT(off.output, Not(HasSubstr("embeddings")));
  IngestRun keyless = Ingest("--server=" + (*server)->address() + " --submit=false --output=" + dir.Sub("d3.jsonl") + " " + log);
  EXPECT_NE(keyless.exit_code, 0) << keyless.output;
  EXPECT_THAT(keyless.output, HasSubstr("no API key"));
  IngestRun bad = Ingest(target + " --embedding_weight=1.5 " + log);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("--embedding_weight must be in [0, 1]"));

  // The embedder itself: same vectors as the knowledge base, errors name the server.
  std::string admin_key;
  std::getline(std::ifstream((*server)->admin_key_path()), admin_key);
  TextEmbedder embed = ServerEmbedder({(*server)->address(), admin_key, "", absl::Seconds(10)});
  auto vectors = embed({"forgot my password", "track my order"});
  ASSERT_TRUE(vectors.ok()) << vectors.status();
  auto direct = kb.Embed({"forgot my password", "track my order"});
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(*vectors, direct->vectors);
  TextEmbedder nowhere = ServerEmbedder({"127.0.0.1:1", admin_key, "", absl::Seconds(5)});
  absl::Status refused = nowhere({"hello"}).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("127.0.0.1:1"));
}

}  // namespace
}  // namespace zhiku
