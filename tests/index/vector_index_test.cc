#include "index/vector_index.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace zhiku {
namespace {

using ::zhiku::testing::TempDir;

constexpr int kDim = 64;
constexpr size_t kVectors = 2000;
constexpr size_t kQueries = 50;
constexpr int kTop = 10;

// n random unit vectors of dimension dim, row-major (size n * dim).
std::vector<float> RandomUnitVectors(size_t n, int dim, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(n * dim);
  for (size_t i = 0; i < n; ++i) {
    float* row = &v[i * dim];
    double norm = 0;
    for (int j = 0; j < dim; ++j) {
      row[j] = normal(rng);
      norm += double{row[j]} * row[j];
    }
    for (int j = 0; j < dim; ++j) row[j] = static_cast<float>(row[j] / std::sqrt(norm));
  }
  return v;
}

// Labels that are neither 0-based nor contiguous, so a mix-up with row
// numbers shows.
std::vector<int64_t> SpreadLabels(size_t n) {
  std::vector<int64_t> labels(n);
  for (size_t i = 0; i < n; ++i) labels[i] = 1'000'000'007LL + 7 * static_cast<int64_t>(i);
  return labels;
}

// The reference: score every live vector in double, sort, take the top k.
std::vector<VectorHit> BruteForce(const std::vector<float>& vectors, const std::vector<int64_t>& labels,
                                  const std::set<int64_t>& removed, const float* query, int k) {
  std::vector<std::pair<double, int64_t>> scored;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (removed.count(labels[i]) > 0) continue;
    double dot = 0;
    for (int j = 0; j < kDim; ++j) dot += double{vectors[i * kDim + j]} * query[j];
    scored.emplace_back(dot, labels[i]);
  }
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<VectorHit> hits;
  for (size_t i = 0; i < scored.size() && static_cast<int>(i) < k; ++i) {
    hits.push_back({scored[i].second, static_cast<float>(scored[i].first)});
  }
  return hits;
}

void ExpectMatchesReference(const std::vector<VectorHit>& got, const std::vector<VectorHit>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].label, want[i].label) << "rank " << i;
    EXPECT_NEAR(got[i].score, want[i].score, 1e-4) << "rank " << i;
  }
}

void ExpectIdentical(const std::vector<VectorHit>& a, const std::vector<VectorHit>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].label, b[i].label) << "rank " << i;
    EXPECT_EQ(a[i].score, b[i].score) << "rank " << i;
  }
}

// 2,000 random unit vectors of dimension 64 and 50 random unit queries.
class VectorIndexData : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(20261122);
    vectors_ = RandomUnitVectors(kVectors, kDim, rng);
    queries_ = RandomUnitVectors(kQueries, kDim, rng);
    labels_ = SpreadLabels(kVectors);
    ZHIKU_ASSERT_OK_AND_ASSIGN(index_, VectorIndex::Create(kDim));
    ZHIKU_ASSERT_OK(index_->Add(vectors_.data(), labels_.data(), kVectors));
  }
  const float* Query(size_t q) const { return &queries_[q * kDim]; }

  std::vector<float> vectors_;
  std::vector<float> queries_;
  std::vector<int64_t> labels_;
  std::unique_ptr<VectorIndex> index_;
};

TEST_F(VectorIndexData, TopTenMatchesBruteForce) {
  EXPECT_EQ(index_->size(), kVectors);
  EXPECT_EQ(index_->dim(), kDim);
  for (size_t q = 0; q < kQueries; ++q) {
    SCOPED_TRACE(q);
    ZHIKU_ASSERT_OK_AND_ASSIGN(auto hits, index_->Search(Query(q), kTop));
    ExpectMatchesReference(hits, BruteForce(vectors_, labels_, {}, Query(q), kTop));
  }
}

