#include "index/embedder.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fasttext/fasttext.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "index/tokenizer.h"

namespace zhiku {
namespace {

// Save() appends this trailer to fastText's file: the length of the fastText
// part, its FNV-1a 64 hash and kTrailerMagic, each 8 bytes, little-endian.
constexpr char kTrailerMagic[8] = {'Z', 'H', 'K', 'F', 'T', 'E', 'M', '1'};
constexpr size_t kTrailerSize = 24;

void PutU64(uint64_t v, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t GetU64(const char* in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

// FNV-1a 64 of the first `n` bytes of `in`; false if `in` ends early.
bool HashPrefix(std::istream& in, uint64_t n, uint64_t* hash) {
  uint64_t h = 14695981039346656037ull;
  char buf[1 << 16];
  while (n > 0) {
    const size_t want = n < sizeof(buf) ? static_cast<size_t>(n) : sizeof(buf);
    in.read(buf, static_cast<std::streamsize>(want));
    if (static_cast<size_t>(in.gcount()) != want) return false;
    for (size_t i = 0; i < want; ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
    n -= want;
  }
  *hash = h;
  return true;
}

absl::Status ValidateOptions(const FastTextOptions& o) {
  if (o.dim <= 0 || o.epochs <= 0 || o.threads < 1 || o.min_count < 1 ||
      o.word_ngrams < 1 || o.minn < 0 || o.maxn < o.minn || o.bucket < 0 ||
      !(o.lr > 0) || !std::isfinite(o.lr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid FastTextOptions: dim ", o.dim, ", epochs ", o.epochs,
        ", threads ", o.threads, ", min_count ", o.min_count, ", word_ngrams ",
        o.word_ngrams, ", minn ", o.minn, ", maxn ", o.maxn, ", bucket ",
        o.bucket, ", lr ", o.lr,
        "; need dim, epochs, threads, min_count, word_ngrams >= 1, "
        "0 <= minn <= maxn, bucket >= 0 and lr > 0"));
  }
  // fastText hashes word n-grams and character n-grams modulo bucket.
  if (o.bucket == 0 && (o.word_ngrams > 1 || o.maxn > 0)) {
    return absl::InvalidArgumentError(
        "FastTextOptions.bucket is 0 but word_ngrams > 1 or maxn > 0 need "
        "hash buckets; set bucket > 0");
  }
  return absl::OkStatus();
}

absl::Status ValidateExample(size_t i, const std::string& label,
                             const std::string& text) {
  if (label.empty() ||
      label.find_first_of(std::string(" \t\n\r\v\f\0", 7)) != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label of training text ", i, " (\"", label,
        "\") is empty or contains whitespace; use an id without spaces"));
  }
  if (text.find('\n') != std::string::npos ||
      absl::StrContains(text, "__label__")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training text ", i, " (label ", label,
        ") contains a line break or \"__label__\"; pass TokensForEmbedding() "
        "of normalised text"));
  }
  return absl::OkStatus();
}

std::string TrainingFilePath(const std::string& work_dir) {
  static std::atomic<uint64_t> counter{0};
  return absl::StrCat(work_dir, "/fasttext_train.", getpid(), ".",
                      counter.fetch_add(1), ".txt");
}

}  // namespace

std::string TokensForEmbedding(absl::string_view normalized) {
  std::string out;
  for (const Token& token : Tokenize(normalized)) {
    if (!out.empty()) out.push_back(' ');
    out += token.term;
  }
  return out;
}

FastTextEmbedder::FastTextEmbedder(std::unique_ptr<fasttext::FastText> model,
                                   int dim)
    : model_(std::move(model)), dim_(dim) {}

FastTextEmbedder::~FastTextEmbedder() = default;

absl::StatusOr<std::unique_ptr<FastTextEmbedder>>
FastTextEmbedder::TrainSupervised(
    const std::vector<std::pair<std::string, std::string>>& labelled_texts,
    const FastTextOptions& options, const std::string& work_dir,
    const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (labelled_texts.empty()) {
    return absl::InvalidArgumentError("no training texts");
  }
  bool any_term = false;
  for (size_t i = 0; i < labelled_texts.size(); ++i) {
    const auto& [label, text] = labelled_texts[i];
    if (absl::Status s = ValidateExample(i, label, text); !s.ok()) return s;
    any_term = any_term || text.find_first_not_of(" \t\r\v\f") != std::string::npos;
  }
  // fastText would train on the end-of-line token "</s>" alone.
  if (!any_term) {
    return absl::InvalidArgumentError("no training text has a term");
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(work_dir, ec)) {
    return absl::FailedPreconditionError(
        absl::StrCat("work_dir ", work_dir, " is not a directory"));
  }

  const std::string train_path = TrainingFilePath(work_dir);
  {
    std::ofstream out(train_path, std::ios::binary | std::ios::trunc);
    for (const auto& [label, text] : labelled_texts) {
      out << "__label__" << label << ' ' << text << '\n';
    }
    out.close();
    if (!out) {
      std::filesystem::remove(train_path, ec);
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write the training file ", train_path, ": ",
          std::strerror(errno)));
    }
  }

  fasttext::Args args;
  args.input = train_path;
  args.model = fasttext::model_name::sup;
  args.loss = options.loss == FastTextLoss::kHierarchicalSoftmax
                  ? fasttext::loss_name::hs
                  : fasttext::loss_name::softmax;
  args.dim = options.dim;
  args.epoch = options.epochs;
  args.thread = options.threads;
  args.bucket = options.bucket;
  args.minCount = options.min_count;
  args.wordNgrams = options.word_ngrams;
  args.minn = options.minn;
  args.maxn = options.maxn;
  args.lr = options.lr;
  args.seed = options.seed;
  args.verbose = 0;

  auto model = std::make_unique<fasttext::FastText>();
  absl::Status status;
  // fastText calls the callback from its first training thread every 64
  // lines; abort() makes every thread stop and train() throw.
  fasttext::FastText* raw = model.get();
  bool aborted = false;
  fasttext::FastText::TrainCallback on_progress;
  if (cancel != nullptr) {
    on_progress = [cancel, raw, &aborted](float, float, double, double, int64_t) {
      if (!aborted && cancel->load(std::memory_order_relaxed)) {
        aborted = true;
        raw->abort();
      }
    };
  }
  try {
    if (cancel != nullptr && cancel->load()) {
      aborted = true;
    } else {
      model->train(args, on_progress);
    }
  } catch (const std::invalid_argument& e) {
    status = absl::InvalidArgumentError(
        absl::StrCat("fastText training rejected the input: ", e.what()));
  } catch (const std::exception& e) {
    status = absl::InternalError(
        absl::StrCat("fastText training failed: ", e.what()));
  }
  std::filesystem::remove(train_path, ec);
  if (aborted) return absl::CancelledError("fastText training cancelled");
  if (!status.ok()) return status;
  const int dim = model->getDimension();
  return std::unique_ptr<FastTextEmbedder>(
      new FastTextEmbedder(std::move(model), dim));
}

