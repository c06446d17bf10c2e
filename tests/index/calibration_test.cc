#include "index/calibration.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::testing::HasSubstr;

// Random numbers from std::mt19937's raw output, whose sequence the standard
// fixes (std::uniform_real_distribution and std::normal_distribution are
// implementation-defined), so the data are the same with every library.
class Random {
 public:
  explicit Random(uint32_t seed) : engine_(seed) {}
  // In (0, 1).
  double Uniform() { return (static_cast<double>(engine_()) + 0.5) / 4294967296.0; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Box-Muller; one of each pair is used, for simplicity.
  double Normal(double mean, double sd) {
    const double u1 = Uniform();
    const double u2 = Uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  std::mt19937 engine_;
};

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// The model the synthetic data come from: features on different scales and
// with non-zero means, so that standardisation matters.
constexpr double kTrueIntercept = -1.0;
constexpr double kTrueCoefficients[] = {1.5, -0.3, 0.8};

std::vector<double> SyntheticFeatures(Random& random) {
  return {random.Normal(0, 1), random.Uniform(0, 10), random.Normal(5, 2)};
}

double TrueProbability(const std::vector<double>& x) {
  double logit = kTrueIntercept;
  for (size_t j = 0; j < x.size(); ++j) logit += kTrueCoefficients[j] * x[j];
  return Sigmoid(logit);
}

std::vector<CalibrationExample> SyntheticExamples(int n, uint32_t seed) {
  Random random(seed);
  std::vector<CalibrationExample> examples;
  for (int i = 0; i < n; ++i) {
    std::vector<double> x = SyntheticFeatures(random);
    const bool correct = random.Bernoulli(TrueProbability(x));
    examples.push_back({std::move(x), correct});
  }
  return examples;
}

FitOptions NamedOptions() {
  FitOptions options;
  options.feature_names = {"top_score", "score_gap", "vector_cosine"};
  return options;
}

uint64_t Bits(double x) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

// ---- Fit and Predict.

TEST(ConfidenceModel, RecoversKnownCoefficientsFromSyntheticData) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(SyntheticExamples(20000, 42), NamedOptions()));
  ASSERT_EQ(model.num_features(), 3);
  // The standard errors of the estimates are about 0.01-0.04 at n = 20,000.
  EXPECT_NEAR(model.intercept(), kTrueIntercept, 0.15);
  const std::vector<double> coefficients = model.coefficients();
  ASSERT_EQ(coefficients.size(), 3u);
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_NEAR(coefficients[j], kTrueCoefficients[j], 0.08) << "feature " << j;
  }
  Random random(7);
  for (int i = 0; i < 200; ++i) {
    const std::vector<double> x = SyntheticFeatures(random);
    const double p = model.Predict(x);
    EXPECT_NEAR(p, TrueProbability(x), 0.03) << "x = " << x[0] << ", " << x[1] << ", " << x[2];
  }
}

TEST(ConfidenceModel, FittedModelIsCalibratedOnHeldOutData) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(SyntheticExamples(20000, 1), FitOptions()));
  const std::vector<CalibrationExample> held_out = SyntheticExamples(20000, 2);
  std::vector<double> confidences;
  std::vector<bool> correct;
  for (const CalibrationExample& e : held_out) {
    confidences.push_back(model.Predict(e.features));
    correct.push_back(e.correct);
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(const double ece, ExpectedCalibrationError(confidences, correct));
  EXPECT_LT(ece, 0.02);
}

TEST(ConfidenceModel, FitIsDeterministic) {
  const std::vector<CalibrationExample> examples = SyntheticExamples(5000, 3);
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel a, ConfidenceModel::Fit(examples, FitOptions()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel b, ConfidenceModel::Fit(examples, FitOptions()));
  EXPECT_EQ(a.ToJson(), b.ToJson());
  EXPECT_EQ(Bits(a.intercept()), Bits(b.intercept()));
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_EQ(Bits(a.coefficients()[j]), Bits(b.coefficients()[j])) << "feature " << j;
  }
}

