// The real zhiku-server binary on 127.0.0.1: import, search, SIGKILL,
// restart, and every acknowledged write is still there.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "service/client_channel.h"
#include "tests/test_util.h"
#include "zhiku/v1/knowledge.grpc.pb.h"
#include "zhiku/v1/search.grpc.pb.h"

namespace zhiku {
namespace {

// One zhiku-server process.
class ServerProcess {
 public:
  explicit ServerProcess(const std::string& data_dir) : data_dir_(data_dir) {}
  ~ServerProcess() {
    if (pid_ > 0) Signal(SIGKILL);
  }

  // Starts the binary and waits until it has written its port file.
  ::testing::AssertionResult Start() {
    const std::string binary = zhiku::testing::BinaryDir() + "/tools/zhiku-server";
    const std::string port_file = data_dir_ + ".port";
    std::filesystem::remove(port_file);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = data_dir_ + ".log";
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) dup2(fd, STDERR_FILENO);
      std::vector<std::string> args = {binary, "--data_dir=" + data_dir_, "--listen=127.0.0.1:0",
                                       "--port_file=" + port_file, "--shutdown_grace=2s"};
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(binary.c_str(), argv.data());
      _exit(127);
    }
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      std::ifstream in(port_file);
      int port = 0;
      if (in >> port && port > 0) {
        address_ = absl::StrCat("127.0.0.1:", port);
        // The server wrote its admin key on the first start; every call sends it.
        std::string key;
        std::getline(std::ifstream(data_dir_ + "/admin.key"), key);
        channel_ = OpenChannel(address_, key);
        return ::testing::AssertionSuccess();
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure() << "zhiku-server exited early, status " << status
                                             << "; log: " << data_dir_ << ".log";
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return ::testing::AssertionFailure() << "zhiku-server did not start within 30 s";
  }

