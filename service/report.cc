#include "service/report.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace zhiku {
namespace {

// Cuts `text` to at most `max_chars` code points, marking the cut with "…".
// Works on UTF-8 lead bytes; invalid bytes count as one character each.
std::string Clip(const std::string& text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return text.substr(0, i) + "…";
    ++chars;
  }
  return text;
}

std::string Day(int64_t ms, bool with_time) {
  return absl::FormatTime(with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", absl::FromUnixMillis(ms),
                          absl::UTCTimeZone());
}

std::string Percent(double fraction) { return absl::StrFormat("%.1f%%", 100.0 * fraction); }

// A horizontal bar chart: one row per item, a label column on the left, the
// bar scaled to the largest value, and a note after the bar. `part` (<= value)
// is drawn over the start of the bar in the accent colour.
struct BarRow {
  std::string label;
  double value = 0;
  double part = 0;
  std::string note;
};

std::string BarChart(const std::vector<BarRow>& rows, double max_value, const std::string& title,
                     const std::string& legend) {
  constexpr int kRowHeight = 22;
  constexpr int kLabelWidth = 330;
  constexpr int kBarWidth = 380;
  constexpr int kNoteWidth = 150;
  const int height = static_cast<int>(rows.size()) * kRowHeight + 10;
  std::string svg = absl::StrFormat(
      "<svg role=\"img\" aria-label=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
      HtmlEscape(title), kLabelWidth + kBarWidth + kNoteWidth, height,
      kLabelWidth + kBarWidth + kNoteWidth, height);
  if (max_value <= 0) max_value = 1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const BarRow& row = rows[i];
    const int y = static_cast<int>(i) * kRowHeight + 5;
    const double w = std::max(1.0, kBarWidth * row.value / max_value);
    const double pw = std::min(w, kBarWidth * row.part / max_value);
    absl::StrAppendFormat(&svg,
                          "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lbl\">%s</text>\n",
                          kLabelWidth - 8, y + 15, HtmlEscape(Clip(row.label, 24)));
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"bar\">"
                          "<title>%s</title></rect>\n",
                          kLabelWidth, y + 2, w, kRowHeight - 6, HtmlEscape(row.label));
    if (pw > 0) {
      absl::StrAppendFormat(&svg,
                            "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" class=\"part\"/>\n",
                            kLabelWidth, y + 2, pw, kRowHeight - 6);
    }
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%d\" class=\"num\">%s</text>\n",
                          kLabelWidth + w + 6, y + 15, HtmlEscape(row.note));
  }
  svg += "</svg>\n";
  if (!legend.empty()) absl::StrAppend(&svg, "<p class=\"legend\">", legend, "</p>\n");
  return svg;
}

// Query volume per bucket as bars and the hand-off rate (hand-offs / Answer
// calls) as a line on a 0-100% scale.
std::string TimelineChart(const v1::GetSummaryResponse& s) {
  const int n = s.timeline_size();
  if (n == 0) return "<p class=\"empty\">No buckets in this range.</p>\n";
  constexpr int kLeft = 50, kRight = 50, kTop = 10, kPlotHeight = 200, kBottom = 40;
  const int plot_width = std::max(400, std::min(900, n * 12));
  const double step = static_cast<double>(plot_width) / n;
  int64_t max_queries = 1;
  for (const v1::TimelineBucket& b : s.timeline()) max_queries = std::max(max_queries, b.queries());
  const int width = kLeft + plot_width + kRight;
  const int height = kTop + kPlotHeight + kBottom;
  std::string svg = absl::StrFormat(
      "<svg role=\"img\" aria-label=\"Queries and hand-off rate over time\" width=\"%d\" "
      "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
      width, height, width, height);
  // Axes and grid lines at 0, 50 and 100%.
  for (int pct : {0, 50, 100}) {
    const double y = kTop + kPlotHeight * (1.0 - pct / 100.0);
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" class=\"grid\"/>\n"
                          "<text x=\"%d\" y=\"%.1f\" class=\"axis\">%d%%</text>\n"
                          "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" class=\"axis\">%d</text>\n",
                          kLeft, y, kLeft + plot_width, y, kLeft + plot_width + 6, y + 4, pct,
                          kLeft - 6, y + 4,
                          static_cast<int>(max_queries * pct / 100));
  }
  std::string line;
  for (int i = 0; i < n; ++i) {
    const v1::TimelineBucket& b = s.timeline(i);
    const double x = kLeft + i * step;
    const double h = kPlotHeight * static_cast<double>(b.queries()) / max_queries;
    const std::string when = Day(b.start_ms(), s.bucket_seconds() < 86400);
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"vol\">"
                          "<title>%s: %d queries, %d Answer calls, %d hand-offs</title></rect>\n",
                          x + step * 0.1, kTop + kPlotHeight - h, std::max(1.0, step * 0.8), h, when,
                          b.queries(), b.answers(), b.handoffs());
    if (b.answers() > 0) {
      const double rate = static_cast<double>(b.handoffs()) / b.answers();
      absl::StrAppendFormat(&line, "%s%.1f,%.1f", line.empty() ? "" : " ", x + step / 2,
                            kTop + kPlotHeight * (1.0 - rate));
    }
  }
  if (!line.empty()) {
    absl::StrAppend(&svg, "<polyline points=\"", line, "\" class=\"rate\"/>\n");
  }
  // About six date labels along the bottom.
  const int every = std::max(1, n / 6);
  for (int i = 0; i < n; i += every) {
    absl::StrAppendFormat(&svg, "<text x=\"%.1f\" y=\"%d\" class=\"axis\">%s</text>\n",
                          kLeft + i * step, kTop + kPlotHeight + 18,
                          Day(s.timeline(i).start_ms(), s.bucket_seconds() < 86400));
  }
  svg += "</svg>\n";
  svg +=
      "<p class=\"legend\"><span class=\"key vol\"></span>queries per bucket (left scale) "
      "<span class=\"key rate\"></span>hand-off rate of Answer calls (right scale)</p>\n";
  return svg;
}