TEST(ConfidenceModel, PenaltyKeepsSeparableDataFinite) {
  // Feature 0 separates the classes perfectly: without a penalty the
  // maximum-likelihood weight would be infinite.
  std::vector<CalibrationExample> examples;
  for (int i = 0; i < 100; ++i) examples.push_back({{i / 100.0}, i >= 50});
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(examples, FitOptions()));
  EXPECT_TRUE(std::isfinite(model.coefficients()[0]));
  EXPECT_GT(model.coefficients()[0], 0);
  EXPECT_LT(model.Predict({0.1}), 0.1);
  EXPECT_GT(model.Predict({0.9}), 0.9);
  // Stronger penalty, flatter model.
  FitOptions strong;
  strong.l2 = 100;
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel flat, ConfidenceModel::Fit(examples, strong));
  EXPECT_LT(flat.coefficients()[0], model.coefficients()[0]);
}

TEST(ConfidenceModel, ConstantFeatureGetsZeroWeight) {
  std::vector<CalibrationExample> examples = SyntheticExamples(2000, 4);
  for (CalibrationExample& e : examples) e.features.push_back(0.1);  // 0.1 is inexact in binary
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(examples, FitOptions()));
  ASSERT_EQ(model.num_features(), 4);
  EXPECT_EQ(model.coefficients()[3], 0.0);
  // Whatever the constant feature says at prediction time is ignored.
  EXPECT_EQ(model.Predict({0.5, 2.0, 4.0, 0.1}), model.Predict({0.5, 2.0, 4.0, 1000.0}));
}

TEST(ConfidenceModel, WithoutFeaturesPredictsTheBaseRate) {
  std::vector<CalibrationExample> examples;
  for (int i = 0; i < 10; ++i) examples.push_back({{}, i < 3});
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(examples, FitOptions()));
  EXPECT_EQ(model.num_features(), 0);
  EXPECT_NEAR(model.Predict({}), 0.3, 1e-12);
}

TEST(ConfidenceModel, NamesFeaturesByIndexByDefault) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(SyntheticExamples(500, 5), FitOptions()));
  EXPECT_THAT(model.feature_names(), ::testing::ElementsAre("f0", "f1", "f2"));
}

TEST(ConfidenceModel, PredictIsAProbabilityForAnyInput) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(SyntheticExamples(2000, 6), FitOptions()));
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const std::vector<double>& x : std::vector<std::vector<double>>{
           {1e300, 0, 5}, {-1e300, 0, 5}, {1e300, -1e300, 1e300}, {nan, nan, nan},
           {inf, -inf, nan}, {0, 0, 0}}) {
    const double p = model.Predict(x);
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
  // A missing (non-finite) feature counts as its training mean.
  const std::vector<CalibrationExample> train = SyntheticExamples(2000, 6);
  double mean0 = 0;
  for (const CalibrationExample& e : train) mean0 += e.features[0];
  mean0 /= static_cast<double>(train.size());
  EXPECT_DOUBLE_EQ(model.Predict({nan, 3.0, 6.0}), model.Predict({mean0, 3.0, 6.0}));
  EXPECT_DOUBLE_EQ(model.Predict({inf, 3.0, 6.0}), model.Predict({mean0, 3.0, 6.0}));
  // The wrong number of features is a caller bug: never answer.
  EXPECT_EQ(model.Predict({1.0, 2.0}), 0.0);
  EXPECT_EQ(model.Predict({1.0, 2.0, 3.0, 4.0}), 0.0);
}

struct BadFitCase {
  std::string name;
  std::vector<CalibrationExample> examples;
  FitOptions options;
  std::string message;  // a substring of the error
};

