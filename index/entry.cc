#include "index/entry.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "index/format.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

using Json = nlohmann::json;

// Ids in messages are escaped (they may be invalid) and cut (they may be huge).
std::string EntryLabel(absl::string_view id) {
  if (id.empty()) return "new entry";
  constexpr size_t kShown = 40;
  if (id.size() <= kShown) return absl::StrCat("entry '", absl::CHexEscape(id), "'");
  return absl::StrCat("entry '", absl::CHexEscape(id.substr(0, kShown)), "...'");
}

// Printable ASCII without space: ids come from customers' own systems
// (intent names like "card_arrival?" included) and must survive shells,
// URLs-in-quotes and logs unambiguously.
bool IsIdChar(char c) { return c > ' ' && c < 0x7F; }

// Whitespace that editors and chat exports leave around questions. U+3000 is
// the ideographic space of CJK input methods.
constexpr absl::string_view kSpaces[] = {
    " ", "\t", "\n", "\r", "\f", "\v", "\xC2\xA0", "\xE2\x80\x8B", "\xE3\x80\x80", "\xEF\xBB\xBF",
};

std::string Trim(absl::string_view text) {
  bool changed = true;
  while (changed && !text.empty()) {
    changed = false;
    for (absl::string_view space : kSpaces) {
      if (absl::ConsumePrefix(&text, space)) changed = true;
      if (absl::ConsumeSuffix(&text, space)) changed = true;
    }
  }
  return std::string(text);
}

absl::Status CheckText(absl::string_view label, absl::string_view field, absl::string_view text,
                       size_t max_bytes) {
  absl::Status utf8 = ValidateUtf8(text, absl::StrCat(label, ": ", field));
  if (!utf8.ok()) return utf8;
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": ", field, " is ",
                                                   WithThousands(text.size()), " bytes; the limit is ",
                                                   WithThousands(max_bytes)));
  }
  return absl::OkStatus();
}

absl::Status CheckId(absl::string_view id, size_t max_bytes) {
  for (size_t i = 0; i < id.size(); ++i) {
    if (!IsIdChar(id[i])) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s: id has byte 0x%02X at byte offset %d; ids may use printable ASCII without spaces",
          EntryLabel(id), static_cast<unsigned char>(id[i]), i));
    }
  }
  if (id.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(EntryLabel(id), ": id is ", WithThousands(id.size()),
                                                   " bytes; the limit is ", WithThousands(max_bytes)));
  }
  return absl::OkStatus();
}

absl::Status CheckCount(absl::string_view label, absl::string_view field, size_t count, size_t max) {
  if (count <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(label, ": ", WithThousands(count), " ", field,
                                                 "; the limit is ", WithThousands(max)));
}

absl::Status CheckVectors(absl::string_view label, const Entry& entry, const EntryLimits& limits) {
  const std::vector<std::vector<float>>& vectors = entry.vectors;
  if (vectors.empty()) return absl::OkStatus();
  const size_t phrasings = 1 + entry.variants.size();
  if (vectors.size() != 1 && vectors.size() != phrasings) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": ", WithThousands(vectors.size()), " vectors given; give 1 (for the whole entry) or ",
        WithThousands(phrasings), " (one per phrasing: the question, then each of its ",
        WithThousands(entry.variants.size()), " variants)"));
  }
  const size_t dim = vectors[0].size();
  if (dim == 0 || dim > limits.max_vector_dim) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": vectors[0] has ", WithThousands(dim),
                                                   " values; a vector has 1 to ",
                                                   WithThousands(limits.max_vector_dim)));
  }
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (vectors[i].size() != dim) {
      return absl::InvalidArgumentError(absl::StrCat(label, ": vectors[", i, "] has ",
                                                     WithThousands(vectors[i].size()), " values but vectors[0] has ",
                                                     WithThousands(dim), "; all vectors of an entry have one length"));
    }
    bool all_zero = true;
    for (size_t j = 0; j < dim; ++j) {
      if (!std::isfinite(vectors[i][j])) {
        return absl::InvalidArgumentError(
            absl::StrCat(label, ": vectors[", i, "][", j, "] is not a finite number"));
      }
      if (vectors[i][j] != 0.0f) all_zero = false;
    }
    if (all_zero) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, ": vectors[", i, "] is all zeros; it has no direction for cosine similarity"));
    }
  }
  return absl::OkStatus();
}

