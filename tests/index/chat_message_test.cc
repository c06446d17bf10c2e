#include "index/chat_message.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

TEST(ChatMessageFromJsonLine, ReadsEveryFieldOfTheFormat) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      ChatMessage m,
      ChatMessageFromJsonLine(R"({"conversation_id": "c0001", "message_id": "c0001-1", "role": "customer",)"
                              R"( "text": "怎么退货啊", "ts": "2026-11-02T09:32:36+08:00", "channel": "wechat", "x": 1})"));
  EXPECT_EQ(m.conversation_id, "c0001");
  EXPECT_EQ(m.message_id, "c0001-1");
  EXPECT_EQ(m.role, ChatRole::kCustomer);
  EXPECT_EQ(m.text, "怎么退货啊");
  EXPECT_EQ(m.ts, "2026-11-02T09:32:36+08:00");
  EXPECT_EQ(m.channel, "wechat");
}

TEST(ChatMessageFromJsonLine, OptionalFieldsMayBeAbsentNullOrNumeric) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      ChatMessage m,
      ChatMessageFromJsonLine(R"({"role":"agent","text":"","conversation_id":42,"message_id":null,"ts":1714550400})"));
  EXPECT_EQ(m.role, ChatRole::kAgent);
  EXPECT_EQ(m.text, "");  // empty text parses; what to do with it is the caller's call
  EXPECT_EQ(m.conversation_id, "42");
  EXPECT_EQ(m.message_id, "");
  EXPECT_EQ(m.ts, "1714550400");
  for (ChatRole role : {ChatRole::kCustomer, ChatRole::kAgent, ChatRole::kBot, ChatRole::kSystem}) {
    const std::string line = std::string(R"({"role":")") + std::string(ChatRoleName(role)) + R"(","text":"x"})";
    ZHIKU_ASSERT_OK_AND_ASSIGN(ChatMessage parsed, ChatMessageFromJsonLine(line));
    EXPECT_EQ(parsed.role, role);
  }
}

TEST(ChatMessageFromJsonLine, BadLinesSayWhatIsWrongWithoutQuotingTheText) {
  struct Case {
    const char* line;
    const char* message;
  };
  const Case kCases[] = {
      {R"({"role":"customer","text":"电话13812345678)", "invalid JSON at byte"},
      {R"(["customer","hi"])", "the line is an array"},
      {R"("hi")", "the line is a string"},
      {R"({"text":"hi"})", "\"role\" is missing"},
      {R"({"role":"customer"})", "\"text\" is missing"},
      {R"({"role":"customer","text":null})", "\"text\" is missing"},
      {R"({"role":"customer","text":["hi"]})", "\"text\" must be a string, not an array"},
      {R"({"role":7,"text":"hi"})", "\"role\" must be a string, not a number"},
      // Roles are exact: a capital letter or a synonym is reported, not guessed.
      {R"({"role":"Customer","text":"hi"})", "\"role\" is 'Customer'; it must be one of customer, agent, bot, system"},
      {R"({"role":"user","text":"hi"})", "'user'"},
      // Text in the role field is not echoed.
      {R"({"role":"我的电话是13812345678","text":"hi"})", "\"role\" is unknown"},
      {R"({"role":"customer","text":"hi","channel":3})", "\"channel\" must be a string, not a number"},
      {R"({"role":"customer","text":"hi","message_id":1.5})", "\"message_id\" must be a string or an integer"},
  };
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.line);
    absl::StatusOr<ChatMessage> m = ChatMessageFromJsonLine(c.line);
    ASSERT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), HasSubstr(c.message));
    EXPECT_THAT(m.status().message(), ::testing::Not(HasSubstr("13812345678")));
  }
}

}  // namespace
}  // namespace zhiku
