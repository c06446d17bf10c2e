// Conversions between zhiku.v1 protos and domain types. The only place proto
// and domain types meet (with validation.h).
#ifndef ZHIKU_SERVICE_CONVERT_H_
#define ZHIKU_SERVICE_CONVERT_H_

#include "index/draft.h"
#include "index/draft_store.h"
#include "index/entry.h"
#include "index/knowledge_base.h"
#include "zhiku/v1/draft.pb.h"
#include "zhiku/v1/entry.pb.h"
#include "zhiku/v1/search.pb.h"

namespace zhiku {

// Copies every input field, vectors included; output-only fields are left
// at their defaults (the store sets them).
Entry FromProto(const v1::Entry& proto);

// Whether ToProto copies Entry::vectors. Search hits and answers leave them
// out: they can be large (up to 4,096 floats per phrasing) and a caller
// that needs them has the id to get the entry.
enum class ProtoVectors { kInclude, kOmit };
void ToProto(const Entry& entry, v1::Entry* proto, ProtoVectors vectors = ProtoVectors::kInclude);

v1::MatchedField ToProto(MatchedField field);

// The mined fields of a draft (1-14), both ways; covered_by "" <-> none.
// DraftFromProto ignores the output-only fields.
Draft DraftFromProto(const v1::Draft& proto);
void ToProto(const Draft& draft, v1::Draft* proto);
// A stored draft with its server-side fields (status, times, runs, counts).
void ToProto(const StoredDraft& stored, v1::Draft* proto);

v1::DraftStatus ToProto(DraftStatus status);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_CONVERT_H_
