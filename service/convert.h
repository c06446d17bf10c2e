// Conversions between zhiku.v1 protos and domain types. The only place proto
// and domain types meet (with validation.h).
#ifndef ZHIKU_SERVICE_CONVERT_H_
#define ZHIKU_SERVICE_CONVERT_H_

#include "index/entry.h"
#include "index/knowledge_base.h"
#include "zhiku/v1/entry.pb.h"
#include "zhiku/v1/search.pb.h"

namespace zhiku {

Entry FromProto(const v1::Entry& proto);
void ToProto(const Entry& entry, v1::Entry* proto);

v1::MatchedField ToProto(MatchedField field);

}  // namespace zhiku

#endif  // ZHIKU_SERVICE_CONVERT_H_
