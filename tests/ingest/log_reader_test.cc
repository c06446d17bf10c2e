#include "ingest/log_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

void WriteGzip(const std::string& path, const std::string& content, const char* mode = "wb") {
  gzFile gz = gzopen(path.c_str(), mode);
  ASSERT_NE(gz, nullptr) << path;
  ASSERT_EQ(gzwrite(gz, content.data(), static_cast<unsigned>(content.size())), static_cast<int>(content.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

struct Result {
  absl::Status status;
  std::vector<ChatMessage> messages;
  std::vector<RecordLocation> locations;
  ReadReport report;
};

Result Read(const std::vector<std::string>& paths, const ReaderOptions& options = {}) {
  Result result;
  result.status = ReadChatLogs(
      paths, options,
      [&result](ChatMessage&& message, const RecordLocation& location) {
        result.messages.push_back(std::move(message));
        result.locations.push_back(location);
      },
      &result.report);
  return result;
}

std::vector<std::string> Texts(const Result& result) {
  std::vector<std::string> texts;
  for (const ChatMessage& m : result.messages) texts.push_back(m.text);
  return texts;
}

TEST(ReadChatLogs, ReadsPerMessageJsonlWithEveryField) {
  testing::TempDir dir;
  const std::string path = dir.Sub("chats.jsonl");
  WriteFile(path,
            R"({"conversation_id":"c1","message_id":"m1","role":"customer","text":"怎么退货","ts":"2026-01-02T03:04:05Z","channel":"web"})"
            "\n"
            R"({"conversation_id":"c1","message_id":"m2","role":"agent","text":"您好，请提供订单号"})"
            "\n");
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].conversation_id, "c1");
  EXPECT_EQ(r.messages[0].message_id, "m1");
  EXPECT_EQ(r.messages[0].role, ChatRole::kCustomer);
  EXPECT_EQ(r.messages[0].text, "怎么退货");
  EXPECT_EQ(r.messages[0].ts, "2026-01-02T03:04:05Z");
  EXPECT_EQ(r.messages[0].channel, "web");
  EXPECT_EQ(r.messages[1].role, ChatRole::kAgent);
  EXPECT_EQ(r.locations[1].file, path);
  EXPECT_EQ(r.locations[1].line, 2);
  EXPECT_EQ(r.report.files, 1);
  EXPECT_EQ(r.report.lines, 2);
  EXPECT_EQ(r.report.messages, 2);
  EXPECT_EQ(r.report.bad_total(), 0);
  EXPECT_GT(r.report.bytes, 100);
}

TEST(ReadChatLogs, SynthesisesMissingIdsFromFileAndLine) {
  testing::TempDir dir;
  const std::string path = dir.Sub("day1.jsonl");
  WriteFile(path,
            "{\"conversation_id\":\"c9\",\"role\":\"customer\",\"text\":\"a\"}\n"
            "{\"message_id\":\"m7\",\"role\":\"customer\",\"text\":\"b\"}\n"
            "{\"role\":\"customer\",\"text\":\"c\",\"conversation_id\":\"\",\"message_id\":\"\"}\n"
            "{\"message_id\":42,\"conversation_id\":7,\"role\":\"bot\",\"text\":\"d\"}\n");
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0].message_id, "day1.jsonl:1");
  EXPECT_EQ(r.messages[0].conversation_id, "c9");
  // No conversation id: the message is a conversation of its own.
  EXPECT_EQ(r.messages[1].conversation_id, "m7");
  EXPECT_EQ(r.messages[2].message_id, "day1.jsonl:3");
  EXPECT_EQ(r.messages[2].conversation_id, "day1.jsonl:3");
  EXPECT_EQ(r.messages[3].message_id, "42");
  EXPECT_EQ(r.messages[3].conversation_id, "7");
}

