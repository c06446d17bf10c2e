// Confidence calibration for the chatbot's answer decision: should the bot
// answer from the knowledge base, or hand over / ask again?
//
// ConfidenceModel turns a handful of retrieval signals (top score, score gap,
// keyword/vector agreement, ...) into P(the top answer is correct), fitted by
// L2-regularised logistic regression on labelled examples. The evaluation
// helpers measure how well such probabilities are calibrated (expected
// calibration error, reliability table) and choose the answer threshold for a
// target precision.
//
// Everything here is pure computation: no I/O, no global state.
#ifndef ZHIKU_INDEX_CALIBRATION_H_
#define ZHIKU_INDEX_CALIBRATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zhiku {

// One labelled decision: the features the model sees and whether the answer
// the bot would have given was correct.
struct CalibrationExample {
  std::vector<double> features;
  bool correct = false;
};

struct FitOptions {
  // Strength of the penalty (l2 / 2) * ||w||^2 on the weights of the
  // standardised features (never on the bias), added to the summed log-loss.
  // Because the loss is a sum over examples, the penalty matters less as the
  // training set grows (l2 = 1 on 10,000 examples barely shrinks anything).
  // > 0 and finite: the penalty makes the loss strictly convex, so the fit
  // has one finite solution even when the features separate the classes
  // (where unpenalised maximum likelihood would push weights to infinity).
  double l2 = 1.0;
  // Newton iterations, in [1, 1000]. Fits usually converge in fewer than 10.
  int max_iterations = 100;
  // Converged when the decrease of the penalised loss that the next Newton
  // step predicts (half the squared Newton decrement) is at most
  // tolerance * (1 + loss). In (0, 1e-3].
  double tolerance = 1e-12;
  // One name per feature, kept in the model and its JSON for readability.
  // Empty: the names become "f0", "f1", ... Names are 1-64 characters from
  // [A-Za-z0-9_.-] and unique.
  std::vector<std::string> feature_names;
};

// A logistic regression over standardised features:
//   P(correct | x) = sigmoid(bias + sum_j weight_j * (x_j - mean_j) / scale_j)
// with mean_j and scale_j (population standard deviation) taken from the
// training set. A value type: copyable, immutable after construction, and all
// methods are thread-safe.
class ConfidenceModel {
 public:
  // Fits the model by Newton's method (iteratively reweighted least squares)
  // with a backtracking line search (Boyd & Vandenberghe 2004, 9.5) on the
  // penalised log-loss, which is strictly convex, so there is one optimum and
  // the starting point does not matter. Deterministic:
  // the same examples in the same order and the same options give bit-for-bit
  // the same model. A feature that is constant over the training set gets
  // scale 1 and weight 0 (it carries no information).
  //
  // Returns InvalidArgument, saying what to fix, if `examples` is empty, if
  // the examples have different numbers of features or more than 64, if a
  // feature is NaN, infinite or too large to standardise (|x| > 1e150), if
  // all examples have the same label (the model needs both correct and
  // incorrect examples), if `options` is out of range, or if Newton's method
  // has not converged after options.max_iterations (raise it, or l2).
  //
  // Cost: O(iterations * n * d^2) time, O(n * d) memory for n examples of d
  // features.
  static absl::StatusOr<ConfidenceModel> Fit(const std::vector<CalibrationExample>& examples,
                                             const FitOptions& options);

  // P(correct) in [0, 1] for `features`, never NaN. A NaN or infinite feature
  // is treated as missing: it counts as the training mean (contributes
  // nothing). `features.size()` must equal num_features(); if it does not (a
  // caller bug), returns 0, so that the bot does not answer.
  double Predict(const std::vector<double>& features) const;

  int num_features() const { return static_cast<int>(mean_.size()); }
  const std::vector<std::string>& feature_names() const { return feature_names_; }

  // The model in the units of the raw features, for reports:
  // logit = intercept() + sum_j coefficients()[j] * x_j.
  double intercept() const;
  std::vector<double> coefficients() const;

  // The model as JSON (format "zhiku.confidence_model", version 1):
  //   {"format": "zhiku.confidence_model", "version": 1, "bias": b,
  //    "features": [{"name": ..., "mean": ..., "scale": ..., "weight": ...}]}
  // with weights in standardised units. Numbers are written so that they
  // read back exactly: FromJson(ToJson()) predicts bit-for-bit the same.
  std::string ToJson() const;

