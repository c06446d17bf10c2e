#include "index/draft.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;

absl::Status ReadString(const Json& json, const char* key, std::string* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be a string"));
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStrings(const Json& json, const char* key, std::vector<std::string>* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must be an array of strings"));
  for (const Json& item : *it) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" must hold strings only"));
    }
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

}  // namespace

std::string DraftToJson(const Draft& d) {
  Json j;
  j["draft_id"] = d.draft_id;
  j["question"] = d.question;
  j["variants"] = d.variants;
  j["answer"] = d.answer;
  j["answer_alternatives"] = d.answer_alternatives;
  j["frequency"] = d.frequency;
  j["message_ids"] = d.message_ids;
  j["conversation_ids"] = d.conversation_ids;
  j["covered_by"] = d.covered_by ? Json(*d.covered_by) : Json(nullptr);
  if (d.covered_by) j["covered_score"] = d.covered_score;
  j["conflicting_answers"] = d.conflicting_answers;
  j["first_seen"] = d.first_seen;
  j["last_seen"] = d.last_seen;
  j["trend"] = d.trend;
  // Replace, not throw, on invalid UTF-8: masked text is copied byte for
  // byte from the logs, which the reader has already checked.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

absl::StatusOr<Draft> DraftFromJson(absl::string_view line) {
  Json j = Json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError("invalid JSON; each line must be one draft object");
  if (!j.is_object()) return absl::InvalidArgumentError("the line is not a draft object");
  Draft d;
  if (absl::Status s = ReadString(j, "draft_id", &d.draft_id); !s.ok()) return s;
  if (absl::Status s = ReadString(j, "question", &d.question); !s.ok()) return s;
  if (d.question.empty()) return absl::InvalidArgumentError("\"question\" is missing or empty");
  if (absl::Status s = ReadStrings(j, "variants", &d.variants); !s.ok()) return s;
  if (absl::Status s = ReadString(j, "answer", &d.answer); !s.ok()) return s;
  if (absl::Status s = ReadStrings(j, "answer_alternatives", &d.answer_alternatives); !s.ok()) return s;
  if (absl::Status s = ReadStrings(j, "message_ids", &d.message_ids); !s.ok()) return s;
  if (absl::Status s = ReadStrings(j, "conversation_ids", &d.conversation_ids); !s.ok()) return s;
  if (absl::Status s = ReadString(j, "first_seen", &d.first_seen); !s.ok()) return s;
  if (absl::Status s = ReadString(j, "last_seen", &d.last_seen); !s.ok()) return s;
  if (auto it = j.find("frequency"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return absl::InvalidArgumentError("\"frequency\" must be a non-negative integer");
    }
    d.frequency = it->get<int64_t>();
  }
  if (auto it = j.find("covered_by"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return absl::InvalidArgumentError("\"covered_by\" must be an entry id string or null");
    d.covered_by = it->get<std::string>();
  }
  if (auto it = j.find("covered_score"); it != j.end() && it->is_number()) d.covered_score = it->get<double>();
  if (auto it = j.find("trend"); it != j.end() && it->is_number()) d.trend = it->get<double>();
  if (auto it = j.find("conflicting_answers"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return absl::InvalidArgumentError("\"conflicting_answers\" must be true or false");
    d.conflicting_answers = it->get<bool>();
  }
  return d;
}

}  // namespace zhiku
