// The client side of DraftService for tools (zhiku-ingest --server, zhikuctl
// drafts submit). No gRPC headers here, on purpose.
#ifndef ZHIKU_SERVICE_DRAFT_CLIENT_H_
#define ZHIKU_SERVICE_DRAFT_CLIENT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "index/draft.h"

namespace zhiku {

struct SubmitDraftsSummary {
  int64_t created = 0;
  int64_t merged = 0;
  int64_t suppressed = 0;  // matched drafts an editor had rejected
  // The stored draft's id per submitted draft, in order (the id of the
  // draft it was merged into when it matched one).
  std::vector<std::string> draft_ids;
  int64_t calls = 0;  // SubmitDrafts calls made
};

// Submits `drafts` to the DraftService at `target` (HOST:PORT, plaintext,
// sending `api_key` unless it is "")
// for `knowledge_base` ("" = the server's default), in batches of at most
// kMaxDraftsPerSubmitCall drafts and about kMaxSubmitCallBytes each (a
// larger draft goes alone), one call after the other, each with `deadline`
// (absl::InfiniteDuration() = none). The server merges them into the drafts
// it holds (see SubmitDrafts in proto/zhiku/v1/draft.proto); an empty
// `drafts` makes no call.
//
// Each batch is one transaction on the server. If a call fails, the batches
// before it stay stored and the error (the server's code, e.g.
// InvalidArgument, Unavailable, DeadlineExceeded) says how many drafts were
// stored; submitting the same drafts again is safe, as evidence is merged
// as a set. Thread-safe.
absl::StatusOr<SubmitDraftsSummary> SubmitDraftsToServer(const std::string& target, const std::string& api_key,
                                                         const std::string& knowledge_base,
                                                         const std::vector<Draft>& drafts, absl::Duration deadline);

inline constexpr size_t kMaxDraftsPerSubmitCall = 1000;
// Below the server's default 4 MiB message limit.
inline constexpr size_t kMaxSubmitCallBytes = 3 << 20;

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_DRAFT_CLIENT_H_
