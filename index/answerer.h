// Answer (for chatbots): turns hybrid retrieval into a decision (answer,
// suggest 2-3 likely questions, hand off to a human) with a calibrated
// confidence, the probability that the top entry is the right one.
//
// Calibration is learned on the knowledge base itself (CalibrateOnHeldOut):
// some variants of the entries are held out as queries whose right entry is
// known, and some whole entries are held out so that their phrasings play
// out-of-scope queries (no right entry exists). A fresh keyword index and a
// fresh embedding model are built without them, every held-out query is
// retrieved, and a logistic model (calibration.h) maps the retrieval
// features (ConfidenceFeatures in hybrid.h) to "the top entry is right".
// Its out-of-fold predictions give the expected calibration error and the
// confidence thresholds that reach a target precision.
#ifndef ZHIKU_INDEX_ANSWERER_H_
#define ZHIKU_INDEX_ANSWERER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "index/calibration.h"
#include "index/hybrid.h"
#include "index/snapshot.h"
#include "index/text_normalizer.h"

namespace zhiku {

struct AnswerCalibration {
  // Null when the knowledge base cannot be calibrated (e.g. one phrasing per
  // entry: nothing to hold out); Confidence() then falls back to a fixed
  // curve and says so.
  std::optional<ConfidenceModel> model;
  // Out-of-fold confidences of the held-out queries and whether the top
  // entry was right (false for the out-of-scope ones), for thresholds.
  std::vector<double> confidences;
  std::vector<bool> correct;
  double ece = -1;          // expected calibration error (10 bins), -1 = unknown
  int positives = 0;        // held-out variants
  int negatives = 0;        // held-out out-of-scope phrasings
  double top1_held_out = 0; // share of positives whose top entry was right
  // The semantic ratio with the best held-out top-1 (SelectSemanticRatio),
  // at which the model above was fitted; -1 = not chosen (no vector leg, or
  // too few positives). Requests without a ratio use it when the server's
  // ratio is "auto".
  double semantic_ratio = -1;
  std::vector<std::pair<double, double>> ratio_top1;  // (ratio, held-out top-1) tried
  std::string note;
};

// The probability that the candidate at `rank` of `outcome` is right.
double Confidence(const AnswerCalibration* calibration, const std::vector<double>& features);

// Confidence of an uncalibrated knowledge base: a fixed logistic curve of the
// features (strong, unambiguous agreement of both legs -> high).
double UncalibratedConfidence(const std::vector<double>& features);

struct AnswerThresholdRequest {
  std::optional<double> answer_precision;
  std::optional<double> answer_confidence;
  std::optional<double> suggest_confidence;
};

struct AnswerThresholdDefaults {
  double answer_precision = 0.9;
  double suggest_confidence = 0.25;
  // Used when there is no calibration set to read a precision from.
  double uncalibrated_answer_confidence = 0.7;
};

struct ResolvedThresholds {
  double answer_confidence = 1;
  double suggest_confidence = 1;
};

// Turns the request's thresholds (or the defaults) into confidences: a
// target precision becomes the lowest confidence at which the calibration
// set's answered queries reached it (1.0 = never answer, if none did).
ResolvedThresholds ResolveThresholds(const AnswerCalibration* calibration,
                                     const AnswerThresholdRequest& request,
                                     const AnswerThresholdDefaults& defaults);

struct HeldOutOptions {
  double out_of_scope_entry_share = 0.1;   // whole entries held out as out-of-scope
  int max_out_of_scope_queries = 600;
  int max_positive_queries = 3000;
  double positive_share = 0.1;             // of each entry's variants
  // Fewer in-scope entries with 2+ variants than this: single variants are
  // held out too (the entry keeps its question only).
  int min_rich_entries = 200;
  int max_entries = 3000;                  // larger KBs calibrate on a sample
  uint64_t seed = 17;
};

// Trains what the knowledge base would have (keyword index in `scratch_dir`,
// embedder through `make_leg`) without the held-out queries, retrieves each,
// and fits the confidence model. `make_leg` builds the vector leg of a
// snapshot (training a model on it), or returns null for keyword only.
absl::StatusOr<std::shared_ptr<const AnswerCalibration>> CalibrateOnHeldOut(
    const Snapshot& snapshot, const TextNormalizer& normalizer, const KeywordIndexOptions& keyword,
    const FusionOptions& fusion,
    const std::function<absl::StatusOr<std::shared_ptr<const VectorLeg>>(const Snapshot&)>& make_leg,
    const std::string& scratch_dir, const HeldOutOptions& options = {});

// The ratio in {0, 0.1, ..., 1} whose fusion (method of `fusion`) ranks the
// expected entry first for the most `queries` (ties: the ratio nearest 0.5,
// then the smaller), each query given as its two legs' candidates
// (Retrieve at a ratio strictly between 0 and 1, deep enough for both legs).
// Fills `tried` with (ratio, top-1) when not null.
double SelectSemanticRatio(const std::vector<std::vector<FusedCandidate>>& candidates,
                           const std::vector<std::string>& expected, const FusionOptions& fusion,
                           std::vector<std::pair<double, double>>* tried = nullptr);

// JSON form of a calibration (model, out-of-fold table, statistics) and
// back; DataLoss for malformed input.
std::string CalibrationToJson(const AnswerCalibration& calibration);
absl::StatusOr<std::shared_ptr<const AnswerCalibration>> CalibrationFromJson(absl::string_view json);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_ANSWERER_H_