TEST(ConfidenceModel, FitRejectsBadInputWithInvalidArgument) {
  const std::vector<CalibrationExample> good = {{{1.0}, true}, {{2.0}, false}, {{3.0}, true}};
  FitOptions defaults;
  const auto with = [&defaults](auto change) {
    FitOptions options = defaults;
    change(options);
    return options;
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<BadFitCase> cases = {
      {"empty", {}, defaults, "no calibration examples"},
      {"inconsistent sizes", {{{1.0}, true}, {{1.0, 2.0}, false}}, defaults,
       "example 1 has 2 features but example 0 has 1"},
      {"NaN feature", {{{1.0}, true}, {{nan}, false}}, defaults, "feature 0 of example 1 is nan"},
      {"infinite feature", {{{inf}, true}, {{1.0}, false}}, defaults, "must be finite"},
      // Finite but too large: sums of squares would overflow.
      {"huge feature", {{{1e200}, true}, {{1.0}, false}}, defaults, "the limit is"},
      {"all correct", {{{1.0}, true}, {{2.0}, true}}, defaults,
       "all 2 examples are correct; calibration needs both correct and incorrect examples"},
      {"all incorrect", {{{1.0}, false}}, defaults, "all 1 examples are incorrect"},
      {"too many features", {{std::vector<double>(65, 1.0), true}, {std::vector<double>(65, 2.0), false}},
       defaults, "65 features; the limit is 64"},
      // A penalty is required (separable data would have no finite optimum).
      {"l2 zero", good, with([](FitOptions& o) { o.l2 = 0; }), "l2 is 0"},
      {"l2 negative", good, with([](FitOptions& o) { o.l2 = -1; }), "l2 is -1"},
      {"l2 NaN", good, with([&nan](FitOptions& o) { o.l2 = nan; }), "l2 is nan"},
      {"l2 infinite", good, with([&inf](FitOptions& o) { o.l2 = inf; }), "l2 is inf"},
      {"no iterations", good, with([](FitOptions& o) { o.max_iterations = 0; }), "max_iterations"},
      {"too many iterations", good, with([](FitOptions& o) { o.max_iterations = 1001; }),
       "max_iterations"},
      {"zero tolerance", good, with([](FitOptions& o) { o.tolerance = 0; }), "tolerance"},
      {"loose tolerance", good, with([](FitOptions& o) { o.tolerance = 0.1; }), "tolerance"},
      {"too few names", good, with([](FitOptions& o) { o.feature_names = {"a", "b"}; }),
       "has 2 names but the examples have 1 features"},
      {"empty name", good, with([](FitOptions& o) { o.feature_names = {""}; }), "is invalid"},
      {"name with space", good, with([](FitOptions& o) { o.feature_names = {"top score"}; }),
       "is invalid"},
      {"duplicate names",
       {{{1.0, 2.0}, true}, {{2.0, 1.0}, false}},
       with([](FitOptions& o) { o.feature_names = {"x", "x"}; }),
       "\"x\" is used twice"},
      // One Newton step from the base rate cannot have converged.
      {"not converged", SyntheticExamples(1000, 8), with([](FitOptions& o) { o.max_iterations = 1; }),
       "did not converge in 1 Newton iterations"},
  };
  for (const BadFitCase& c : cases) {
    const absl::StatusOr<ConfidenceModel> model = ConfidenceModel::Fit(c.examples, c.options);
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(model.status().message(), HasSubstr(c.message)) << c.name;
  }
}

// ---- JSON.

TEST(ConfidenceModel, JsonRoundTripPredictsIdentically) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model,
                             ConfidenceModel::Fit(SyntheticExamples(3000, 9), NamedOptions()));
  const std::string json = model.ToJson();
  EXPECT_THAT(json, HasSubstr("\"format\": \"zhiku.confidence_model\""));
  EXPECT_THAT(json, HasSubstr("\"version\": 1"));
  EXPECT_THAT(json, HasSubstr("\"name\": \"vector_cosine\""));
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel read, ConfidenceModel::FromJson(json));
  EXPECT_EQ(read.feature_names(), model.feature_names());
  EXPECT_EQ(read.ToJson(), json);
  Random random(10);
  for (int i = 0; i < 500; ++i) {
    const std::vector<double> x = SyntheticFeatures(random);
    EXPECT_EQ(Bits(read.Predict(x)), Bits(model.Predict(x)));
  }
}