TEST_F(VectorIndexData, RemovedLabelsAreNeverReturned) {
  std::set<int64_t> removed;
  std::vector<int64_t> to_remove;
  for (size_t i = 0; i < kVectors; i += 3) {
    removed.insert(labels_[i]);
    to_remove.push_back(labels_[i]);
  }
  to_remove.push_back(42);  // not in the index: ignored
  ZHIKU_ASSERT_OK(index_->Remove(to_remove));
  EXPECT_EQ(index_->size(), kVectors - removed.size());
  for (size_t q = 0; q < kQueries; ++q) {
    SCOPED_TRACE(q);
    ZHIKU_ASSERT_OK_AND_ASSIGN(auto all, index_->Search(Query(q), static_cast<int>(kVectors)));
    EXPECT_EQ(all.size(), kVectors - removed.size());
    for (const VectorHit& hit : all) EXPECT_EQ(removed.count(hit.label), 0u) << hit.label;
    ZHIKU_ASSERT_OK_AND_ASSIGN(auto top, index_->Search(Query(q), kTop));
    ExpectMatchesReference(top, BruteForce(vectors_, labels_, removed, Query(q), kTop));
  }
}

TEST_F(VectorIndexData, RemovedLabelCanBeAddedAgain) {
  ZHIKU_ASSERT_OK(index_->Remove({labels_[5]}));
  ZHIKU_ASSERT_OK(index_->Add(Query(0), &labels_[5], 1));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto hits, index_->Search(Query(0), 1));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].label, labels_[5]);
  EXPECT_NEAR(hits[0].score, 1.0, 1e-5);
}

TEST(VectorIndex, ShortResultsHaveNoPadding) {
  std::mt19937 rng(7);
  const std::vector<float> vectors = RandomUnitVectors(3, kDim, rng);
  const std::vector<int64_t> labels = {0, 5, 9};
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto index, VectorIndex::Create(kDim));

  ZHIKU_ASSERT_OK_AND_ASSIGN(auto empty, index->Search(vectors.data(), kTop));
  EXPECT_TRUE(empty.empty());

  ZHIKU_ASSERT_OK(index->Add(vectors.data(), labels.data(), labels.size()));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto hits, index->Search(vectors.data(), kTop));
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_EQ(hits[0].label, 0);  // the query itself, score 1
  for (const VectorHit& hit : hits) EXPECT_GE(hit.label, 0);
  EXPECT_GE(hits[0].score, hits[1].score);
  EXPECT_GE(hits[1].score, hits[2].score);

  ZHIKU_ASSERT_OK(index->Remove({5}));
  ZHIKU_ASSERT_OK_AND_ASSIGN(hits, index->Search(vectors.data(), kTop));
  ASSERT_EQ(hits.size(), 2u);
  for (const VectorHit& hit : hits) EXPECT_NE(hit.label, 5);
}

