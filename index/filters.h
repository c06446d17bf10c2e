// Structured filters shared by search, suggest and listing.
#ifndef ZHIKU_INDEX_FILTERS_H_
#define ZHIKU_INDEX_FILTERS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "index/entry.h"

namespace zhiku {

// An entry passes when, for every non-empty field below, it has at least one
// of the listed values (OR within a field, AND across fields). Values compare
// exactly (case-sensitive, as stored).
struct Filters {
  std::vector<std::string> categories;
  std::vector<std::string> tags;
  std::vector<std::string> locales;
  std::vector<std::string> channels;

  bool empty() const {
    return categories.empty() && tags.empty() && locales.empty() && channels.empty();
  }
};

// The filter field names accepted at the API boundary.
inline constexpr absl::string_view kFilterFields[] = {"category", "tags", "locale", "channel"};

// Adds `values` to the field called `field` ("category", "tags", "locale" or
// "channel"; "tag", "categories", "locales" and "channels" are accepted as
// aliases). Returns InvalidArgument naming the accepted fields for any other
// name, and for empty values.
absl::Status AddFilter(absl::string_view field, const std::vector<std::string>& values,
                       Filters* filters);

// True if `entry` passes `filters`.
bool Matches(const Filters& filters, const Entry& entry);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_FILTERS_H_