TEST(ConfidenceModel, FromJsonReadsHandWrittenModel) {
  // Integers where doubles are expected are fine; so is any key order.
  ZHIKU_ASSERT_OK_AND_ASSIGN(const ConfidenceModel model, ConfidenceModel::FromJson(R"({
    "features": [{"weight": 2, "scale": 0.5, "mean": 1, "name": "top_score"}],
    "bias": 0, "version": 1, "format": "zhiku.confidence_model"})"));
  EXPECT_EQ(model.num_features(), 1);
  EXPECT_EQ(model.Predict({1.0}), 0.5);                    // at the mean
  EXPECT_DOUBLE_EQ(model.Predict({1.5}), 1 / (1 + std::exp(-2.0)));  // one scale above
  EXPECT_DOUBLE_EQ(model.coefficients()[0], 4.0);
  EXPECT_DOUBLE_EQ(model.intercept(), -4.0);
}

TEST(ConfidenceModel, FromJsonRejectsMalformedInputWithDataLoss) {
  const std::string head = R"({"format": "zhiku.confidence_model", "version": 1, "bias": 0.5, )";
  const std::string feature = R"({"name": "x", "mean": 0, "scale": 1, "weight": 1})";
  struct Case {
    std::string json;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {"garbage", "not valid JSON"},
      // Truncated file.
      {head + R"("features": [)", "not valid JSON"},
      {"[1, 2]", "the top level must be an object"},
      {R"({"version": 1, "bias": 0, "features": []})", "lacks the field \"format\""},
      {R"({"format": "faiss", "version": 1, "bias": 0, "features": []})", "format must be"},
      // A newer writer.
      {R"({"format": "zhiku.confidence_model", "version": 2, "bias": 0, "features": []})",
       "version 2 is not supported"},
      {R"({"format": "zhiku.confidence_model", "version": "1", "bias": 0, "features": []})",
       "version must be an integer"},
      {head + R"("features": [], "extra": true})", "unknown field \"extra\""},
      {R"({"format": "zhiku.confidence_model", "version": 1, "bias": "high", "features": []})",
       "bias must be a number, not string"},
      // A number beyond the range of double.
      {R"({"format": "zhiku.confidence_model", "version": 1, "bias": 1e999, "features": []})",
       "not valid JSON"},
      {head + R"("features": {}})", "features must be an array"},
      {head + R"("features": [7]})", "features[0] must be an object"},
      {head + R"("features": [{"name": "x", "mean": 0, "scale": 1}]})",
       "features[0] lacks the field \"weight\""},
      {head + R"("features": [{"name": 3, "mean": 0, "scale": 1, "weight": 1}]})",
       "features[0].name must be a string"},
      {head + R"("features": [{"name": "x", "mean": null, "scale": 1, "weight": 1}]})",
       "features[0].mean must be a number, not null"},
      {head + R"("features": [{"name": "x", "mean": 0, "scale": 0, "weight": 1}]})",
       "scale must be > 0"},
      {head + R"("features": [{"name": "x", "mean": 0, "scale": -2, "weight": 1}]})",
       "scale must be > 0"},
      {head + R"("features": [{"name": "a b", "mean": 0, "scale": 1, "weight": 1}]})",
       "is invalid"},
      {head + R"("features": [)" + feature + ", " + feature + "]}", "\"x\" is used twice"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<ConfidenceModel> model = ConfidenceModel::FromJson(c.json);
    EXPECT_EQ(model.status().code(), absl::StatusCode::kDataLoss) << c.json;
    EXPECT_THAT(model.status().message(), HasSubstr(c.message)) << c.json;
  }
}

// ---- Reliability and expected calibration error.

TEST(ReliabilityTable, BinsByEqualWidth) {
  const std::vector<double> confidences = {0.0, 0.05, 0.3, 0.35, 0.99, 1.0};
  const std::vector<bool> correct = {false, true, false, true, true, true};
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::vector<ReliabilityBin> table,
                             ReliabilityTable(confidences, correct, 10));
  ASSERT_EQ(table.size(), 10u);
  // [0, 0.1): 0.0 and 0.05, one correct.
  EXPECT_EQ(table[0].count, 2);
  EXPECT_DOUBLE_EQ(table[0].lo, 0.0);
  EXPECT_DOUBLE_EQ(table[0].hi, 0.1);
  EXPECT_DOUBLE_EQ(table[0].mean_confidence, 0.025);
  EXPECT_DOUBLE_EQ(table[0].accuracy, 0.5);
  // 0.3 and 0.35 both fall in [0.3, 0.4).
  EXPECT_EQ(table[3].count, 2);
  EXPECT_DOUBLE_EQ(table[3].mean_confidence, 0.325);
  // Empty bins are all zero.
  EXPECT_EQ(table[5].count, 0);
  EXPECT_EQ(table[5].mean_confidence, 0.0);
  EXPECT_EQ(table[5].accuracy, 0.0);
  EXPECT_DOUBLE_EQ(table[5].lo, 0.5);
  // The last bin holds confidence 1.
  EXPECT_EQ(table[9].count, 2);
  EXPECT_DOUBLE_EQ(table[9].hi, 1.0);
  EXPECT_DOUBLE_EQ(table[9].accuracy, 1.0);
}