  // Sends `sig` and returns the exit status.
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  std::string data_dir_;
  pid_t pid_ = -1;
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
};

std::vector<std::string> SampleLines() {
  std::ifstream in(zhiku::testing::SourceDir() + "/data/sample_kb.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

v1::SearchResponse Search(const std::shared_ptr<grpc::Channel>& channel, const std::string& query) {
  auto stub = v1::SearchService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::SearchRequest request;
  request.set_query(query);
  v1::SearchResponse response;
  grpc::Status status = stub->Search(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

// Searches until the top hit is `id` (writes become searchable within a
// second) and returns that id, or the last top id seen.
std::string TopIdWithin(const std::shared_ptr<grpc::Channel>& channel, const std::string& query,
                        const std::string& id, absl::Duration timeout = absl::Seconds(1)) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string top;
  do {
    v1::SearchResponse response = Search(channel, query);
    top = response.hits_size() > 0 ? response.hits(0).entry().id() : "";
    if (top == id) break;
    absl::SleepFor(absl::Milliseconds(10));
  } while (absl::Now() < deadline);
  return top;
}

// The top three ids for a few queries, to compare rankings across restarts.
std::vector<std::string> Rankings(const std::shared_ptr<grpc::Channel>& channel) {
  std::vector<std::string> out;
  for (const char* query : {"如何退貨", "发票怎么开", "track my package", "zebra7", "优惠券"}) {
    v1::SearchResponse response = Search(channel, query);
    for (int i = 0; i < std::min(3, response.hits_size()); ++i) out.push_back(response.hits(i).entry().id());
  }
  return out;
}

TEST(ServerBinary, AcknowledgedWritesSurviveSigkillAndIndexDeletion) {
  zhiku::testing::TempDir dir;
  const std::string data_dir = dir.Sub("data");
  const std::vector<std::string> lines = SampleLines();
  ASSERT_GE(lines.size(), 150u) << "data/sample_kb.jsonl is missing or short";

  ServerProcess server(data_dir);
  ASSERT_TRUE(server.Start());
  {
    auto stub = v1::KnowledgeService::NewStub(server.channel());
    grpc::ClientContext context;
    v1::ImportEntriesResponse response;
    auto writer = stub->ImportEntries(&context, &response);
    for (size_t i = 0; i < lines.size(); ++i) {
      v1::ImportEntriesRequest request;
      request.set_jsonl_line(lines[i]);
      request.set_line_number(static_cast<int64_t>(i + 1));
      ASSERT_TRUE(writer->Write(request));
    }
    writer->WritesDone();
    ASSERT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.failed(), 0);
    EXPECT_EQ(response.created(), static_cast<int64_t>(lines.size()));
  }
  // The sample KB answers a Traditional query with the Simplified entry.
  EXPECT_EQ(TopIdWithin(server.channel(), "如何退貨", "returns-how-to"), "returns-how-to");
  // Single writes, each acknowledged, then kill -9 right after the last reply.
  std::vector<std::string> acked;
  {
    auto stub = v1::KnowledgeService::NewStub(server.channel());
    for (int i = 0; i < 20; ++i) {
      grpc::ClientContext context;
      v1::CreateEntryRequest request;
      request.mutable_entry()->set_id(absl::StrCat("durable-", i));
      request.mutable_entry()->set_question(absl::StrCat("持久化测试问题 第", i, "条 zebra", i));
      request.mutable_entry()->set_answer("answer");
      v1::Entry created;
      ASSERT_TRUE(stub->CreateEntry(&context, request, &created).ok());
      acked.push_back(created.id());
    }
  }
  ASSERT_EQ(TopIdWithin(server.channel(), "zebra19", "durable-19"), "durable-19");
  const std::vector<std::string> before = Rankings(server.channel());
  const int killed = server.Signal(SIGKILL);
  EXPECT_TRUE(WIFSIGNALED(killed));

  ServerProcess restarted(data_dir);
  ASSERT_TRUE(restarted.Start());
  auto stub = v1::KnowledgeService::NewStub(restarted.channel());
  for (const std::string& id : acked) {
    grpc::ClientContext context;
    v1::GetEntryRequest request;
    request.set_id(id);
    v1::Entry entry;
    EXPECT_TRUE(stub->GetEntry(&context, request, &entry).ok()) << id;
  }
  // The index caught up on start: the last acknowledged write is searchable.
  v1::SearchResponse last = Search(restarted.channel(), "zebra19");
  ASSERT_GE(last.hits_size(), 1);
  EXPECT_EQ(last.hits(0).entry().id(), "durable-19");
  EXPECT_EQ(Rankings(restarted.channel()), before);
  const int stopped = restarted.Signal(SIGTERM);
  ASSERT_TRUE(WIFEXITED(stopped));
  EXPECT_EQ(WEXITSTATUS(stopped), 0);

  // The index is derived data: deleting it loses nothing.
  std::filesystem::remove_all(data_dir + "/index");
  ServerProcess rebuilt(data_dir);
  ASSERT_TRUE(rebuilt.Start());
  EXPECT_EQ(Rankings(rebuilt.channel()), before);
  EXPECT_EQ(WEXITSTATUS(rebuilt.Signal(SIGTERM)), 0);
}

// Regression: absl's --help lists only flags of files named after the binary
// (zhiku-server.cc), so it printed "No flags matched" for zhiku_server.cc.
TEST(ServerBinary, HelpListsEveryFlagDefinedInItsMain) {
  std::ifstream source(zhiku::testing::SourceDir() + "/tools/zhiku_server.cc");
  std::stringstream text;
  text << source.rdbuf();
  const std::string code = text.str();
  std::vector<std::string> flags;
  const std::regex flag_definition(R"(ABSL_FLAG\(\s*[\w:]+\s*,\s*(\w+)\s*,)");
  for (auto it = std::sregex_iterator(code.begin(), code.end(), flag_definition); it != std::sregex_iterator(); ++it) {
    flags.push_back((*it)[1]);
  }
  ASSERT_GE(flags.size(), 20u) << "tools/zhiku_server.cc not found or its flags not recognised";

  for (const char* help_flag : {"--help", "--helpshort"}) {
    SCOPED_TRACE(help_flag);
    const std::string command =
        absl::StrCat(zhiku::testing::BinaryDir(), "/tools/zhiku-server ", help_flag, " 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string help;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) help.append(buffer, n);
    const int status = pclose(pipe);
    ASSERT_TRUE(WIFEXITED(status)) << help;  // exits without starting a server
    EXPECT_THAT(help, ::testing::HasSubstr("zhiku-server --data_dir=DIR"));
    EXPECT_THAT(help, ::testing::Not(::testing::HasSubstr("No flags matched")));
    for (const std::string& flag : flags) {
      EXPECT_THAT(help, ::testing::HasSubstr(absl::StrCat("--", flag, " ("))) << flag;
    }
  }
}

}  // namespace
}  // namespace zhiku