std::string Headline(const std::string& label, const std::string& value) {
  return absl::StrCat("<div class=\"tile\"><div class=\"v\">", value, "</div><div class=\"k\">",
                      HtmlEscape(label), "</div></div>\n");
}

std::string QueryRows(const v1::TopQueriesResponse& r) {
  std::string out;
  int rank = 0;
  for (const v1::QueryGroupStats& q : r.queries()) {
    absl::StrAppendFormat(&out,
                          "<tr><td class=\"n\">%d</td><td>%s</td><td class=\"n\">%d</td>"
                          "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%.3f</td>"
                          "<td>%s</td></tr>\n",
                          ++rank, HtmlEscape(q.text()), q.count(), q.handoffs(),
                          q.negative_feedback(), q.mean_confidence(),
                          q.top_entry_id().empty()
                              ? std::string("-")
                              : HtmlEscape(absl::StrCat(q.top_entry_id(), " ", q.top_entry_question())));
  }
  return out;
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const ReportData& data) {
  const v1::GetSummaryResponse& s = data.summary;
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Zhiku knowledge-base report</title>\n<style>\n"
      "body{font-family:system-ui,'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif;"
      "margin:2em auto;max-width:1000px;color:#222}\n"
      "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}\n"
      ".tiles{display:flex;flex-wrap:wrap;gap:12px}.tile{border:1px solid #ddd;border-radius:6px;"
      "padding:8px 14px;min-width:120px}.tile .v{font-size:1.4em;font-weight:600}"
      ".tile .k{color:#666;font-size:.85em}\n"
      "table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border-bottom:1px solid #eee;"
      "padding:4px 6px;text-align:left;vertical-align:top}td.n,th.n{text-align:right}\n"
      "svg text{font-size:12px;fill:#333}.lbl{font-size:12px}.num,.axis{fill:#666}\n"
      ".bar{fill:#4a7bd0}.part{fill:#e8833a}.vol{fill:#9db8e6}.rate{fill:none;stroke:#d9472b;"
      "stroke-width:2}.grid{stroke:#eee}\n"
      ".legend{color:#666;font-size:.85em}.key{display:inline-block;width:12px;height:12px;"
      "margin:0 4px 0 12px;vertical-align:middle}.key.vol{background:#9db8e6}"
      ".key.rate{background:#d9472b}.key.bar{background:#4a7bd0}.key.part{background:#e8833a}\n"
      ".empty{color:#888;font-style:italic}.meta{color:#666;font-size:.85em}\n"
      "</style>\n</head>\n<body>\n<h1>Knowledge-base report</h1>\n";
  absl::StrAppend(&html, "<p class=\"meta\">", HtmlEscape(Day(s.range().since_ms(), true)), " to ",
                  HtmlEscape(Day(s.range().until_ms(), true)), " UTC &middot; server ",
                  HtmlEscape(data.server), " &middot; generated ",
                  HtmlEscape(Day(data.generated_ms, true)), " UTC &middot; the log keeps ",
                  s.retention_days(), " days</p>\n");

  html += "<div class=\"tiles\">\n";
  html += Headline("queries", absl::StrCat(s.queries()));
  html += Headline("Answer calls", absl::StrCat(s.answers()));
  html += Headline("answered", absl::StrCat(s.answered()));
  html += Headline("hand-off rate", Percent(s.handoff_rate()));
  html += Headline("unanswered", absl::StrCat(s.unanswered()));
  const int64_t votes = s.helpful() + s.not_helpful();
  html += Headline("helpful votes",
                   votes == 0 ? std::string("-")
                              : absl::StrCat(Percent(static_cast<double>(s.helpful()) / votes),
                                             " of ", votes));
  html += Headline("escalated", absl::StrCat(s.escalated()));
  html += "</div>\n";
  absl::StrAppendFormat(&html,
                        "<p class=\"meta\">Hand-offs by reason: no match %d, low confidence %d, "
                        "chit-chat %d, empty query %d. Suggestions only: %d.</p>\n",
                        s.handoff_no_match(), s.handoff_low_confidence(), s.handoff_chitchat(),
                        s.handoff_empty(), s.suggested());

  html += "<h2>Hot questions</h2>\n";
  if (data.hot.queries().empty()) {
    html += "<p class=\"empty\">No queries in this range.</p>\n";
  } else {
    std::vector<BarRow> rows;
    double max_count = 0;
    for (const v1::QueryGroupStats& q : data.hot.queries()) {
      rows.push_back({q.text(), static_cast<double>(q.count()), static_cast<double>(q.handoffs()),
                      absl::StrCat(q.count(), q.handoffs() > 0 ? absl::StrCat(" (", q.handoffs(), " handed off)") : "")});
      max_count = std::max(max_count, static_cast<double>(q.count()));
    }
    html += BarChart(rows, max_count, "Hot questions",
                     "<span class=\"key bar\"></span>times asked "
                     "<span class=\"key part\"></span>of which handed off to a human");
  }

  html += "<h2>Hand-off rate over time</h2>\n";
  html += TimelineChart(s);

  html += "<h2>Least helpful entries</h2>\n";
  if (data.least_helpful.entries().empty()) {
    html += "<p class=\"empty\">No entry has helpful or not-helpful feedback in this range.</p>\n";
  } else {
    std::vector<BarRow> rows;
    for (const v1::EntryUsageStats& e : data.least_helpful.entries()) {
      const int64_t n = e.helpful() + e.not_helpful();
      rows.push_back({absl::StrCat(e.entry_id(), e.question().empty() ? "" : " ", e.question()),
                      e.not_helpful_rate(), 0,
                      absl::StrCat(Percent(e.not_helpful_rate()), " of ", n, n == 1 ? " vote" : " votes")});
    }
    html += BarChart(rows, 1.0, "Least helpful entries",
                     "Share of helpful + not-helpful votes that were not helpful.");
  }

  html += "<h2>Unanswered questions</h2>\n";
  if (data.unanswered.queries().empty()) {
    html += "<p class=\"empty\">None in this range.</p>\n";
  } else {
    html +=
        "<p class=\"meta\">Hand-offs for lack of a match or of confidence, suggestions only, "
        "searches without hits and queries with negative feedback: candidates for new entries "
        "(<code>zhiku-ingest --from-query-log</code> turns them into drafts).</p>\n"
        "<table><tr><th class=\"n\">#</th><th>question</th><th class=\"n\">asked</th>"
        "<th class=\"n\">hand-offs</th><th class=\"n\">negative</th><th class=\"n\">confidence</th>"
        "<th>closest entry</th></tr>\n";
    html += QueryRows(data.unanswered);
    html += "</table>\n";
  }

  html += "<h2>Most used entries</h2>\n";
  if (data.most_used.entries().empty()) {
    html += "<p class=\"empty\">No entry was the top hit of a query in this range.</p>\n";
  } else {
    html +=
        "<table><tr><th>entry</th><th>question</th><th class=\"n\">hits</th>"
        "<th class=\"n\">answered</th><th class=\"n\">helpful</th><th class=\"n\">not helpful</th>"
        "<th class=\"n\">escalated</th><th class=\"n\">answer used</th></tr>\n";
    for (const v1::EntryUsageStats& e : data.most_used.entries()) {
      absl::StrAppendFormat(&html,
                            "<tr><td>%s</td><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                            "<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%d</td>"
                            "<td class=\"n\">%d</td></tr>\n",
                            HtmlEscape(e.entry_id()),
                            e.question().empty() ? std::string("(deleted)") : HtmlEscape(e.question()),
                            e.hits(), e.answered(), e.helpful(), e.not_helpful(), e.escalated(),
                            e.answer_used());
    }
    html += "</table>\n";
  }
  html += "</body>\n</html>\n";
  return html;
}

}  // namespace zhiku
