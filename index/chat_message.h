// One message of a chat log: the input of corpus import today and of FAQ
// mining (ingest/) later. Format (PRODUCT.md), one JSON object per line:
//   {"conversation_id","message_id","role","text","ts"?,"channel"?}
// with role one of customer, agent, bot, system.
#ifndef ZHIKU_INDEX_CHAT_MESSAGE_H_
#define ZHIKU_INDEX_CHAT_MESSAGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

enum class ChatRole { kCustomer, kAgent, kBot, kSystem };

// "customer", "agent", "bot", "system".
absl::string_view ChatRoleName(ChatRole role);

struct ChatMessage {
  std::string conversation_id;  // "" if absent
  std::string message_id;       // "" if absent
  ChatRole role = ChatRole::kCustomer;
  std::string text;
  std::string ts;       // as written (ISO 8601 or epoch digits); "" if absent
  std::string channel;  // "" if absent
};

// Parses one chat-log JSONL line. "role" and "text" are required strings;
// the role must be one of the four names (exactly, lowercase).
// conversation_id, message_id and ts may also be integers (kept as their
// decimal digits), channel must be a string; any of them may be absent or
// null. Unknown keys are ignored. Returns InvalidArgument saying what is
// wrong (broken JSON with its byte offset, a non-object, a missing or
// mistyped field, an unknown role); messages never quote the line, which
// may hold personal data. The caller checks UTF-8 and sizes first.
absl::StatusOr<ChatMessage> ChatMessageFromJsonLine(absl::string_view line);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_CHAT_MESSAGE_H_
