#include "index/answerer.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <utility>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "index/keyword_index.h"
#include "index/locale_preference.h"
#include "index/status_macros.h"
#include "index/vector_leg.h"

namespace zhiku {

double UncalibratedConfidence(const std::vector<double>& f) {
  // A hand-set curve over the same features: used only until a calibration
  // exists. Agreement of both legs, a clear margin and high term coverage
  // push it up.
  if (f.size() < 10) return 0;
  const double z = -3.0 + 2.0 * f[6] + 3.0 * f[7] + 2.0 * f[5] + (f[9] > 0 ? 3.0 * f[0] + 4.0 * f[1] : 1.0 * f[4]);
  return 1.0 / (1.0 + std::exp(-z));
}

double Confidence(const AnswerCalibration* calibration, const std::vector<double>& features) {
  if (calibration != nullptr && calibration->model) return calibration->model->Predict(features);
  return UncalibratedConfidence(features);
}

ResolvedThresholds ResolveThresholds(const AnswerCalibration* calibration, const AnswerThresholdRequest& request,
                                     const AnswerThresholdDefaults& defaults) {
  ResolvedThresholds out;
  if (request.answer_confidence) {
    out.answer_confidence = *request.answer_confidence;
  } else if (calibration != nullptr && calibration->model && !calibration->confidences.empty()) {
    const double target = request.answer_precision.value_or(defaults.answer_precision);
    absl::StatusOr<PrecisionThreshold> t =
        ThresholdForPrecision(calibration->confidences, calibration->correct, target);
    out.answer_confidence = t.ok() && t->reached ? t->threshold : 1.0;
  } else {
    out.answer_confidence = defaults.uncalibrated_answer_confidence;
  }
  out.suggest_confidence = std::min(out.answer_confidence,
                                    request.suggest_confidence.value_or(defaults.suggest_confidence));
  return out;
}

double SelectSemanticRatio(const std::vector<std::vector<FusedCandidate>>& candidates,
                           const std::vector<std::string>& expected, const FusionOptions& fusion,
                           std::vector<std::pair<double, double>>* tried) {
  // Each query's legs, as Fuse takes them.
  std::vector<std::vector<KeywordHit>> keyword(candidates.size());
  std::vector<std::vector<VectorLegHit>> vector(candidates.size());
  for (size_t q = 0; q < candidates.size(); ++q) {
    std::vector<const FusedCandidate*> by_keyword, by_vector;
    for (const FusedCandidate& c : candidates[q]) {
      if (c.keyword_rank > 0) by_keyword.push_back(&c);
      if (c.vector_rank > 0) by_vector.push_back(&c);
    }
    std::sort(by_keyword.begin(), by_keyword.end(),
              [](const FusedCandidate* a, const FusedCandidate* b) { return a->keyword_rank < b->keyword_rank; });
    std::sort(by_vector.begin(), by_vector.end(),
              [](const FusedCandidate* a, const FusedCandidate* b) { return a->vector_rank < b->vector_rank; });
    for (const FusedCandidate* c : by_keyword) keyword[q].push_back({c->entry_id, c->keyword_score, c->keyword_phrasing});
    for (const FusedCandidate* c : by_vector) {
      vector[q].push_back({c->entry_id, static_cast<float>(c->vector_score), c->vector_phrasing});
    }
  }
  double best_ratio = fusion.semantic_ratio;
  int best_hits = -1;
  if (tried != nullptr) tried->clear();
  for (int step = 0; step <= 10; ++step) {
    FusionOptions options = fusion;
    options.semantic_ratio = step / 10.0;
    int hits = 0;
    for (size_t q = 0; q < candidates.size(); ++q) {
      const std::vector<FusedCandidate> fused = Fuse(keyword[q], vector[q], options);
      if (!fused.empty() && fused[0].entry_id == expected[q]) ++hits;
    }
    if (tried != nullptr) {
      tried->emplace_back(options.semantic_ratio,
                          candidates.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(candidates.size()));
    }
    const bool nearer = std::abs(options.semantic_ratio - 0.5) < std::abs(best_ratio - 0.5) - 1e-9;
    if (hits > best_hits || (hits == best_hits && nearer)) {
      best_hits = hits;
      best_ratio = options.semantic_ratio;
    }
  }
  return best_ratio;
}

namespace {

struct HeldOutQuery {
  std::string text;
  std::string expected_id;  // empty = out of scope
};

}  // namespace

absl::StatusOr<std::shared_ptr<const AnswerCalibration>> CalibrateOnHeldOut(
    const Snapshot& snapshot, const TextNormalizer& normalizer, const KeywordIndexOptions& keyword_options,
    const FusionOptions& fusion,
    const std::function<absl::StatusOr<std::shared_ptr<const VectorLeg>>(const Snapshot&)>& make_leg,
    const std::string& scratch_dir, const HeldOutOptions& options) {
  std::mt19937_64 rng(options.seed);
  std::vector<std::string> ids;
  for (const auto& [id, e] : snapshot.entries) ids.push_back(id);
  std::shuffle(ids.begin(), ids.end(), rng);
  if (static_cast<int>(ids.size()) > options.max_entries) ids.resize(options.max_entries);
  auto calibration = std::make_shared<AnswerCalibration>();
  if (ids.size() < 4) {
    calibration->note = "too few entries to calibrate; confidence is uncalibrated";
    return calibration;
  }
  const size_t oos_entries = std::max<size_t>(1, static_cast<size_t>(ids.size() * options.out_of_scope_entry_share));
  Snapshot reduced;
  std::vector<HeldOutQuery> queries;
  int oos_queries = 0;
  for (size_t i = 0; i < oos_entries; ++i) {
    const IndexedEntry& e = *snapshot.entries.at(ids[i]);
    const size_t per_entry = std::max<size_t>(1, options.max_out_of_scope_queries / oos_entries);
    for (size_t p = 0; p < e.phrasing_count() && p < per_entry && oos_queries < options.max_out_of_scope_queries;
         ++p) {
      queries.push_back({e.phrasing(p), ""});
      ++oos_queries;
    }
  }
  const size_t in_scope = ids.size() - oos_entries;
  const size_t per_entry_cap = std::max<size_t>(1, options.max_positive_queries / std::max<size_t>(1, in_scope));
  // Entries keep at least one variant besides the question when enough
  // entries have two or more; a KB of mostly single-variant entries (lcqmc:
  // 1,009 of 1,317 have none, 297 one) lends its single variants instead, or
  // it could not be calibrated at all.
  size_t rich = 0;
  for (size_t i = oos_entries; i < ids.size(); ++i) rich += snapshot.entries.at(ids[i])->entry.variants.size() >= 2;
  const size_t min_variants = rich >= static_cast<size_t>(options.min_rich_entries) ? 2 : 1;
  for (size_t i = oos_entries; i < ids.size(); ++i) {
    Entry entry = snapshot.entries.at(ids[i])->entry;
    const size_t n = entry.variants.size();
    size_t hold = std::min(per_entry_cap, static_cast<size_t>(std::ceil(n * options.positive_share)));
    if (n < min_variants) hold = 0;
    std::vector<size_t> order(n);
    for (size_t k = 0; k < n; ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<bool> held(n, false);
    for (size_t k = 0; k < hold; ++k) held[order[k]] = true;
    std::vector<std::string> kept;
    for (size_t k = 0; k < n; ++k) {
      if (held[k]) {
        queries.push_back({entry.variants[k], entry.id});
      } else {
        kept.push_back(entry.variants[k]);
      }
    }
    entry.variants = std::move(kept);
    const std::string id = entry.id;  // the right side of = runs first
    reduced.entries[id] = MakeIndexedEntry(std::move(entry), normalizer);
  }
  calibration->negatives = oos_queries;
  calibration->positives = static_cast<int>(queries.size()) - oos_queries;
  if (calibration->positives < 20) {
    calibration->note = absl::StrCat("only ", calibration->positives,
                                     " held-out variants (entries need variants to hold out); confidence is uncalibrated");
    return calibration;
  }

  std::error_code ec;
  std::filesystem::remove_all(scratch_dir, ec);
  std::filesystem::create_directories(scratch_dir, ec);
  {
    ZHIKU_ASSIGN_OR_RETURN(std::unique_ptr<KeywordIndex> keyword,
                           KeywordIndex::Open(scratch_dir + "/keyword", keyword_options));
    for (const auto& [id, e] : reduced.entries) ZHIKU_RETURN_IF_ERROR(keyword->Put(*e));
    ZHIKU_RETURN_IF_ERROR(keyword->Commit(1, "calibration"));
    ZHIKU_ASSIGN_OR_RETURN(reduced.vectors, make_leg(reduced));

    const std::vector<std::string> locales = DistinctLocales(reduced.entries);
    auto request_for = [&](const HeldOutQuery& q, int depth, const FusionOptions& with) {
      RetrievalRequest request;
      request.normalized = normalizer.Normalize(q.text);
      request.tokens = Tokenize(request.normalized);
      request.depth = depth;
      request.fusion = with;
      return request;
    };
    // As Answer retrieves: among the entries in the message's language.
    auto retrieve = [&](const HeldOutQuery& q, const RetrievalRequest& request) {
      return RetrieveInMessageLanguage(*keyword, reduced, request, q.text, normalizer, locales);
    };
    // The ratio: the one that ranks the held-out variants best. Both legs
    // run once per query (at an inner ratio, deep), every ratio re-fuses.
    FusionOptions used = fusion;
    if (reduced.vectors != nullptr) {
      std::vector<std::vector<FusedCandidate>> legs;
      std::vector<std::string> expected;
      FusionOptions both = fusion;
      both.semantic_ratio = 0.5;
      for (const HeldOutQuery& q : queries) {
        if (q.expected_id.empty()) continue;
        const RetrievalRequest request = request_for(q, 60, both);
        ZHIKU_ASSIGN_OR_RETURN(RetrievalOutcome outcome, retrieve(q, request));
        legs.push_back(std::move(outcome.candidates));
        expected.push_back(q.expected_id);
      }
      used.semantic_ratio = SelectSemanticRatio(legs, expected, fusion, &calibration->ratio_top1);
      calibration->semantic_ratio = used.semantic_ratio;
    }
    std::vector<CalibrationExample> examples;
    examples.reserve(queries.size());
    int top1 = 0;
    for (const HeldOutQuery& q : queries) {
      const RetrievalRequest request = request_for(q, 10, used);
      ZHIKU_ASSIGN_OR_RETURN(RetrievalOutcome outcome, retrieve(q, request));
      if (outcome.candidates.empty()) continue;  // "no match": handed off without a model
      CalibrationExample ex;
      ex.features = ConfidenceFeatures(outcome, 0, request, reduced);
      ex.correct = !q.expected_id.empty() && outcome.candidates[0].entry_id == q.expected_id;
      if (ex.correct) ++top1;
      examples.push_back(std::move(ex));
    }
    calibration->top1_held_out = static_cast<double>(top1) / calibration->positives;
    FitOptions fit;
    fit.feature_names = ConfidenceFeatureNames();
    // Out-of-fold confidences (2-fold cross-fitting) measure the model on
    // queries it was not fitted on.
    std::vector<CalibrationExample> folds[2];
    for (size_t i = 0; i < examples.size(); ++i) folds[i % 2].push_back(examples[i]);
    std::vector<double> conf(examples.size());
    for (int f = 0; f < 2; ++f) {
      absl::StatusOr<ConfidenceModel> m = ConfidenceModel::Fit(folds[f], fit);
      if (!m.ok()) {
        calibration->note = absl::StrCat("calibration failed (", m.status().message(), "); confidence is uncalibrated");
        return calibration;
      }
      for (size_t i = 1 - f; i < examples.size(); i += 2) conf[i] = m->Predict(examples[i].features);
    }
    ZHIKU_ASSIGN_OR_RETURN(ConfidenceModel model, ConfidenceModel::Fit(examples, fit));
    calibration->model = std::move(model);
    calibration->confidences = conf;
    calibration->correct.reserve(examples.size());
    for (const CalibrationExample& ex : examples) calibration->correct.push_back(ex.correct);
    absl::StatusOr<double> ece = ExpectedCalibrationError(conf, calibration->correct);
    calibration->ece = ece.ok() ? *ece : -1;
  }
  std::filesystem::remove_all(scratch_dir, ec);
  return calibration;
}

std::string CalibrationToJson(const AnswerCalibration& c) {
  nlohmann::json j;
  j["format"] = 1;
  j["model"] = c.model ? nlohmann::json::parse(c.model->ToJson()) : nlohmann::json(nullptr);
  j["confidences"] = c.confidences;
  std::vector<int> correct(c.correct.begin(), c.correct.end());
  j["correct"] = correct;
  j["ece"] = c.ece;
  j["positives"] = c.positives;
  j["negatives"] = c.negatives;
  j["top1_held_out"] = c.top1_held_out;
  j["semantic_ratio"] = c.semantic_ratio;
  j["ratio_top1"] = c.ratio_top1;
  j["note"] = c.note;
  return j.dump();
}

absl::StatusOr<std::shared_ptr<const AnswerCalibration>> CalibrationFromJson(absl::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("format", 0) != 1) {
    return absl::DataLossError("calibration file is not valid");
  }
  auto c = std::make_shared<AnswerCalibration>();
  try {
    if (!j["model"].is_null()) {
      ZHIKU_ASSIGN_OR_RETURN(ConfidenceModel m, ConfidenceModel::FromJson(j["model"].dump()));
      c->model = std::move(m);
    }
    c->confidences = j.at("confidences").get<std::vector<double>>();
    for (int v : j.at("correct").get<std::vector<int>>()) c->correct.push_back(v != 0);
    c->ece = j.at("ece").get<double>();
    c->positives = j.at("positives").get<int>();
    c->negatives = j.at("negatives").get<int>();
    c->top1_held_out = j.at("top1_held_out").get<double>();
    // Written since the ratio is chosen per knowledge base; absent = none.
    c->semantic_ratio = j.value("semantic_ratio", -1.0);
    if (j.contains("ratio_top1")) c->ratio_top1 = j.at("ratio_top1").get<std::vector<std::pair<double, double>>>();
    c->note = j.at("note").get<std::string>();
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("calibration file is not valid: ", e.what()));
  }
  if (c->confidences.size() != c->correct.size()) return absl::DataLossError("calibration table sizes differ");
  return std::shared_ptr<const AnswerCalibration>(std::move(c));
}

}  // namespace zhiku