TEST(ReadChatLogs, RolesAreCaseInsensitiveAndSynonymsMap) {
  struct Case {
    const char* written;
    ChatRole role;
  };
  const Case kCases[] = {
      {"customer", ChatRole::kCustomer}, {"Customer", ChatRole::kCustomer}, {" USER ", ChatRole::kCustomer},
      {"client", ChatRole::kCustomer},   {"Agent", ChatRole::kAgent},       {"staff", ChatRole::kAgent},
      {"assistant", ChatRole::kAgent},   {"service", ChatRole::kAgent},     {"human_agent", ChatRole::kAgent},
      {"robot", ChatRole::kBot},         {"BOT", ChatRole::kBot},           {"System", ChatRole::kSystem},
  };
  testing::TempDir dir;
  const std::string path = dir.Sub("roles.jsonl");
  std::string content;
  for (const Case& c : kCases) content += absl::StrCat(R"({"role":")", c.written, R"(","text":"x"})", "\n");
  content += R"({"role":"moderator","text":"x"})" "\n";
  WriteFile(path, content);
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), std::size(kCases));
  for (size_t i = 0; i < std::size(kCases); ++i) EXPECT_EQ(r.messages[i].role, kCases[i].role) << kCases[i].written;
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kUnknownRole), 1);
  ASSERT_EQ(r.report.examples.size(), 1u);
  EXPECT_THAT(r.report.examples[0], HasSubstr("roles.jsonl:13: unknown_role: role is 'moderator'"));
}

TEST(ReadChatLogs, ConversationLinesInheritTheirIdAndKeepGoodMessages) {
  testing::TempDir dir;
  const std::string path = dir.Sub("conv.jsonl");
  WriteFile(path,
            R"({"conversation_id":"c1","messages":[)"
            R"({"message_id":"a","role":"customer","text":"快递到哪了"},)"
            R"({"role":"agent","text":"请稍等"},)"
            R"({"role":"wizard","text":"bad role"},)"
            R"("not an object",)"
            R"({"role":"user","text":"好的"}]})"
            "\n"
            R"({"conversation_id":"c2","messages":{"role":"customer"}})"
            "\n"
            R"({"messages":[{"role":"customer","text":"no id"}]})"
            "\n"
            // A per-message line in the same file.
            R"({"conversation_id":"c3","message_id":"z","role":"customer","text":"hi"})"
            "\n");
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), 5u);
  EXPECT_EQ(r.messages[0].message_id, "a");
  EXPECT_EQ(r.messages[0].conversation_id, "c1");
  EXPECT_EQ(r.messages[1].message_id, "c1#1");
  EXPECT_EQ(r.messages[1].conversation_id, "c1");
  EXPECT_EQ(r.messages[2].message_id, "c1#4");
  EXPECT_EQ(r.messages[2].role, ChatRole::kCustomer);
  EXPECT_EQ(r.messages[3].conversation_id, "conv.jsonl:3");
  EXPECT_EQ(r.messages[3].message_id, "conv.jsonl:3#0");
  EXPECT_EQ(r.messages[4].message_id, "z");
  EXPECT_EQ(r.locations[2].line, 1);
  EXPECT_EQ(r.locations[4].line, 4);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kUnknownRole), 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kNotAnObject), 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kBadConversation), 1);
  EXPECT_THAT(r.report.examples, ElementsAre(HasSubstr("conv.jsonl:1: unknown_role: message 2 of the conversation"),
                                             HasSubstr("conv.jsonl:1: not_an_object: message 3"),
                                             HasSubstr("conv.jsonl:2: bad_conversation")));
}

