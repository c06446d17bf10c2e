#include "index/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "index/status_macros.h"
#include "nlohmann/json.hpp"

namespace zhiku {
namespace {

constexpr size_t kMaxFeatures = 64;
constexpr size_t kMaxFeatureNameLength = 64;
// Beyond this, sums of squares over a training set can overflow.
constexpr double kMaxAbsFeature = 1e150;
constexpr int kMaxIterations = 1000;
constexpr int kMaxBins = 1000;
constexpr char kFormat[] = "zhiku.confidence_model";
constexpr int kFormatVersion = 1;

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + e^z) without overflow for large z.
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

bool IsValidFeatureName(absl::string_view name) {
  if (name.empty() || name.size() > kMaxFeatureNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
}

absl::Status ValidateFeatureNames(const std::vector<std::string>& names) {
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t j = 0; j < names.size(); ++j) {
    if (!IsValidFeatureName(names[j])) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature name ", j, " is invalid: names are 1-", kMaxFeatureNameLength,
                       " characters from [A-Za-z0-9_.-]"));
    }
    if (!seen.insert(names[j]).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature name \"", names[j], "\" is used twice; names must be unique"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateFitOptions(const FitOptions& options, size_t num_features) {
  if (!(options.l2 > 0) || !std::isfinite(options.l2)) {
    return absl::InvalidArgumentError(
        absl::StrCat("FitOptions::l2 is ", options.l2, "; it must be finite and > 0"));
  }
  if (options.max_iterations < 1 || options.max_iterations > kMaxIterations) {
    return absl::InvalidArgumentError(absl::StrCat("FitOptions::max_iterations is ",
                                                   options.max_iterations, "; it must be in [1, ",
                                                   kMaxIterations, "]"));
  }
  if (!(options.tolerance > 0 && options.tolerance <= 1e-3)) {
    return absl::InvalidArgumentError(absl::StrCat("FitOptions::tolerance is ", options.tolerance,
                                                   "; it must be in (0, 1e-3]"));
  }
  if (!options.feature_names.empty() && options.feature_names.size() != num_features) {
    return absl::InvalidArgumentError(
        absl::StrCat("FitOptions::feature_names has ", options.feature_names.size(),
                     " names but the examples have ", num_features, " features"));
  }
  return ValidateFeatureNames(options.feature_names);
}

absl::Status ValidateExamples(const std::vector<CalibrationExample>& examples) {
  if (examples.empty()) {
    return absl::InvalidArgumentError("no calibration examples; Fit needs labelled examples");
  }
  const size_t d = examples[0].features.size();
  if (d > kMaxFeatures) {
    return absl::InvalidArgumentError(
        absl::StrCat("examples have ", d, " features; the limit is ", kMaxFeatures));
  }
  size_t num_correct = 0;
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::vector<double>& x = examples[i].features;
    if (x.size() != d) {
      return absl::InvalidArgumentError(absl::StrCat("example ", i, " has ", x.size(),
                                                     " features but example 0 has ", d,
                                                     "; all examples need the same features"));
    }
    for (size_t j = 0; j < d; ++j) {
      if (!std::isfinite(x[j])) {
        return absl::InvalidArgumentError(absl::StrCat("feature ", j, " of example ", i, " is ",
                                                       x[j], "; features must be finite"));
      }
      if (std::abs(x[j]) > kMaxAbsFeature) {
        return absl::InvalidArgumentError(absl::StrCat("feature ", j, " of example ", i, " is ",
                                                       x[j], "; the limit is +-", kMaxAbsFeature));
      }
    }
    if (examples[i].correct) ++num_correct;
  }
  if (num_correct == 0 || num_correct == examples.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "all ", examples.size(), " examples are ", num_correct == 0 ? "incorrect" : "correct",
        "; calibration needs both correct and incorrect examples"));
  }
  return absl::OkStatus();
}

