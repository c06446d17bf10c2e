// The analytics report of `zhikuctl report --html FILE`: one self-contained
// HTML page (inline CSS and SVG, no script, no external resource) that a team
// lead can mail around or open offline in a meeting.
//
// Rendering is separate from fetching so that tests can feed it responses
// they made up and check what the page says.
#ifndef ZHIKU_SERVICE_REPORT_H_
#define ZHIKU_SERVICE_REPORT_H_

#include <cstdint>
#include <string>

#include "zhiku/v1/analytics.pb.h"

namespace zhiku {

// What the page shows; each part is one AnalyticsService response over the
// same time range.
struct ReportData {
  std::string server;         // where the numbers came from, for the header
  int64_t generated_ms = 0;   // when, milliseconds since the Unix epoch
  v1::GetSummaryResponse summary;
  v1::TopQueriesResponse hot;         // TopQueries
  v1::TopQueriesResponse unanswered;  // TopQueries(unanswered_only)
  v1::EntryStatsResponse least_helpful;  // EntryStats(NOT_HELPFUL_RATE)
  v1::EntryStatsResponse most_used;      // EntryStats(HITS)
};

// The page: headline numbers, a bar chart of the hot questions, a chart of
// query volume with the hand-off rate over time, a bar chart of the least
// helpful entries, and tables of the unanswered questions and the most used
// entries. Every text from the data is HTML-escaped.
std::string RenderReportHtml(const ReportData& data);

// `text` with &, <, >, " and ' replaced by character references.
std::string HtmlEscape(const std::string& text);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_REPORT_H_