TEST(ReadChatLogs, DirtyLinesAreCountedByReasonWithoutQuotingText) {
  struct Case {
    std::string line;
    BadRecordReason reason;
  };
  const std::vector<Case> kCases = {
      {R"({"role":"customer","text":"我的电话13812345678)", BadRecordReason::kBrokenJson},
      {R"(not json at all 13812345678)", BadRecordReason::kBrokenJson},
      {R"(["customer","hi"])", BadRecordReason::kNotAnObject},
      {R"({"text":"secret"})", BadRecordReason::kMissingField},
      {R"({"role":"customer"})", BadRecordReason::kMissingField},
      {R"({"role":"customer","text":null})", BadRecordReason::kMissingField},
      {R"({"role":"customer","text":["secret"]})", BadRecordReason::kWrongType},
      {R"({"role":3,"text":"secret"})", BadRecordReason::kWrongType},
      {R"({"role":"customer","text":"secret","ts":1.5})", BadRecordReason::kWrongType},
      {R"({"role":"customer","text":"secret","channel":5})", BadRecordReason::kWrongType},
      {R"({"role":"我的电话是13812345678","text":"secret"})", BadRecordReason::kUnknownRole},
      {"{\"role\":\"customer\",\"text\":\"bad \xC3\x28 byte\"}", BadRecordReason::kInvalidUtf8},
      {"{\"role\":\"customer\",\"text\":\"overlong \xC0\xAF\"}", BadRecordReason::kInvalidUtf8},
      {"{\"role\":\"customer\",\"text\":\"surrogate \xED\xA0\x80\"}", BadRecordReason::kInvalidUtf8},
      {R"({"conversation_id":"c","messages":"secret"})", BadRecordReason::kBadConversation},
      {R"({"conversation_id":[1],"messages":[]})", BadRecordReason::kBadConversation},
  };
  testing::TempDir dir;
  const std::string path = dir.Sub("dirty.jsonl");
  std::string content;
  for (const Case& c : kCases) content += c.line + "\n";
  content += R"({"role":"customer","text":"still read"})";  // no final newline
  WriteFile(path, content);
  ReaderOptions options;
  options.max_examples = 100;
  Result r = Read({path}, options);
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_THAT(Texts(r), ElementsAre("still read"));
  EXPECT_EQ(r.report.bad_total(), static_cast<int64_t>(kCases.size()));
  ASSERT_EQ(r.report.examples.size(), kCases.size());
  for (size_t i = 0; i < kCases.size(); ++i) {
    EXPECT_THAT(r.report.examples[i],
                StartsWith(absl::StrCat(path, ":", i + 1, ": ", BadRecordReasonName(kCases[i].reason), ": ")))
        << kCases[i].line;
    EXPECT_THAT(r.report.examples[i], Not(HasSubstr("secret")));
    EXPECT_THAT(r.report.examples[i], Not(HasSubstr("13812345678")));
  }
}

TEST(ReadChatLogs, ExamplesAreCappedButEveryBadRecordIsCounted) {
  testing::TempDir dir;
  const std::string path = dir.Sub("bad.jsonl");
  std::string content;
  for (int i = 0; i < 25; ++i) content += "{broken\n";
  WriteFile(path, content);
  ReaderOptions options;
  options.max_examples = 3;
  Result r = Read({path}, options);
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kBrokenJson), 25);
  EXPECT_EQ(r.report.examples.size(), 3u);
}

TEST(ReadChatLogs, BlankLinesCrlfBomAndNulBytesAreTolerated) {
  testing::TempDir dir;
  const std::string path = dir.Sub("win.jsonl");
  std::string content = "\xEF\xBB\xBF{\"role\":\"customer\",\"text\":\"one\"}\r\n";
  content += "\r\n   \t \n\n";
  content += std::string("{\"role\":\"customer\",\0\"text\":\"two\"}\r\n", 36);
  content += std::string("\0\0\0\n", 4);
  // A second file's BOM in the middle (cat a.jsonl b.jsonl).
  content += "\xEF\xBB\xBF{\"role\":\"agent\",\"text\":\"three\\u0000!\"}\n";
  WriteFile(path, content);
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_THAT(Texts(r), ElementsAre("one", "two", "three!"));
  EXPECT_EQ(r.report.lines, 7);
  EXPECT_EQ(r.report.empty_lines, 4);
  EXPECT_EQ(r.report.nul_lines, 2);
  EXPECT_EQ(r.report.bad_total(), 0);
  EXPECT_EQ(r.locations[2].line, 7);
}

TEST(ReadChatLogs, LongTextsAreTruncatedAtACharacterBoundary) {
  testing::TempDir dir;
  const std::string path = dir.Sub("long.jsonl");
  std::string text;
  for (int i = 0; i < 50 * 1024 / 3; ++i) text += "退";  // ~50 KB
  WriteFile(path, absl::StrCat(R"({"role":"customer","text":"a)", text, "\"}\n",
                               R"({"role":"customer","text":"short"})", "\n"));
  ReaderOptions options;
  options.max_text_bytes = 1000;
  Result r = Read({path}, options);
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), 2u);
  // "a" plus 333 three-byte characters fit in 1000 bytes; the 334th does not.
  EXPECT_EQ(r.messages[0].text.size(), 1u + 333 * 3);
  EXPECT_EQ(r.messages[0].text.substr(r.messages[0].text.size() - 3), "退");
  EXPECT_EQ(r.messages[1].text, "short");
  EXPECT_EQ(r.report.truncated_texts, 1);
  EXPECT_EQ(r.report.bad_total(), 0);
}

