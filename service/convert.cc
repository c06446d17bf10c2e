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

Draft DraftFromProto(const v1::Draft& proto) {
  Draft d;
  d.draft_id = proto.draft_id();
  d.question = proto.question();
  d.variants.assign(proto.variants().begin(), proto.variants().end());
  d.answer = proto.answer();
  d.answer_alternatives.assign(proto.answer_alternatives().begin(), proto.answer_alternatives().end());
  d.frequency = proto.frequency();
  d.message_ids.assign(proto.message_ids().begin(), proto.message_ids().end());
  d.conversation_ids.assign(proto.conversation_ids().begin(), proto.conversation_ids().end());
  if (!proto.covered_by().empty()) d.covered_by = proto.covered_by();
  d.covered_score = proto.covered_score();
  d.conflicting_answers = proto.conflicting_answers();
  d.first_seen = proto.first_seen();
  d.last_seen = proto.last_seen();
  d.trend = proto.trend();
  return d;
}

void ToProto(const Draft& d, v1::Draft* proto) {
  proto->set_draft_id(d.draft_id);
  proto->set_question(d.question);
  proto->mutable_variants()->Assign(d.variants.begin(), d.variants.end());
  proto->set_answer(d.answer);
  proto->mutable_answer_alternatives()->Assign(d.answer_alternatives.begin(), d.answer_alternatives.end());
  proto->set_frequency(d.frequency);
  proto->mutable_message_ids()->Assign(d.message_ids.begin(), d.message_ids.end());
  proto->mutable_conversation_ids()->Assign(d.conversation_ids.begin(), d.conversation_ids.end());
  proto->set_covered_by(d.covered_by.value_or(""));
  proto->set_covered_score(d.covered_score);
  proto->set_conflicting_answers(d.conflicting_answers);
  proto->set_first_seen(d.first_seen);
  proto->set_last_seen(d.last_seen);
  proto->set_trend(d.trend);
}

v1::DraftStatus ToProto(DraftStatus status) {
  switch (status) {
    case DraftStatus::kNew: return v1::DRAFT_STATUS_NEW;
    case DraftStatus::kInReview: return v1::DRAFT_STATUS_IN_REVIEW;
    case DraftStatus::kApproved: return v1::DRAFT_STATUS_APPROVED;
    case DraftStatus::kRejected: return v1::DRAFT_STATUS_REJECTED;
    case DraftStatus::kMerged: return v1::DRAFT_STATUS_MERGED;
  }
  return v1::DRAFT_STATUS_UNSPECIFIED;
}

void ToProto(const StoredDraft& stored, v1::Draft* proto) {
  ToProto(stored.draft, proto);
  proto->set_status(ToProto(stored.status));
  proto->set_reject_reason(stored.reject_reason);
  proto->set_create_time_ms(stored.created_at_ms);
  proto->set_update_time_ms(stored.updated_at_ms);
  proto->set_runs(stored.runs);
  proto->set_message_count(stored.message_count);
  proto->set_conversation_count(stored.conversation_count);
}

}  // namespace zhiku