// ---- JSON reading. nlohmann exceptions stop in this file.

absl::Status TypeError(absl::string_view key, absl::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat("\"", key, "\" must be ", want, ", not ", got.type_name()));
}

// A short reason from a nlohmann message: without the "[json.exception...] "
// prefix and the "; last read: '...'" part, which echoes (possibly invalid)
// input bytes.
std::string ShortJsonReason(absl::string_view what) {
  if (absl::StartsWith(what, "[json.exception.")) {
    size_t close = what.find("] ");
    if (close != absl::string_view::npos) what.remove_prefix(close + 2);
  }
  std::string reason(what);
  size_t echo = reason.find("; last read: '");
  if (echo != std::string::npos) {
    size_t expected = reason.find("'; expected ", echo);
    reason.erase(echo, expected == std::string::npos ? std::string::npos : expected + 1 - echo);
  }
  constexpr size_t kMaxReason = 200;
  if (reason.size() > kMaxReason) reason.resize(kMaxReason);
  if (!ValidateUtf8(reason, "reason").ok()) reason = absl::CHexEscape(reason);
  return reason;
}

absl::Status ReadString(const Json& object, absl::string_view key, bool required, std::string* out) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) {
    if (required) return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
    return absl::OkStatus();
  }
  if (!it->is_string()) return TypeError(key, "a string", *it);
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status ReadStringArray(const Json& object, absl::string_view key, std::vector<std::string>* out) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return TypeError(key, "an array of strings", *it);
  out->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    if (!item.is_string()) return TypeError(absl::StrCat(key, "[", i, "]"), "a string", item);
    out->push_back(item.get<std::string>());
  }
  return absl::OkStatus();
}

// "vectors": an array of arrays of numbers, each read as a float32.
absl::Status ReadVectors(const Json& object, std::vector<std::vector<float>>* out) {
  auto it = object.find("vectors");
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_array()) return TypeError("vectors", "an array of arrays of numbers", *it);
  out->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& row = (*it)[i];
    if (!row.is_array()) return TypeError(absl::StrCat("vectors[", i, "]"), "an array of numbers", row);
    std::vector<float> vector;
    vector.reserve(row.size());
    for (size_t j = 0; j < row.size(); ++j) {
      const Json& value = row[j];
      if (!value.is_number()) return TypeError(absl::StrCat("vectors[", i, "][", j, "]"), "a number", value);
      const double x = value.get<double>();
      // Below FLT_MAX + half its ulp a double rounds to a finite float (the
      // shortest form of FLT_MAX itself, 3.4028235e38, is above FLT_MAX).
      static const double kFloatLimit = std::ldexp(1.0, 128) - std::ldexp(1.0, 103);
      if (!(std::abs(x) < kFloatLimit)) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"vectors[", i, "][", j, "]\" is ", x, ", outside the float32 range"));
      }
      vector.push_back(static_cast<float>(x));
    }
    out->push_back(std::move(vector));
  }
  return absl::OkStatus();
}

absl::Status ReadInt(const Json& object, absl::string_view key, int64_t* out) {
  auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) return TypeError(key, "an integer", *it);
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("\"", key, "\" is out of range"));
  }
  *out = it->get<int64_t>();
  return absl::OkStatus();
}