TEST(ReadChatLogs, OverlongLinesAreSkippedAndReadingResumes) {
  testing::TempDir dir;
  const std::string path = dir.Sub("huge.jsonl");
  const std::string huge = absl::StrCat(R"({"role":"customer","text":")", std::string(300000, 'x'), "\"}");
  WriteFile(path, absl::StrCat(R"({"role":"customer","text":"before"})", "\n", huge, "\n",
                               R"({"role":"customer","text":"after"})", "\n", huge));
  ReaderOptions options;
  options.max_line_bytes = 1000;
  options.max_text_bytes = 1 << 20;
  Result r = Read({path}, options);
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_THAT(Texts(r), ElementsAre("before", "after"));
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kLineTooLong), 2);
  ASSERT_EQ(r.report.examples.size(), 2u);
  EXPECT_EQ(r.report.examples[0],
            absl::StrCat(path, ":2: line_too_long: the line is ", huge.size(), " bytes; the limit is 1000 (max_line_bytes)"));
  EXPECT_THAT(r.report.examples[1], StartsWith(absl::StrCat(path, ":4: line_too_long")));
  EXPECT_EQ(r.report.lines, 4);
}

TEST(ReadChatLogs, CsvWithQuotingAnyColumnOrderExtraColumnsAndBom) {
  testing::TempDir dir;
  const std::string path = dir.Sub("export.txt");  // the extension is not consulted
  WriteFile(path,
            "\xEF\xBB\xBF" "Text,Role,extra,conversation_id,message_id,ts\r\n"
            "\"hello, world\",customer,x,c1,m1,1714550400\r\n"
            "\"she said \"\"hi\"\"\nand left\",Agent,,c1,m2,\r\n"
            "\r\n"
            "plain,user,,c2,,\r\n"
            "too,few\r\n"
            "退款,customer,,c3,m4,\r\n");
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  ASSERT_EQ(r.messages.size(), 4u);
  EXPECT_EQ(r.messages[0].text, "hello, world");
  EXPECT_EQ(r.messages[0].ts, "1714550400");
  EXPECT_EQ(r.messages[0].conversation_id, "c1");
  EXPECT_EQ(r.messages[1].text, "she said \"hi\"\nand left");
  EXPECT_EQ(r.messages[1].role, ChatRole::kAgent);
  EXPECT_EQ(r.locations[1].line, 3);
  EXPECT_EQ(r.messages[2].message_id, "export.txt:6");
  EXPECT_EQ(r.messages[2].role, ChatRole::kCustomer);
  EXPECT_EQ(r.locations[2].line, 6);
  EXPECT_EQ(r.messages[3].text, "退款");
  EXPECT_EQ(r.report.empty_lines, 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kBadCsvRow), 1);
  EXPECT_THAT(r.report.examples, ElementsAre(absl::StrCat(path, ":7: bad_csv_row: the row has 2 fields; the header has 6")));
}

TEST(ReadChatLogs, CsvBadRowsAndAnUnclosedQuote) {
  testing::TempDir dir;
  const std::string path = dir.Sub("bad.csv");
  WriteFile(path,
            "role,text\n"
            "customer,\"ok\"\n"
            "wizard,hello\n"
            ",empty role\n"
            "customer,\"bad \xFF byte\"\n"
            "customer,\"never closed\n"
            "more text\n");
  Result r = Read({path});
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_THAT(Texts(r), ElementsAre("ok"));
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kUnknownRole), 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kMissingField), 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kInvalidUtf8), 1);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kBadCsvRow), 1);
  EXPECT_THAT(r.report.examples.back(), StartsWith(absl::StrCat(path, ":6: bad_csv_row: a quoted field")));
}

TEST(ReadChatLogs, CsvHeaderWithoutTextColumnIsAnError) {
  testing::TempDir dir;
  const std::string path = dir.Sub("no_text.csv");
  WriteFile(path, "conversation_id,role,message\nc1,customer,hi\n");
  Result r = Read({path});
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("no_text.csv:1: the CSV header has no \"text\" column"));
}

