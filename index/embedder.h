// Text embedders for the vector leg of hybrid search.
//
// An Embedder maps normalised text (TextNormalizer::Normalize output) to a
// dense, L2-normalised vector, so that inner product = cosine similarity.
// FastTextEmbedder is a supervised fastText model (Joulin et al. 2016, "Bag of
// Tricks for Efficient Text Classification") trained on the customer's own
// knowledge base: each entry is a label, its phrasings the training texts; the
// embedding is the average of the input vectors of the text's terms and word
// bigrams. embedder.cc is the only file that includes fastText headers, and
// fastText exceptions never leave it.
#ifndef ZHIKU_INDEX_EMBEDDER_H_
#define ZHIKU_INDEX_EMBEDDER_H_

#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fasttext {
class FastText;
}  // namespace fasttext

namespace zhiku {

class Embedder {
 public:
  virtual ~Embedder() = default;

  // The number of floats Embed() writes. Constant for the object's lifetime.
  virtual int dim() const = 0;

  // Writes the embedding of `normalized_text` to out[0 .. dim() - 1]. On OK the
  // vector has unit L2 norm, except for text with no term the embedder knows
  // (empty text, only unseen words), which gets the all-zero vector: callers
  // should skip the vector search for it rather than rank by a zero vector.
  // Returns InvalidArgument if `out` is null, Internal on a bug in the model
  // code; `out` is unspecified after an error. Thread-safe.
  virtual absl::Status Embed(absl::string_view normalized_text,
                             float* out) const = 0;
};

// The terms of `normalized` (see tokenizer.h) as fastText input: CJK unigrams,
// CJK bigrams and words in Tokenize() order, joined by single spaces (fastText
// splits on whitespace only, so Chinese must be split for it). "怎么退货" ->
// "怎 怎么 么 么退 退 退货 货". Terms never contain whitespace or "_", so no
// term can be mistaken for a fastText "__label__". Thread-safe.
std::string TokensForEmbedding(absl::string_view normalized);

enum class FastTextLoss {
  kSoftmax,              // exact; training cost grows with the number of labels
  kHierarchicalSoftmax,  // Huffman-tree approximation: cost ~ log2(labels)
};

struct FastTextOptions {
  // Set explicitly: fastText's own defaults (12 threads, 2,000,000 buckets)
  // took 968 MB to train on a tiny file. The input matrix
  // holds (vocabulary + bucket) x dim floats: 80 MB at the defaults below.
  int dim = 100;          // > 0
  int epochs = 50;        // > 0
  // Training threads, >= 1. threads = 1 trains on the calling thread and is
  // reproducible for a fixed seed. threads > 1 trains Hogwild-style (threads
  // update shared matrices without locks, each from its own slice of the
  // file), so the model differs from run to run even with the same seed.
  int threads = 2;
  int bucket = 200000;    // hash buckets for word n-grams; > 0 if word_ngrams > 1 or maxn > 0
  int min_count = 1;      // terms seen fewer times are dropped; >= 1
  int word_ngrams = 2;    // 1 = terms only, 2 = also adjacent term pairs; >= 1
  int minn = 0;           // character n-grams of terms, lengths [minn, maxn];
  int maxn = 0;           // 0, 0 = none (our terms are already short)
  double lr = 0.5;        // learning rate, > 0
  int seed = 7;
  // Softmax costs labels x dim per training token: 82 s for 10,000 texts of
  // 2,000 labels (dim 100, 1 thread). Use kHierarchicalSoftmax for large KBs.
  FastTextLoss loss = FastTextLoss::kSoftmax;
};

class FastTextEmbedder : public Embedder {
 public:
  // Trains a supervised model on `labelled_texts`, pairs of (label, text)
  // where text is already split into space-separated terms (normally
  // TokensForEmbedding() of a normalised phrasing). Labels must be non-empty
  // and free of whitespace; texts must not contain line breaks. The training
  // file is written to and then removed from `work_dir`, which must exist;
  // the model stays in memory.
  // Returns InvalidArgument for invalid options, labels or texts, or if no
  // text has a term (empty vocabulary); FailedPrecondition if the training
  // file cannot be written in `work_dir`; Internal if training fails
  // otherwise (e.g. diverges to NaN: lower lr). Blocks for the whole training
  // run; thread-safe (separate calls train separate models).
  //
  // When `cancel` is given and becomes true during training, training stops
  // within a fraction of a second and Cancelled is returned (a server
  // shutting down does not wait minutes for a model it would throw away).
  static absl::StatusOr<std::unique_ptr<FastTextEmbedder>> TrainSupervised(
      const std::vector<std::pair<std::string, std::string>>& labelled_texts,
      const FastTextOptions& options, const std::string& work_dir,
      const std::atomic<bool>* cancel = nullptr);

  // Loads a model written by Save(). Returns NotFound if `path` does not
  // exist; DataLoss if the file is truncated, corrupt or not written by
  // Save() (a trailer with its length and checksum is checked before fastText
  // parses it, since fastText can loop or exhaust memory on a truncated
  // file); InvalidArgument if it holds a fastText model that is not
  // supervised. Thread-safe.
  static absl::StatusOr<std::unique_ptr<FastTextEmbedder>> Load(
      const std::string& path);

  ~FastTextEmbedder() override;
  FastTextEmbedder(const FastTextEmbedder&) = delete;
  FastTextEmbedder& operator=(const FastTextEmbedder&) = delete;

  // Writes the model to `path` (replacing it): fastText's .bin format
  // followed by a 24-byte trailer (the fastText tools ignore it). Writes
  // `path`.tmp first and renames it, so `path` is never left half-written.
  // Returns FailedPrecondition if the file cannot be written. Thread-safe
  // with Embed(); not with another Save() to the same path.
  absl::Status Save(const std::string& path) const;

  int dim() const override { return dim_; }

  // Embed(): fastText's getSentenceVector (for supervised models: the mean of
  // the input vectors of the terms and their word n-grams), L2-normalised.
  // Terms not in the model's vocabulary are dropped first: fastText would
  // otherwise still add the (untrained) hash buckets of word pairs involving
  // them, and text with no known term would not map to the zero vector.
  // Only the first 1,024 known terms count (fastText's line limit).
  // Thread-safe: getSentenceVector only reads the model (its working vectors
  // are locals), though fastText 0.9.2 does not declare it const.
  absl::Status Embed(absl::string_view normalized_text,
                     float* out) const override;

 private:
  FastTextEmbedder(std::unique_ptr<fasttext::FastText> model, int dim);

  // Constant after construction.
  const std::unique_ptr<fasttext::FastText> model_;
  const int dim_;
};

}  // namespace zhiku

#endif  // ZHIKU_INDEX_EMBEDDER_H_