TEST(ReliabilityTable, EmptyInputGivesEmptyBins) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const std::vector<ReliabilityBin> table, ReliabilityTable({}, {}, 4));
  ASSERT_EQ(table.size(), 4u);
  for (const ReliabilityBin& bin : table) EXPECT_EQ(bin.count, 0);
}

TEST(ExpectedCalibrationError, MatchesHandComputedValue) {
  // Two bins. [0, 0.5): confidences 0.2, 0.4 (mean 0.3), 1 of 2 correct:
  // gap 0.2. [0.5, 1]: 0.6, 0.8, 1.0 (mean 0.8), 3 of 3 correct: gap 0.2.
  // ECE = 2/5 * 0.2 + 3/5 * 0.2 = 0.2.
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      const double ece,
      ExpectedCalibrationError({0.2, 0.4, 0.6, 0.8, 1.0}, {true, false, true, true, true}, 2));
  EXPECT_NEAR(ece, 0.2, 1e-12);
  // One bin: |4/5 - 0.6| = 0.2 as well.
  ZHIKU_ASSERT_OK_AND_ASSIGN(
      const double one_bin,
      ExpectedCalibrationError({0.2, 0.4, 0.6, 0.8, 1.0}, {true, false, true, true, true}, 1));
  EXPECT_NEAR(one_bin, 0.2, 1e-12);
}