TEST(ReadChatLogs, GzipFilesAreDetectedByContent) {
  testing::TempDir dir;
  const std::string jsonl = dir.Sub("a.log");
  const std::string csv = dir.Sub("b.csv.gz");
  WriteGzip(jsonl, "{\"role\":\"customer\",\"text\":\"gz one\"}\n{\"role\":\"agent\",\"text\":\"gz two\"}\n");
  WriteGzip(csv, "role,text\ncustomer,\"gz, three\"\n");
  // A second gzip member appended (cat a.gz b.gz).
  WriteGzip(csv, "customer,gz four\n", "ab");
  Result r = Read({jsonl, csv});
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_THAT(Texts(r), ElementsAre("gz one", "gz two", "gz, three", "gz four"));
  EXPECT_EQ(r.report.files, 2);
  EXPECT_EQ(r.locations[3].file, csv);
  EXPECT_EQ(r.locations[3].line, 3);
}

TEST(ReadChatLogs, TruncatedGzipKeepsWhatWasReadAndIsCounted) {
  testing::TempDir dir;
  const std::string full = dir.Sub("full.gz");
  std::string content;
  for (int i = 0; i < 2000; ++i) content += absl::StrCat(R"({"role":"customer","text":"message )", i, "\"}\n");
  WriteGzip(full, content);
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string cut = dir.Sub("cut.gz");
  WriteFile(cut, bytes.substr(0, bytes.size() / 2));
  Result r = Read({cut});
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_GT(r.messages.size(), 10u);
  EXPECT_LT(r.messages.size(), 2000u);
  EXPECT_EQ(r.report.bad_count(BadRecordReason::kCorruptGzip), 1);
  ReaderOptions strict;
  strict.strict = true;
  Result s = Read({cut}, strict);
  EXPECT_EQ(s.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.status.message()), HasSubstr("corrupt_gzip"));
}

TEST(ReadChatLogs, StrictModeStopsAtTheFirstBadRecord) {
  testing::TempDir dir;
  const std::string path = dir.Sub("s.jsonl");
  WriteFile(path, "{\"role\":\"customer\",\"text\":\"ok\"}\n\n{\"role\":\"x\",\"text\":\"secret\"}\n"
                  "{\"role\":\"customer\",\"text\":\"never\"}\n");
  ReaderOptions options;
  options.strict = true;
  Result r = Read({path}, options);
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status.message()), StartsWith(absl::StrCat(path, ":3: unknown_role: ")));
  EXPECT_THAT(std::string(r.status.message()), Not(HasSubstr("secret")));
  EXPECT_THAT(Texts(r), ElementsAre("ok"));
  // Truncation is not an error, even in strict mode.
  options.max_text_bytes = 4;
  WriteFile(path, "{\"role\":\"customer\",\"text\":\"longer than four\"}\n");
  Result t = Read({path}, options);
  ZHIKU_ASSERT_OK(t.status);
  EXPECT_THAT(Texts(t), ElementsAre("long"));
}

TEST(ReadChatLogs, UnreadablePathsFailBeforeAnythingIsRead) {
  testing::TempDir dir;
  const std::string good = dir.Sub("good.jsonl");
  WriteFile(good, "{\"role\":\"customer\",\"text\":\"hi\"}\n");
  Result missing = Read({good, dir.Sub("missing.jsonl")});
  EXPECT_EQ(missing.status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status.message()), HasSubstr("missing.jsonl"));
  EXPECT_TRUE(missing.messages.empty());
  Result directory = Read({dir.path()});
  EXPECT_EQ(directory.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(directory.status.message()), HasSubstr("is a directory"));
  if (geteuid() != 0) {  // root reads anything
    const std::string locked = dir.Sub("locked.jsonl");
    WriteFile(locked, "{}\n");
    ASSERT_EQ(chmod(locked.c_str(), 0), 0);
    Result denied = Read({locked});
    EXPECT_EQ(denied.status.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(denied.status.message()), HasSubstr("locked.jsonl"));
  }
}

TEST(ReadChatLogs, Utf16FilesAreRejectedWithAFix) {
  testing::TempDir dir;
  const std::string path = dir.Sub("utf16.csv");
  WriteFile(path, std::string("\xFF\xFEr\0o\0l\0e\0", 10));
  Result r = Read({path});
  EXPECT_EQ(r.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status.message()), HasSubstr("UTF-16"));
}