absl::StatusOr<Entry> EntryFromJson(const Json& json) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a line must be a JSON object, not ", json.type_name()));
  }
  Entry entry;
  absl::Status status = ReadString(json, "question", /*required=*/true, &entry.question);
  if (status.ok()) status = ReadString(json, "id", false, &entry.id);
  if (status.ok()) status = ReadStringArray(json, "variants", &entry.variants);
  if (status.ok()) status = ReadString(json, "answer", false, &entry.answer);
  if (status.ok()) status = ReadString(json, "category", false, &entry.category);
  if (status.ok()) status = ReadStringArray(json, "tags", &entry.tags);
  if (status.ok()) status = ReadString(json, "locale", false, &entry.locale);
  if (status.ok()) status = ReadString(json, "channel", false, &entry.channel);
  if (status.ok()) status = ReadVectors(json, &entry.vectors);
  if (status.ok()) status = ReadInt(json, "version", &entry.version);
  if (status.ok()) status = ReadInt(json, "created_at", &entry.created_at_ms);
  if (status.ok()) status = ReadInt(json, "updated_at", &entry.updated_at_ms);
  if (!status.ok()) return status;
  return entry;
}

}  // namespace

absl::Status ValidateUtf8(absl::string_view text, absl::string_view what) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8: ", why,
                                                   " at byte offset ", i, "; send UTF-8 text"));
  };
  while (i < n) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    uint32_t min_code_point;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code_point = lead & 0x1F, min_code_point = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code_point = lead & 0x0F, min_code_point = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code_point = lead & 0x07, min_code_point = 0x10000;
    } else if ((lead & 0xC0) == 0x80) {
      return bad(absl::StrFormat("unexpected continuation byte 0x%02X", lead));
    } else {
      return bad(absl::StrFormat("invalid byte 0x%02X", lead));
    }
    if (n - i < length) return bad("truncated sequence");
    for (size_t k = 1; k < length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return bad("truncated sequence");
      code_point = (code_point << 6) | (bytes[i + k] & 0x3F);
    }
    if (code_point < min_code_point) return bad("overlong encoding");
    if (code_point >= 0xD800 && code_point <= 0xDFFF) {
      return bad(absl::StrFormat("UTF-16 surrogate U+%04X", code_point));
    }
    if (code_point > 0x10FFFF) return bad("code point above U+10FFFF");
    i += length;
  }
  return absl::OkStatus();
}

absl::Status ValidateEntry(const Entry& entry, const EntryLimits& limits) {
  absl::Status status = CheckId(entry.id, limits.max_id_bytes);
  if (!status.ok()) return status;
  const std::string label = EntryLabel(entry.id);

  status = CheckText(label, "question", entry.question, limits.max_question_bytes);
  if (!status.ok()) return status;
  if (Trim(entry.question).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": question is blank; every entry needs a question"));
  }

  status = CheckCount(label, "variants", entry.variants.size(), limits.max_variants);
  if (!status.ok()) return status;
  for (size_t i = 0; i < entry.variants.size(); ++i) {
    status = CheckText(label, absl::StrCat("variants[", i, "]"), entry.variants[i],
                       limits.max_variant_bytes);
    if (!status.ok()) return status;
  }

  status = CheckText(label, "answer", entry.answer, limits.max_answer_bytes);
  if (!status.ok()) return status;
  status = CheckText(label, "category", entry.category, limits.max_label_bytes);
  if (!status.ok()) return status;

  status = CheckCount(label, "tags", entry.tags.size(), limits.max_tags);
  if (!status.ok()) return status;
  for (size_t i = 0; i < entry.tags.size(); ++i) {
    status = CheckText(label, absl::StrCat("tags[", i, "]"), entry.tags[i], limits.max_label_bytes);
    if (!status.ok()) return status;
  }

  status = CheckText(label, "locale", entry.locale, limits.max_label_bytes);
  if (!status.ok()) return status;
  status = CheckText(label, "channel", entry.channel, limits.max_label_bytes);
  if (!status.ok()) return status;
  return CheckVectors(label, entry, limits);
}

