#include "index/chat_message.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;

absl::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_float: return "a fractional number";
    default: return "a number";
  }
}

// Reads `key` into `out` ("" if absent or null). Integers are accepted when
// `integers_ok` (ids and epoch timestamps are often numeric in exports).
absl::Status ReadOptional(const Json& json, const char* key, bool integers_ok, std::string* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return absl::OkStatus();
  if (it->is_string()) {
    *out = it->get<std::string>();
  } else if (integers_ok && it->is_number_integer()) {
    *out = it->dump();
  } else {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be a string", integers_ok ? " or an integer" : "",
                                                   ", not ", TypeName(*it)));
  }
  return absl::OkStatus();
}

absl::Status ReadRequired(const Json& json, const char* key, std::string* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is missing; every chat message needs it"));
  }
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be a string, not ", TypeName(*it)));
  }
  *out = it->get<std::string>();
  return absl::OkStatus();
}

}  // namespace

absl::string_view ChatRoleName(ChatRole role) {
  switch (role) {
    case ChatRole::kCustomer: return "customer";
    case ChatRole::kAgent: return "agent";
    case ChatRole::kBot: return "bot";
    case ChatRole::kSystem: return "system";
  }
  return "unknown";
}

absl::StatusOr<ChatMessage> ChatMessageFromJsonLine(absl::string_view line) {
  Json json;
  try {
    json = Json::parse(line.begin(), line.end());
  } catch (const Json::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid JSON at byte ", e.byte, "; each line must be one chat message object like "
        "{\"role\":\"customer\",\"text\":\"...\"}"));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the line is ", TypeName(json), ", not a chat message object like {\"role\":\"customer\",...}"));
  }
  ChatMessage message;
  std::string role;
  if (absl::Status s = ReadRequired(json, "role", &role); !s.ok()) return s;
  bool known = false;
  for (ChatRole candidate : {ChatRole::kCustomer, ChatRole::kAgent, ChatRole::kBot, ChatRole::kSystem}) {
    if (role == ChatRoleName(candidate)) {
      message.role = candidate;
      known = true;
    }
  }
  if (!known) {
    // Quoted only when short printable ASCII ("user", "Customer"): anything
    // else could be message text that ended up in the wrong field.
    const bool quotable = role.size() <= 32 && std::all_of(role.begin(), role.end(), [](char ch) {
                            return ch >= 0x20 && ch < 0x7f;
                          });
    return absl::InvalidArgumentError(absl::StrCat("\"role\" is ", quotable ? absl::StrCat("'", role, "'") : "unknown",
                                                   "; it must be one of customer, agent, bot, system"));
  }
  if (absl::Status s = ReadRequired(json, "text", &message.text); !s.ok()) return s;
  if (absl::Status s = ReadOptional(json, "conversation_id", true, &message.conversation_id); !s.ok()) return s;
  if (absl::Status s = ReadOptional(json, "message_id", true, &message.message_id); !s.ok()) return s;
  if (absl::Status s = ReadOptional(json, "ts", true, &message.ts); !s.ok()) return s;
  if (absl::Status s = ReadOptional(json, "channel", false, &message.channel); !s.ok()) return s;
  return message;
}

}  // namespace zhiku