TEST(ExpectedCalibrationError, NearZeroForCalibratedConfidences) {
  // correct ~ Bernoulli(confidence): calibrated by construction; what is
  // left is sampling noise (about 0.004 at 10,000 examples per bin).
  Random random(11);
  std::vector<double> confidences;
  std::vector<bool> correct;
  for (int i = 0; i < 100000; ++i) {
    confidences.push_back(random.Uniform());
    correct.push_back(random.Bernoulli(confidences.back()));
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(const double ece, ExpectedCalibrationError(confidences, correct));
  EXPECT_LT(ece, 0.01);
}

TEST(ExpectedCalibrationError, LargeForOverconfidentConfidences) {
  // correct ~ Bernoulli(c^2): the model says c but is right c^2 of the time.
  // ECE -> integral of (c - c^2) over [0, 1] = 1/6, less a little from
  // binning.
  Random random(12);
  std::vector<double> confidences;
  std::vector<bool> correct;
  for (int i = 0; i < 100000; ++i) {
    const double c = random.Uniform();
    confidences.push_back(c);
    correct.push_back(random.Bernoulli(c * c));
  }
  ZHIKU_ASSERT_OK_AND_ASSIGN(const double ece, ExpectedCalibrationError(confidences, correct));
  EXPECT_NEAR(ece, 1.0 / 6, 0.01);
}

TEST(ExpectedCalibrationError, RejectsBadInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::string name;
    std::vector<double> confidences;
    std::vector<bool> correct;
    int bins;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"size mismatch", {0.5, 0.6}, {true}, 10, "2 confidences but 1 labels"},
      {"above 1", {1.5}, {true}, 10, "confidence 0 is 1.5"},
      {"negative", {0.5, -0.1}, {true, false}, 10, "confidence 1 is -0.1"},
      {"NaN", {nan}, {true}, 10, "must be in [0, 1]"},
      {"no bins", {0.5}, {true}, 0, "bins is 0"},
      {"too many bins", {0.5}, {true}, 1001, "bins is 1001"},
      {"empty", {}, {}, 10, "no examples"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<double> ece = ExpectedCalibrationError(c.confidences, c.correct, c.bins);
    EXPECT_EQ(ece.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(ece.status().message(), HasSubstr(c.message)) << c.name;
  }
}

// ---- ThresholdForPrecision.

struct ThresholdCase {
  std::string name;
  std::vector<double> confidences;
  std::vector<bool> correct;
  double target;
  int min_support;
  bool reached;
  double threshold;
  double precision;
  double answer_rate;
};

// n examples at confidence c, k of them correct.
void Append(std::vector<double>& confidences, std::vector<bool>& correct, int n, double c, int k) {
  for (int i = 0; i < n; ++i) {
    confidences.push_back(c);
    correct.push_back(i < k);
  }
}

TEST(ThresholdForPrecision, PicksTheLowestThresholdMeetingTheTarget) {
  constexpr bool T = true;
  constexpr bool F = false;
  std::vector<double> big_confidences;
  std::vector<bool> big_correct;
  Append(big_confidences, big_correct, 30, 0.9, 29);  // precision 29/30
  Append(big_confidences, big_correct, 30, 0.7, 25);  // cumulative 54/60 = 0.9
  Append(big_confidences, big_correct, 40, 0.4, 10);  // cumulative 64/100
  const std::vector<ThresholdCase> cases = {
      {"clean split", {0.9, 0.8, 0.7, 0.6, 0.5}, {T, T, T, F, F}, 0.99, 1, true, 0.7, 1.0, 0.6},
      // Input order does not matter.
      {"unsorted", {0.6, 0.9, 0.5, 0.7, 0.8}, {F, T, F, T, T}, 0.99, 1, true, 0.7, 1.0, 0.6},
      // Regression: the most confident answer is wrong, so the curve starts
      // below target (0/1, 1/2, 2/3, 3/4) and only then reaches it (4/5,
      // 5/6). The lowest threshold meeting the target is 0.7, not "none".
      {"dip at the top",
       {0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6},
       {F, T, T, T, T, T, F},
       0.8, 1, true, 0.7, 5.0 / 6, 6.0 / 7},
      // Precision exactly at the target counts: 54/60 = 0.9.
      {"exactly at target", big_confidences, big_correct, 0.9, 20, true, 0.7, 0.9, 0.6},
      {"just above target", big_confidences, big_correct, 0.91, 20, true, 0.9, 29.0 / 30, 0.3},
      // Regression: the top 30 have precision 0.967 but min_support 40
      // requires a larger answered set, and 54/60 is below 0.95.
      {"support too small at the top", big_confidences, big_correct, 0.95, 40, false, 1.0, 0, 0},
      // Ties are answered together: the three at 0.8 have precision 2/3.
      {"ties not split", {0.8, 0.8, 0.8, 0.5}, {T, F, T, T}, 0.7, 1, true, 0.5, 0.75, 1.0},
      {"tie below target", {0.8, 0.8}, {T, F}, 0.9, 1, false, 1.0, 0, 0},
      {"everything correct", {0.3, 0.2, 0.9}, {T, T, T}, 0.95, 1, true, 0.2, 1.0, 1.0},
      {"nothing correct", {0.3, 0.2, 0.9}, {F, F, F}, 0.1, 1, false, 1.0, 0, 0},
      {"empty", {}, {}, 0.9, 1, false, 1.0, 0, 0},
      // All 5 correct, but fewer examples than the default min_support.
      {"fewer than min_support", {0.9, 0.8, 0.7, 0.6, 0.5}, {T, T, T, T, T}, 0.9, 20, false, 1.0, 0,
       0},
      // Confidence 1.0 itself can be a threshold.
      {"only the certain ones", {1.0, 1.0, 0.5}, {T, T, F}, 0.9, 1, true, 1.0, 1.0, 2.0 / 3},
      {"zero is a threshold", {0.0, 0.0}, {T, T}, 0.5, 1, true, 0.0, 1.0, 1.0},
  };
  for (const ThresholdCase& c : cases) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(
        const PrecisionThreshold result,
        ThresholdForPrecision(c.confidences, c.correct, c.target, c.min_support));
    EXPECT_EQ(result.reached, c.reached) << c.name;
    EXPECT_DOUBLE_EQ(result.threshold, c.threshold) << c.name;
    EXPECT_DOUBLE_EQ(result.precision, c.precision) << c.name;
    EXPECT_DOUBLE_EQ(result.answer_rate, c.answer_rate) << c.name;
    EXPECT_EQ(result.support,
              static_cast<int>(std::lround(c.answer_rate * static_cast<double>(c.confidences.size()))))
        << c.name;
  }
}