Entry CanonicalizeEntry(Entry entry) {
  entry.question = Trim(entry.question);
  // With one vector per phrasing, vectors[i + 1] belongs to variants[i].
  const bool per_phrasing = entry.vectors.size() > 1 && entry.vectors.size() == 1 + entry.variants.size();
  std::vector<std::string> variants;
  variants.reserve(entry.variants.size());
  std::vector<std::vector<float>> vectors;
  if (per_phrasing) vectors.push_back(std::move(entry.vectors[0]));
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < entry.variants.size(); ++i) {
    std::string variant = Trim(entry.variants[i]);
    if (variant.empty() || variant == entry.question) continue;
    if (!seen.insert(variant).second) continue;
    variants.push_back(std::move(variant));
    if (per_phrasing) vectors.push_back(std::move(entry.vectors[i + 1]));
  }
  entry.variants = std::move(variants);
  if (per_phrasing) entry.vectors = std::move(vectors);
  return entry;
}

absl::StatusOr<Entry> EntryFromJsonLine(absl::string_view line) {
  Json json;
  try {
    json = Json::parse(line.begin(), line.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("invalid JSON: ", ShortJsonReason(e.what())));
  }
  return EntryFromJson(json);
}

std::string EntryToJsonLine(const Entry& entry) {
  nlohmann::ordered_json json;
  json["id"] = entry.id;
  json["question"] = entry.question;
  json["variants"] = entry.variants;
  json["answer"] = entry.answer;
  json["category"] = entry.category;
  json["tags"] = entry.tags;
  json["locale"] = entry.locale;
  json["channel"] = entry.channel;
  json["version"] = entry.version;
  json["created_at"] = entry.created_at_ms;
  json["updated_at"] = entry.updated_at_ms;
  if (!entry.vectors.empty()) {
    nlohmann::ordered_json vectors = nlohmann::ordered_json::array();
    for (const std::vector<float>& vector : entry.vectors) {
      nlohmann::ordered_json values = nlohmann::ordered_json::array();
      for (float x : vector) values.push_back(Float32ForJson(x));
      vectors.push_back(std::move(values));
    }
    json["vectors"] = std::move(vectors);
  }
  // Stored entries are valid UTF-8; "replace" keeps a bug elsewhere from
  // turning an export into an exception.
  return json.dump(/*indent=*/-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

absl::string_view VersionActionName(VersionAction action) {
  switch (action) {
    case VersionAction::kCreate: return "create";
    case VersionAction::kUpdate: return "update";
    case VersionAction::kImport: return "import";
    case VersionAction::kDelete: return "delete";
    case VersionAction::kRollback: return "rollback";
    case VersionAction::kBaseline: return "baseline";
  }
  return "unknown";
}

std::vector<FieldChange> DiffEntries(const Entry* before, const Entry& after) {
  static const Entry kEmpty;
  const Entry& b = before == nullptr ? kEmpty : *before;
  std::vector<FieldChange> out;
  auto text = [&](const char* field, const std::string& x, const std::string& y) {
    if (x == y) return;
    FieldChange c;
    c.field = field;
    c.before = x;
    c.after = y;
    out.push_back(std::move(c));
  };
  auto list = [&](const char* field, const std::vector<std::string>& x, const std::vector<std::string>& y) {
    FieldChange c;
    c.field = field;
    for (const std::string& v : y) {
      if (std::find(x.begin(), x.end(), v) == x.end()) c.added.push_back(v);
    }
    for (const std::string& v : x) {
      if (std::find(y.begin(), y.end(), v) == y.end()) c.removed.push_back(v);
    }
    if (!c.added.empty() || !c.removed.empty()) out.push_back(std::move(c));
  };
  text("question", b.question, after.question);
  list("variants", b.variants, after.variants);
  text("answer", b.answer, after.answer);
  text("category", b.category, after.category);
  list("tags", b.tags, after.tags);
  text("locale", b.locale, after.locale);
  text("channel", b.channel, after.channel);
  if (b.vectors != after.vectors) {
    FieldChange c;
    c.field = "vectors";
    c.before = std::to_string(b.vectors.size());
    c.after = std::to_string(after.vectors.size());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace zhiku
