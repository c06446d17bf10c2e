// Minimal structured logging to stderr (Debian's abseil has no absl/log).
// One line per call: "2026-11-23T19:20:00.123Z I knowledge_base: message".
#ifndef ZHIKU_INDEX_LOGGING_H_
#define ZHIKU_INDEX_LOGGING_H_

#include "absl/strings/string_view.h"

namespace zhiku {

enum class LogLevel { kInfo, kWarning, kError };

// Writes one line to stderr. Thread-safe (one write(2) per line).
void Log(LogLevel level, absl::string_view component, absl::string_view message);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_LOGGING_H_