absl::StatusOr<std::unique_ptr<FastTextEmbedder>> FastTextEmbedder::Load(
    const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat("no embedder model at ", path));
  }
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot open embedder model ", path, ": ", std::strerror(errno)));
    }
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    char trailer[kTrailerSize];
    if (size < static_cast<std::streamoff>(kTrailerSize)) {
      return absl::DataLossError(absl::StrCat(
          "embedder model ", path, " is ", size,
          " bytes, too short to be a model written by Save()"));
    }
    in.seekg(size - static_cast<std::streamoff>(kTrailerSize));
    in.read(trailer, kTrailerSize);
    const uint64_t length = GetU64(trailer);
    if (!in || std::memcmp(trailer + 16, kTrailerMagic, 8) != 0 ||
        length != static_cast<uint64_t>(size) - kTrailerSize) {
      return absl::DataLossError(absl::StrCat(
          "embedder model ", path,
          " has no valid trailer: truncated, or not written by Save()"));
    }
    in.seekg(0);
    uint64_t hash = 0;
    if (!HashPrefix(in, length, &hash) || hash != GetU64(trailer + 8)) {
      return absl::DataLossError(absl::StrCat(
          "embedder model ", path, " is corrupt (checksum mismatch)"));
    }
  }

  auto model = std::make_unique<fasttext::FastText>();
  try {
    // fastText reads only its own part and ignores the trailer.
    model->loadModel(path);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat(
        "fastText cannot parse embedder model ", path, ": ", e.what()));
  }
  if (model->getArgs().model != fasttext::model_name::sup) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " holds an unsupervised fastText model; train one with "
              "FastTextEmbedder::TrainSupervised"));
  }
  const int dim = model->getDimension();
  if (dim <= 0) {
    return absl::DataLossError(
        absl::StrCat("embedder model ", path, " has dimension ", dim));
  }
  return std::unique_ptr<FastTextEmbedder>(
      new FastTextEmbedder(std::move(model), dim));
}

absl::Status FastTextEmbedder::Save(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  std::error_code ec;
  try {
    model_->saveModel(tmp);
  } catch (const std::exception& e) {
    std::filesystem::remove(tmp, ec);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot save embedder model to ", tmp, ": ", e.what()));
  }
  const auto fail = [&](absl::string_view what) {
    std::filesystem::remove(tmp, ec);
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot save embedder model to ", path, ": ", what));
  };
  const uint64_t length = std::filesystem::file_size(tmp, ec);
  if (ec) return fail(ec.message());
  char trailer[kTrailerSize];
  {
    // fastText does not check its writes; reading the file back to hash it
    // catches a short write.
    std::ifstream in(tmp, std::ios::binary);
    uint64_t hash = 0;
    if (!in || !HashPrefix(in, length, &hash)) return fail("cannot read it back");
    PutU64(length, trailer);
    PutU64(hash, trailer + 8);
    std::memcpy(trailer + 16, kTrailerMagic, 8);
  }
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::app);
    out.write(trailer, kTrailerSize);
    out.close();
    if (!out) return fail(std::strerror(errno));
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(ec.message());
  return absl::OkStatus();
}

absl::Status FastTextEmbedder::Embed(absl::string_view normalized_text,
                                     float* out) const {
  if (out == nullptr) return absl::InvalidArgumentError("Embed: out is null");
  try {
    const std::shared_ptr<const fasttext::Dictionary> dict =
        model_->getDictionary();
    std::string line;
    for (const Token& token : Tokenize(normalized_text)) {
      if (dict->getId(token.term) < 0) continue;
      if (!line.empty()) line.push_back(' ');
      line += token.term;
    }
    // Without a trailing '\n' fastText adds no end-of-sentence token "</s>",
    // whose vector would be shared by every text.
    fasttext::Vector vec(dim_);
    if (!line.empty()) {
      std::istringstream in(line);
      model_->getSentenceVector(in, vec);
    } else {
      vec.zero();
    }
    double norm2 = 0;
    for (int i = 0; i < dim_; ++i) norm2 += double(vec[i]) * vec[i];
    const double norm = std::sqrt(norm2);
    if (!(norm > 0) || !std::isfinite(norm)) {
      std::fill(out, out + dim_, 0.0f);
      return absl::OkStatus();
    }
    for (int i = 0; i < dim_; ++i) out[i] = static_cast<float>(vec[i] / norm);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("fastText Embed failed: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace zhiku