TEST(VectorIndex, WrongDimensionIsInvalidArgument) {
  EXPECT_EQ(VectorIndex::Create(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(VectorIndex::Create(-8).status().code(), absl::StatusCode::kInvalidArgument);

  ZHIKU_ASSERT_OK_AND_ASSIGN(auto index, VectorIndex::Create(4));
  const std::vector<float> five(5, 0.5f);
  const std::vector<int64_t> one_label = {1};
  EXPECT_EQ(index->Add(std::span<const float>(five), std::span<const int64_t>(one_label)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->size(), 0u);
  EXPECT_EQ(index->Search(std::span<const float>(five), 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<float> four(4, 0.5f);
  ZHIKU_EXPECT_OK(index->Add(std::span<const float>(four), std::span<const int64_t>(one_label)));
  ZHIKU_EXPECT_OK(index->Search(std::span<const float>(four), 1));
}

TEST(VectorIndex, BadArgumentsAreInvalidArgumentAndAddNothing) {
  std::mt19937 rng(11);
  const std::vector<float> vectors = RandomUnitVectors(3, kDim, rng);
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto index, VectorIndex::Create(kDim));
  const std::vector<int64_t> first = {1};
  ZHIKU_ASSERT_OK(index->Add(vectors.data(), first.data(), 1));

  // Rows: a regression guard per way of corrupting the label -> vector map.
  const std::vector<std::vector<int64_t>> bad_labels = {
      {2, -1, 3},  // -1 is FAISS's "no result"
      {2, 3, 2},   // duplicate within the batch
      {2, 1, 3},   // already in the index
  };
  for (const auto& labels : bad_labels) {
    EXPECT_EQ(index->Add(vectors.data(), labels.data(), labels.size()).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(index->size(), 1u);
  }
  EXPECT_EQ(index->Search(vectors.data(), 0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(index->Search(vectors.data(), -1).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(VectorIndexData, SaveLoadRoundTripGivesIdenticalResults) {
  ZHIKU_ASSERT_OK(index_->Remove({labels_[0], labels_[1], labels_[2]}));
  TempDir dir;
  const std::string path = dir.Sub("vectors.faiss");
  ZHIKU_ASSERT_OK(index_->Save(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto loaded, VectorIndex::Load(path));
  EXPECT_EQ(loaded->dim(), kDim);
  EXPECT_EQ(loaded->size(), index_->size());
  for (size_t q = 0; q < kQueries; ++q) {
    SCOPED_TRACE(q);
    ZHIKU_ASSERT_OK_AND_ASSIGN(auto want, index_->Search(Query(q), kTop));
    ZHIKU_ASSERT_OK_AND_ASSIGN(auto got, loaded->Search(Query(q), kTop));
    ExpectIdentical(got, want);
  }
  // The label map survives too: existing labels are rejected, removed ones accepted.
  EXPECT_EQ(loaded->Add(Query(0), &labels_[3], 1).code(), absl::StatusCode::kInvalidArgument);
  ZHIKU_EXPECT_OK(loaded->Add(Query(0), &labels_[0], 1));
  ZHIKU_EXPECT_OK(loaded->Remove({labels_[4]}));
  EXPECT_EQ(loaded->size(), index_->size());

  // Saving over an existing file replaces it.
  ZHIKU_ASSERT_OK(loaded->Save(path));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto reloaded, VectorIndex::Load(path));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto top, reloaded->Search(Query(0), 1));
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].label, labels_[0]);
}

TEST(VectorIndex, LoadOfGarbageIsDataLoss) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> files = {
      {"empty", ""},
      {"text", "this is not a faiss index\n"},
      {"bad_fourcc", std::string("IxM2\x40\x00\x00\x00garbage", 15)},
  };
  for (const auto& [name, contents] : files) {
    SCOPED_TRACE(name);
    std::ofstream(dir.Sub(name), std::ios::binary) << contents;
    EXPECT_EQ(VectorIndex::Load(dir.Sub(name)).status().code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(VectorIndex::Load(dir.Sub("missing")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(VectorIndex::Load(dir.path()).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(VectorIndexData, SaveIntoMissingDirectoryIsInternal) {
  TempDir dir;
  const absl::Status s = index_->Save(dir.Sub("no/such/dir/vectors.faiss"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
}

TEST_F(VectorIndexData, ConcurrentSearchesMatchSingleThreaded) {
  std::vector<std::vector<VectorHit>> want(kQueries);
  for (size_t q = 0; q < kQueries; ++q) {
    ZHIKU_ASSERT_OK_AND_ASSIGN(want[q], index_->Search(Query(q), kTop));
  }
  constexpr int kThreads = 4;
  std::vector<std::vector<std::vector<VectorHit>>> got(kThreads, std::vector<std::vector<VectorHit>>(kQueries));
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        for (size_t i = 0; i < kQueries; ++i) {
          const size_t q = (i + t * 13) % kQueries;  // threads start at different queries
          auto hits = index_->Search(Query(q), kTop);
          if (!hits.ok()) {
            ++failures[t];
            continue;
          }
          got[t][q] = *std::move(hits);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0);
    for (size_t q = 0; q < kQueries; ++q) {
      SCOPED_TRACE(::testing::Message() << "thread " << t << " query " << q);
      ExpectIdentical(got[t][q], want[q]);
    }
  }
}

TEST_F(VectorIndexData, CloneIsIndependent) {
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto copy, index_->Clone());
  EXPECT_EQ(copy->size(), kVectors);
  EXPECT_EQ(copy->dim(), kDim);
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto before, index_->Search(Query(0), kTop));
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto from_copy, copy->Search(Query(0), kTop));
  ExpectIdentical(from_copy, before);

  std::vector<int64_t> top_labels;
  for (const VectorHit& hit : before) top_labels.push_back(hit.label);
  ZHIKU_ASSERT_OK(copy->Remove(top_labels));
  EXPECT_EQ(copy->size(), kVectors - kTop);
  EXPECT_EQ(index_->size(), kVectors);
  ZHIKU_ASSERT_OK_AND_ASSIGN(auto after, index_->Search(Query(0), kTop));
  ExpectIdentical(after, before);
}

}  // namespace
}  // namespace zhiku
