// Conversions between zhiku.v1 protos and domain types. The only place proto
// and domain types meet (with validation.h).
#ifndef ZHIKU_SERVICE_CONVERT_H_
#define ZHIKU_SERVICE_CONVERT_H_

#include "index/entry.h"
#include "index/knowledge_base.h"
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

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_CONVERT_H_