TEST(ReadChatLogs, OptionsOutOfRangeAreRejected) {
  ReaderOptions options;
  options.max_line_bytes = 10;
  EXPECT_EQ(Read({}, options).status.code(), absl::StatusCode::kInvalidArgument);
  options = ReaderOptions();
  options.max_examples = -1;
  EXPECT_EQ(Read({}, options).status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadChatLogs({}, {}, [](ChatMessage&&, const RecordLocation&) {}, nullptr).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ReadChatLogs, ReportsProgressUpToTheTotalSize) {
  testing::TempDir dir;
  const std::string a = dir.Sub("a.jsonl"), b = dir.Sub("b.jsonl.gz");
  std::string content;
  for (int i = 0; i < 40000; ++i) content += absl::StrCat(R"({"role":"customer","text":"progress line )", i, "\"}\n");
  WriteFile(a, content);
  WriteGzip(b, content);
  struct stat sa, sb;
  ASSERT_EQ(stat(a.c_str(), &sa), 0);
  ASSERT_EQ(stat(b.c_str(), &sb), 0);
  std::vector<std::pair<int64_t, int64_t>> calls;
  ReaderOptions options;
  options.progress = [&calls](int64_t done, int64_t total) { calls.emplace_back(done, total); };
  Result r = Read({a, b}, options);
  ZHIKU_ASSERT_OK(r.status);
  EXPECT_EQ(r.report.messages, 80000);
  ASSERT_GE(calls.size(), 2u);  // a is over 1 MiB
  const int64_t total = sa.st_size + sb.st_size;
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second, total);
    if (i > 0) {
      EXPECT_GE(calls[i].first, calls[i - 1].first);
    }
  }
  EXPECT_EQ(calls.back().first, total);
  EXPECT_EQ(r.report.bytes, static_cast<int64_t>(2 * content.size()));
}

// Points stdin at a file for the life of the object.
class StdinFrom {
 public:
  explicit StdinFrom(const std::string& path) : saved_(dup(STDIN_FILENO)) {
    const int fd = open(path.c_str(), O_RDONLY);
    dup2(fd, STDIN_FILENO);
    close(fd);
  }
  ~StdinFrom() {
    dup2(saved_, STDIN_FILENO);
    close(saved_);
  }

 private:
  int saved_;
};

TEST(ReadChatLogs, DashReadsStdinCompressedOrNot) {
  testing::TempDir dir;
  const std::string plain = dir.Sub("plain.jsonl"), gz = dir.Sub("stdin.gz");
  WriteFile(plain, "{\"role\":\"customer\",\"text\":\"from stdin\"}\n");
  WriteGzip(gz, "{\"role\":\"customer\",\"text\":\"gz stdin\"}\n");
  {
    StdinFrom redirect(plain);
    std::vector<int64_t> totals;
    ReaderOptions options;
    options.progress = [&totals](int64_t, int64_t total) { totals.push_back(total); };
    Result r = Read({"-"}, options);
    ZHIKU_ASSERT_OK(r.status);
    EXPECT_THAT(Texts(r), ElementsAre("from stdin"));
    EXPECT_EQ(r.messages[0].message_id, "stdin:1");
    EXPECT_EQ(r.locations[0].file, "-");
    EXPECT_THAT(totals, ElementsAre(-1));
  }
  {
    StdinFrom redirect(gz);
    Result r = Read({"-"});
    ZHIKU_ASSERT_OK(r.status);
    EXPECT_THAT(Texts(r), ElementsAre("gz stdin"));
  }
}

TEST(ParseChatRole, MapsSynonymsAndRejectsTheRest) {
  ChatRole role;
  EXPECT_TRUE(ParseChatRole("Operator", &role));
  EXPECT_EQ(role, ChatRole::kAgent);
  EXPECT_TRUE(ParseChatRole("chatbot", &role));
  EXPECT_EQ(role, ChatRole::kBot);
  EXPECT_FALSE(ParseChatRole("", &role));
  EXPECT_FALSE(ParseChatRole("customers", &role));
  EXPECT_FALSE(ParseChatRole("客户", &role));
}

TEST(BadRecordReasonName, EveryReasonHasADistinctSnakeCaseName) {
  std::set<std::string> names;
  for (int i = 0; i < kBadRecordReasonCount; ++i) {
    const std::string name(BadRecordReasonName(static_cast<BadRecordReason>(i)));
    EXPECT_NE(name, "unknown");
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }));
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kBadRecordReasonCount));
}

}  // namespace
}  // namespace zhiku