  // Reads ToJson() output. Returns DataLoss, naming the problem, if `json` is
  // not valid JSON, is not format "zhiku.confidence_model" version 1, lacks a
  // field or has an unknown one, has a field of the wrong type, a non-finite
  // number, a scale <= 0, or an invalid or duplicate feature name.
  static absl::StatusOr<ConfidenceModel> FromJson(absl::string_view json);

 private:
  ConfidenceModel(std::vector<std::string> feature_names, std::vector<double> mean,
                  std::vector<double> scale, std::vector<double> weight, double bias);

  // Constant after construction; all of size num_features().
  std::vector<std::string> feature_names_;
  std::vector<double> mean_;
  std::vector<double> scale_;   // > 0
  std::vector<double> weight_;  // per standardised feature
  double bias_ = 0;
};

// ---- Evaluating calibrated confidences.
//
// The functions below take parallel arrays: confidences[i] is the predicted
// P(correct) of example i, correct[i] its label. They return InvalidArgument
// if the sizes differ or a confidence is NaN or outside [0, 1]. All are
// thread-safe.

// One row of a reliability diagram. Bin i of B covers [i / B, (i + 1) / B);
// the last bin also holds confidence 1. An empty bin has count 0 and
// mean_confidence = accuracy = 0.
struct ReliabilityBin {
  double lo = 0;
  double hi = 0;
  double mean_confidence = 0;  // mean confidence of the examples in the bin
  double accuracy = 0;         // share of them that are correct
  int count = 0;
};

// The reliability table with `bins` equal-width bins over [0, 1], in order
// (all `bins` rows, empty ones included). Empty input gives all-empty bins.
// InvalidArgument also if `bins` is outside [1, 1000].
absl::StatusOr<std::vector<ReliabilityBin>> ReliabilityTable(
    const std::vector<double>& confidences, const std::vector<bool>& correct, int bins = 10);

// Expected calibration error (Naeini et al. 2015; Guo et al. 2017) with
// `bins` equal-width bins:
//   ECE = sum over bins b of (count_b / n) * |accuracy_b - mean_confidence_b|,
// i.e. the example-weighted mean gap between how often the model is right and
// how sure it says it is. 0 is perfect calibration; 1 the worst. Equal-width
// binning sees only the gap within each bin, and with few examples per bin
// sampling noise alone makes ECE > 0. InvalidArgument also if the input is
// empty (ECE is undefined) or `bins` is outside [1, 1000].
absl::StatusOr<double> ExpectedCalibrationError(const std::vector<double>& confidences,
                                                const std::vector<bool>& correct,
                                                int bins = 10);

// An answer threshold: answer when confidence >= threshold.
struct PrecisionThreshold {
  // False when no threshold reaches the target precision with enough
  // support: answer nothing. threshold is then 1.0, but models can output
  // exactly 1.0, so test `reached` (or use Accepts()), not the threshold.
  bool reached = false;
  double threshold = 1.0;
  double precision = 0;    // share correct among examples with confidence >= threshold
  double answer_rate = 0;  // share of all examples with confidence >= threshold
  int support = 0;         // number of examples with confidence >= threshold

  // Whether to answer at `confidence` under this threshold.
  bool Accepts(double confidence) const { return reached && confidence >= threshold; }
};

// The threshold that answers as many examples as possible while the answered
// ones keep precision >= `target_precision`.
//
// Rule: candidate thresholds are the distinct confidences in the input (so
// tied examples are answered together, never split). For a candidate t let
// S(t) = {i : confidences[i] >= t}. The result is the lowest candidate t with
// |S(t)| >= `min_support` and precision(S(t)) >= target_precision. The
// precision of the answered set is what users experience, so a dip of the
// curve at higher thresholds (a few confident mistakes at the top) does not
// rule out a lower threshold whose answered set as a whole meets the target;
// `min_support` keeps tiny, noisy sets at the top from qualifying. Precision
// is an estimate from the given sample: with n answered examples its
// standard error is about sqrt(p(1 - p) / n), so choose min_support (and a
// target with some margin) accordingly.
//
// If no candidate qualifies (including empty input or fewer than
// `min_support` examples), returns reached = false, threshold 1.0,
// precision = answer_rate = support = 0. InvalidArgument also if
// `target_precision` is not in the open interval (0, 1) or `min_support` < 1.
// O(n log n).
absl::StatusOr<PrecisionThreshold> ThresholdForPrecision(const std::vector<double>& confidences,
                                                         const std::vector<bool>& correct,
                                                         double target_precision,
                                                         int min_support = 20);

}  // namespace zhiku

#endif  // ZHIKU_INDEX_CALIBRATION_H_