TEST(ThresholdForPrecision, AcceptsOnlyWhenReached) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(const PrecisionThreshold none,
                             ThresholdForPrecision({1.0, 1.0}, {false, true}, 0.9, 1));
  ASSERT_FALSE(none.reached);
  EXPECT_EQ(none.threshold, 1.0);
  // A model can output exactly 1.0; "answer nothing" must still hold.
  EXPECT_FALSE(none.Accepts(1.0));

  ZHIKU_ASSERT_OK_AND_ASSIGN(const PrecisionThreshold some,
                             ThresholdForPrecision({0.9, 0.6, 0.3}, {true, true, false}, 0.9, 1));
  ASSERT_TRUE(some.reached);
  EXPECT_TRUE(some.Accepts(0.6));
  EXPECT_TRUE(some.Accepts(0.95));
  EXPECT_FALSE(some.Accepts(0.59));
}

TEST(ThresholdForPrecision, RejectsBadInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::string name;
    std::vector<double> confidences;
    std::vector<bool> correct;
    double target;
    int min_support;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"target 0", {0.5}, {true}, 0.0, 1, "target precision is 0"},
      // Precision 1 cannot be promised from a sample: use e.g. 0.99.
      {"target 1", {0.5}, {true}, 1.0, 1, "open interval (0, 1)"},
      {"target above 1", {0.5}, {true}, 1.5, 1, "target precision is 1.5"},
      {"target negative", {0.5}, {true}, -0.5, 1, "target precision is -0.5"},
      {"target NaN", {0.5}, {true}, nan, 1, "target precision is nan"},
      {"size mismatch", {0.5}, {true, false}, 0.9, 1, "1 confidences but 2 labels"},
      {"confidence out of range", {2.0}, {true}, 0.9, 1, "confidence 0 is 2"},
      {"min_support 0", {0.5}, {true}, 0.9, 0, "min_support is 0"},
  };
  for (const Case& c : cases) {
    const absl::StatusOr<PrecisionThreshold> result =
        ThresholdForPrecision(c.confidences, c.correct, c.target, c.min_support);
    EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(result.status().message(), HasSubstr(c.message)) << c.name;
  }
}

}  // namespace
}  // namespace zhiku