// Solves a * x = b in place (b becomes x) for a symmetric positive definite
// m x m matrix `a` (row-major; only the lower triangle is read) by Cholesky
// decomposition. False if `a` is not numerically positive definite.
bool SolveSymmetricPositiveDefinite(std::vector<double> a, std::vector<double>& b) {
  const size_t m = b.size();
  for (size_t j = 0; j < m; ++j) {
    double diag = a[j * m + j];
    for (size_t k = 0; k < j; ++k) diag -= a[j * m + k] * a[j * m + k];
    if (!(diag > 0) || !std::isfinite(diag)) return false;
    const double l_jj = std::sqrt(diag);
    a[j * m + j] = l_jj;
    for (size_t i = j + 1; i < m; ++i) {
      double v = a[i * m + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = v / l_jj;
    }
  }
  for (size_t i = 0; i < m; ++i) {  // L y = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i * m + k] * b[k];
    b[i] /= a[i * m + i];
  }
  for (size_t i = m; i-- > 0;) {  // L^T x = y
    for (size_t k = i + 1; k < m; ++k) b[i] -= a[k * m + i] * b[k];
    b[i] /= a[i * m + i];
  }
  return true;
}

// The penalised loss in standardised coordinates. theta[0] is the bias,
// theta[1 + j] the weight of feature j; z is n x d, row-major.
class PenalisedLogLoss {
 public:
  PenalisedLogLoss(const std::vector<double>& z, const std::vector<CalibrationExample>& examples,
                   size_t d, double l2)
      : z_(z), examples_(examples), d_(d), l2_(l2) {}

  double Logit(const std::vector<double>& theta, size_t i) const {
    double logit = theta[0];
    for (size_t j = 0; j < d_; ++j) logit += theta[1 + j] * z_[i * d_ + j];
    return logit;
  }

  double Value(const std::vector<double>& theta) const {
    double loss = 0;
    for (size_t i = 0; i < examples_.size(); ++i) {
      const double logit = Logit(theta, i);
      loss += Softplus(logit) - (examples_[i].correct ? logit : 0.0);
    }
    for (size_t j = 0; j < d_; ++j) loss += 0.5 * l2_ * theta[1 + j] * theta[1 + j];
    return loss;
  }

  // Gradient and Hessian (m x m, m = d + 1, row-major, lower triangle only).
  void Derivatives(const std::vector<double>& theta, std::vector<double>& gradient,
                   std::vector<double>& hessian) const {
    const size_t m = d_ + 1;
    std::fill(gradient.begin(), gradient.end(), 0.0);
    std::fill(hessian.begin(), hessian.end(), 0.0);
    for (size_t i = 0; i < examples_.size(); ++i) {
      const double p = Sigmoid(Logit(theta, i));
      const double residual = p - (examples_[i].correct ? 1.0 : 0.0);
      const double w = p * (1.0 - p);
      const double* row = &z_[i * d_];
      gradient[0] += residual;
      hessian[0] += w;
      for (size_t j = 0; j < d_; ++j) {
        gradient[1 + j] += residual * row[j];
        const double wz = w * row[j];
        hessian[(1 + j) * m] += wz;
        for (size_t k = 0; k <= j; ++k) hessian[(1 + j) * m + 1 + k] += wz * row[k];
      }
    }
    for (size_t j = 0; j < d_; ++j) {
      gradient[1 + j] += l2_ * theta[1 + j];
      hessian[(1 + j) * m + 1 + j] += l2_;
    }
  }

 private:
  const std::vector<double>& z_;
  const std::vector<CalibrationExample>& examples_;
  const size_t d_;
  const double l2_;
};

absl::Status ValidateScored(const std::vector<double>& confidences,
                            const std::vector<bool>& correct) {
  if (confidences.size() != correct.size()) {
    return absl::InvalidArgumentError(absl::StrCat("there are ", confidences.size(),
                                                   " confidences but ", correct.size(),
                                                   " labels; they must be parallel arrays"));
  }
  for (size_t i = 0; i < confidences.size(); ++i) {
    if (!(confidences[i] >= 0 && confidences[i] <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat("confidence ", i, " is ", confidences[i],
                                                     "; confidences must be in [0, 1]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBins(int bins) {
  if (bins < 1 || bins > kMaxBins) {
    return absl::InvalidArgumentError(
        absl::StrCat("bins is ", bins, "; it must be in [1, ", kMaxBins, "]"));
  }
  return absl::OkStatus();
}

// ---- JSON reading. nlohmann exceptions stop in this file.

using Json = nlohmann::json;

absl::Status Corrupt(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("confidence model JSON: ", what));
}

absl::Status CheckKeys(const Json& object, absl::string_view where,
                       std::initializer_list<absl::string_view> keys) {
  for (const auto& item : object.items()) {
    if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
      return Corrupt(absl::StrCat(where, " has the unknown field \"", item.key(), "\""));
    }
  }
  for (absl::string_view key : keys) {
    if (!object.contains(std::string(key))) {
      return Corrupt(absl::StrCat(where, " lacks the field \"", key, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<double> ReadFinite(const Json& object, absl::string_view where,
                                  absl::string_view key) {
  const Json& value = object.at(std::string(key));
  if (!value.is_number()) {
    return Corrupt(absl::StrCat(where, ".", key, " must be a number, not ", value.type_name()));
  }
  const double number = value.get<double>();
  if (!std::isfinite(number)) return Corrupt(absl::StrCat(where, ".", key, " is not finite"));
  return number;
}

}  // namespace

ConfidenceModel::ConfidenceModel(std::vector<std::string> feature_names, std::vector<double> mean,
                                 std::vector<double> scale, std::vector<double> weight,
                                 double bias)
    : feature_names_(std::move(feature_names)),
      mean_(std::move(mean)),
      scale_(std::move(scale)),
      weight_(std::move(weight)),
      bias_(bias) {}

absl::StatusOr<ConfidenceModel> ConfidenceModel::Fit(
    const std::vector<CalibrationExample>& examples, const FitOptions& options) {
  ZHIKU_RETURN_IF_ERROR(ValidateExamples(examples));
  const size_t n = examples.size();
  const size_t d = examples[0].features.size();
  ZHIKU_RETURN_IF_ERROR(ValidateFitOptions(options, d));

  std::vector<double> mean(d, 0.0);
  std::vector<double> scale(d, 1.0);
  std::vector<bool> constant(d, true);
  for (size_t j = 0; j < d; ++j) {
    const double first = examples[0].features[j];
    double sum = 0;
    for (const CalibrationExample& e : examples) {
      sum += e.features[j];
      if (e.features[j] != first) constant[j] = false;
    }
    if (constant[j]) {
      // Exactly: a computed mean could differ from the value by rounding and
      // give the feature a tiny spurious variance.
      mean[j] = first;
      continue;
    }
    mean[j] = sum / static_cast<double>(n);
    double squares = 0;
    for (const CalibrationExample& e : examples) {
      squares += (e.features[j] - mean[j]) * (e.features[j] - mean[j]);
    }
    scale[j] = std::sqrt(squares / static_cast<double>(n));
    if (!(scale[j] > 0) || !std::isfinite(scale[j])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature ", j, " varies too little or too much to standardise (standard deviation ",
          scale[j], "); rescale it"));
    }
  }
  std::vector<double> z(n * d);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < d; ++j) {
      z[i * d + j] = (examples[i].features[j] - mean[j]) / scale[j];
    }
  }

  // Start from the base rate with all weights 0.
  const size_t m = d + 1;
  std::vector<double> theta(m, 0.0);
  const double num_correct = static_cast<double>(
      std::count_if(examples.begin(), examples.end(), [](const auto& e) { return e.correct; }));
  theta[0] = std::log(num_correct / (static_cast<double>(n) - num_correct));

  const PenalisedLogLoss loss(z, examples, d, options.l2);
  std::vector<double> gradient(m);
  std::vector<double> hessian(m * m);
  std::vector<double> candidate(m);
  double value = loss.Value(theta);
  bool converged = false;
  for (int iteration = 0; iteration < options.max_iterations && !converged; ++iteration) {
    loss.Derivatives(theta, gradient, hessian);
    for (size_t j = 0; j < d; ++j) {
      if (!constant[j]) continue;
      // A constant feature's standardised column is 0: fix its weight at 0.
      for (size_t k = 0; k < m; ++k) hessian[(1 + j) * m + k] = hessian[k * m + 1 + j] = 0;
      hessian[(1 + j) * m + 1 + j] = 1;
      gradient[1 + j] = 0;
    }
    std::vector<double> step(m);
    for (size_t k = 0; k < m; ++k) step[k] = -gradient[k];
    if (!SolveSymmetricPositiveDefinite(hessian, step)) {
      return absl::InternalError(
          "the Hessian of the penalised log-loss is not positive definite; this is a bug");
    }
    double slope = 0;  // gradient . step = -(Newton decrement)^2
    for (size_t k = 0; k < m; ++k) slope += gradient[k] * step[k];
    converged = -0.5 * slope <= options.tolerance * (1.0 + value);

    // Backtracking (Armijo) line search; the full step is taken near the
    // optimum, where Newton's method converges quadratically.
    double t = 1.0;
    double candidate_value = 0;
    bool accepted = false;
    for (int halving = 0; halving < 60; ++halving, t *= 0.5) {
      for (size_t k = 0; k < m; ++k) candidate[k] = theta[k] + t * step[k];
      candidate_value = loss.Value(candidate);
      if (candidate_value <= value + 1e-4 * t * slope) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      // No representable decrease: theta is optimal to working precision
      // (the loss is a sum of n terms, so rounding can hide a predicted
      // decrease just above the tolerance).
      if (-0.5 * slope <= 1e-6 * (1.0 + value)) {
        converged = true;
        break;
      }
      return absl::InternalError(
          "the line search of the logistic regression fit found no decrease; this is a bug");
    }
    theta.swap(candidate);
    value = candidate_value;
  }
  if (!converged) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the logistic regression fit did not converge in ", options.max_iterations,
        " Newton iterations; raise FitOptions::max_iterations or FitOptions::l2"));
  }

  std::vector<std::string> names = options.feature_names;
  if (names.empty()) {
    for (size_t j = 0; j < d; ++j) names.push_back(absl::StrCat("f", j));
  }
  std::vector<double> weight(theta.begin() + 1, theta.end());
  return ConfidenceModel(std::move(names), std::move(mean), std::move(scale), std::move(weight),
                         theta[0]);
}

double ConfidenceModel::Predict(const std::vector<double>& features) const {
  if (features.size() != mean_.size()) return 0.0;
  double logit = bias_;
  for (size_t j = 0; j < features.size(); ++j) {
    if (!std::isfinite(features[j])) continue;
    logit += weight_[j] * ((features[j] - mean_[j]) / scale_[j]);
  }
  const double p = Sigmoid(logit);
  if (std::isnan(p)) return 0.0;  // the features' terms were +inf and -inf
  return std::clamp(p, 0.0, 1.0);
}

double ConfidenceModel::intercept() const {
  double intercept = bias_;
  for (size_t j = 0; j < mean_.size(); ++j) intercept -= weight_[j] * mean_[j] / scale_[j];
  return intercept;
}

std::vector<double> ConfidenceModel::coefficients() const {
  std::vector<double> coefficients(mean_.size());
  for (size_t j = 0; j < mean_.size(); ++j) coefficients[j] = weight_[j] / scale_[j];
  return coefficients;
}

std::string ConfidenceModel::ToJson() const {
  // ordered_json keeps the fields in the documented order for people reading
  // the file; nlohmann writes doubles in the shortest form that reads back
  // to the same bits.
  nlohmann::ordered_json features = nlohmann::ordered_json::array();
  for (size_t j = 0; j < mean_.size(); ++j) {
    features.push_back({{"name", feature_names_[j]},
                        {"mean", mean_[j]},
                        {"scale", scale_[j]},
                        {"weight", weight_[j]}});
  }
  nlohmann::ordered_json json = {{"format", kFormat},
                                 {"version", kFormatVersion},
                                 {"bias", bias_},
                                 {"features", std::move(features)}};
  return json.dump(2) + "\n";
}

absl::StatusOr<ConfidenceModel> ConfidenceModel::FromJson(absl::string_view text) {
  Json json;
  try {
    json = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    return Corrupt(absl::StrCat("not valid JSON (error at byte ", e.byte, ")"));
  } catch (const Json::exception& e) {
    return Corrupt(absl::StrCat("not valid JSON (nlohmann error ", e.id, ")"));
  }
  if (!json.is_object()) {
    return Corrupt(absl::StrCat("the top level must be an object, not ", json.type_name()));
  }
  ZHIKU_RETURN_IF_ERROR(CheckKeys(json, "the model", {"format", "version", "bias", "features"}));
  const Json& format = json.at("format");
  if (!format.is_string() || format.get<std::string>() != kFormat) {
    return Corrupt(absl::StrCat("format must be \"", kFormat, "\""));
  }
  const Json& version = json.at("version");
  if (!version.is_number_integer()) return Corrupt("version must be an integer");
  if (version.get<int64_t>() != kFormatVersion) {
    return Corrupt(absl::StrCat("version ", version.dump(), " is not supported; this build reads ",
                                "version ", kFormatVersion));
  }
  ZHIKU_ASSIGN_OR_RETURN(const double bias, ReadFinite(json, "the model", "bias"));
  const Json& features = json.at("features");
  if (!features.is_array()) {
    return Corrupt(absl::StrCat("features must be an array, not ", features.type_name()));
  }
  if (features.size() > kMaxFeatures) {
    return Corrupt(
        absl::StrCat("there are ", features.size(), " features; the limit is ", kMaxFeatures));
  }
  std::vector<std::string> names;
  std::vector<double> mean;
  std::vector<double> scale;
  std::vector<double> weight;
  for (size_t j = 0; j < features.size(); ++j) {
    const Json& feature = features[j];
    const std::string where = absl::StrCat("features[", j, "]");
    if (!feature.is_object()) {
      return Corrupt(absl::StrCat(where, " must be an object, not ", feature.type_name()));
    }
    ZHIKU_RETURN_IF_ERROR(CheckKeys(feature, where, {"name", "mean", "scale", "weight"}));
    const Json& name = feature.at("name");
    if (!name.is_string()) return Corrupt(absl::StrCat(where, ".name must be a string"));
    names.push_back(name.get<std::string>());
    ZHIKU_ASSIGN_OR_RETURN(const double m, ReadFinite(feature, where, "mean"));
    ZHIKU_ASSIGN_OR_RETURN(const double s, ReadFinite(feature, where, "scale"));
    ZHIKU_ASSIGN_OR_RETURN(const double w, ReadFinite(feature, where, "weight"));
    if (!(s > 0)) return Corrupt(absl::StrCat(where, ".scale must be > 0"));
    mean.push_back(m);
    scale.push_back(s);
    weight.push_back(w);
  }
  if (absl::Status names_ok = ValidateFeatureNames(names); !names_ok.ok()) {
    return Corrupt(names_ok.message());
  }
  return ConfidenceModel(std::move(names), std::move(mean), std::move(scale), std::move(weight),
                         bias);
}

absl::StatusOr<std::vector<ReliabilityBin>> ReliabilityTable(
    const std::vector<double>& confidences, const std::vector<bool>& correct, int bins) {
  ZHIKU_RETURN_IF_ERROR(ValidateScored(confidences, correct));
  ZHIKU_RETURN_IF_ERROR(ValidateBins(bins));
  std::vector<ReliabilityBin> table(static_cast<size_t>(bins));
  std::vector<double> confidence_sum(table.size(), 0.0);
  std::vector<int> correct_count(table.size(), 0);
  for (size_t i = 0; i < confidences.size(); ++i) {
    const size_t b =
        std::min(table.size() - 1, static_cast<size_t>(confidences[i] * static_cast<double>(bins)));
    ++table[b].count;
    confidence_sum[b] += confidences[i];
    if (correct[i]) ++correct_count[b];
  }
  for (size_t b = 0; b < table.size(); ++b) {
    ReliabilityBin& bin = table[b];
    bin.lo = static_cast<double>(b) / bins;
    bin.hi = static_cast<double>(b + 1) / bins;
    if (bin.count > 0) {
      bin.mean_confidence = confidence_sum[b] / bin.count;
      bin.accuracy = static_cast<double>(correct_count[b]) / bin.count;
    }
  }
  return table;
}

absl::StatusOr<double> ExpectedCalibrationError(const std::vector<double>& confidences,
                                                const std::vector<bool>& correct, int bins) {
  ZHIKU_ASSIGN_OR_RETURN(const std::vector<ReliabilityBin> table,
                         ReliabilityTable(confidences, correct, bins));
  if (confidences.empty()) {
    return absl::InvalidArgumentError(
        "no examples; the expected calibration error of an empty set is undefined");
  }
  double ece = 0;
  for (const ReliabilityBin& bin : table) {
    ece += bin.count * std::abs(bin.accuracy - bin.mean_confidence);
  }
  return ece / static_cast<double>(confidences.size());
}

absl::StatusOr<PrecisionThreshold> ThresholdForPrecision(const std::vector<double>& confidences,
                                                         const std::vector<bool>& correct,
                                                         double target_precision,
                                                         int min_support) {
  ZHIKU_RETURN_IF_ERROR(ValidateScored(confidences, correct));
  if (!(target_precision > 0 && target_precision < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target precision is ", target_precision, "; it must be in the open interval (0, 1)"));
  }
  if (min_support < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("min_support is ", min_support, "; it must be >= 1"));
  }
  std::vector<std::pair<double, bool>> scored(confidences.size());
  for (size_t i = 0; i < confidences.size(); ++i) scored[i] = {confidences[i], correct[i]};
  std::sort(scored.begin(), scored.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });

  PrecisionThreshold best;
  int answered = 0;
  int answered_correct = 0;
  for (size_t i = 0; i < scored.size();) {
    // Take the whole group of examples tied at this confidence.
    const double t = scored[i].first;
    for (; i < scored.size() && scored[i].first == t; ++i) {
      ++answered;
      if (scored[i].second) ++answered_correct;
    }
    // Division is correctly rounded, so 9 of 10 meets a target of 0.9.
    const double precision = static_cast<double>(answered_correct) / answered;
    if (answered >= min_support && precision >= target_precision) {
      best.reached = true;
      best.threshold = t;
      best.precision = precision;
      best.support = answered;
      best.answer_rate = static_cast<double>(answered) / static_cast<double>(scored.size());
    }
  }
  return best;
}

}  // namespace zhiku
