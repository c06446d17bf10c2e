#include "service/convert.h"

namespace zhiku {

Entry FromProto(const v1::Entry& proto) {
  Entry entry;
  entry.id = proto.id();
  entry.question = proto.question();
  entry.variants.assign(proto.variants().begin(), proto.variants().end());
  entry.answer = proto.answer();
  entry.category = proto.category();
  entry.tags.assign(proto.tags().begin(), proto.tags().end());
  entry.locale = proto.locale();
  entry.channel = proto.channel();
  entry.vectors.reserve(proto.vectors_size());
  for (const v1::EntryVector& vector : proto.vectors()) {
    entry.vectors.emplace_back(vector.values().begin(), vector.values().end());
  }
  return entry;
}

void ToProto(const Entry& entry, v1::Entry* proto, ProtoVectors vectors) {
  proto->set_id(entry.id);
  proto->set_question(entry.question);
  proto->mutable_variants()->Assign(entry.variants.begin(), entry.variants.end());
  proto->set_answer(entry.answer);
  proto->set_category(entry.category);
  proto->mutable_tags()->Assign(entry.tags.begin(), entry.tags.end());
  proto->set_locale(entry.locale);
  proto->set_channel(entry.channel);
  proto->set_version(entry.version);
  proto->set_create_time_ms(entry.created_at_ms);
  proto->set_update_time_ms(entry.updated_at_ms);
  proto->clear_vectors();
  if (vectors == ProtoVectors::kOmit) return;
  for (const std::vector<float>& vector : entry.vectors) {
    proto->add_vectors()->mutable_values()->Assign(vector.begin(), vector.end());
  }
}

v1::MatchedField ToProto(MatchedField field) {
  switch (field) {
    case MatchedField::kQuestion:
      return v1::MATCHED_FIELD_QUESTION;
    case MatchedField::kVariant:
      return v1::MATCHED_FIELD_VARIANT;
    case MatchedField::kAnswer:
      return v1::MATCHED_FIELD_ANSWER;
  }
  return v1::MATCHED_FIELD_UNSPECIFIED;
}

}  // namespace zhiku
