#include "index/filters.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"

namespace zhiku {
namespace {

bool Contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool FieldPasses(const std::vector<std::string>& wanted, const std::string& value) {
  return wanted.empty() || Contains(wanted, value);
}

}  // namespace

absl::Status AddFilter(absl::string_view field, const std::vector<std::string>& values,
                       Filters* filters) {
  std::vector<std::string>* target = nullptr;
  absl::string_view name;
  if (field == "category" || field == "categories") {
    target = &filters->categories, name = "category";
  } else if (field == "tags" || field == "tag") {
    target = &filters->tags, name = "tags";
  } else if (field == "locale" || field == "locales") {
    target = &filters->locales, name = "locale";
  } else if (field == "channel" || field == "channels") {
    target = &filters->channels, name = "channel";
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown filter field '", absl::CHexEscape(field),
                                                   "'; use one of: ", absl::StrJoin(kFilterFields, ", ")));
  }
  if (values.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter '", name, "' has no values; give at least one or leave it out"));
  }
  for (const std::string& value : values) {
    if (value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter '", name, "' has an empty value; give non-empty values"));
    }
  }
  for (const std::string& value : values) {
    if (!Contains(*target, value)) target->push_back(value);
  }
  return absl::OkStatus();
}

bool Matches(const Filters& filters, const Entry& entry) {
  if (!FieldPasses(filters.categories, entry.category)) return false;
  if (!FieldPasses(filters.locales, entry.locale)) return false;
  if (!FieldPasses(filters.channels, entry.channel)) return false;
  if (filters.tags.empty()) return true;
  return std::any_of(entry.tags.begin(), entry.tags.end(),
                     [&](const std::string& tag) { return Contains(filters.tags, tag); });
}

}  // namespace zhiku
