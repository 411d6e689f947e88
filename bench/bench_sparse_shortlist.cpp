// Would the sparse classifiers pay as a shortlist of their own? For each test text, the candidates the fused
// predictor scores (every other shortlist's labels) and the top k labels by sparse margin over all labels (exact,
// through a feature-major copy of the weights). Prints the share of the relevant (text, label) pairs that the
// candidates hold, the share the sparse top k would add, and the texts whose best label by sparse margin is relevant
// but not a candidate (what a sparse shortlist could at most turn into P@1). Usage:
// bench_sparse_shortlist MODEL DATA_DIR [--k 10] [--threads 2]   (DATA_DIR: tst_X.txt, tst_X_Y.txt and, where the set
// has one, filter_labels_test.txt)
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/runtime.h"
#include "data/filter_pairs.h"
#include "data/sparse_matrix.h"
#include "encoder/bow_encoder.h"
#include "model/model_store.h"
#include "predict/lexical_scorer.h"
#include "predict/model_predictor.h"

int main(int argc, char** argv) {
  using namespace ngame;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_sparse_shortlist MODEL DATA_DIR [--k 10] [--threads 2]\n");
    return 2;
  }
  size_t k = 10;
  size_t threads = 2;
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--k") k = std::stoul(argv[i + 1]);
    if (a == "--threads") threads = std::stoul(argv[i + 1]);
  }
  set_thread_count(threads);
  const std::string data = argv[2];
  ModelParts model = load_model(argv[1], ModelLoadOptions{});
  const SparseClassifiers& sparse = model.sparse_classifiers;
  const auto* bow = dynamic_cast<const BowEncoder*>(model.encoder.get());
  if (sparse.empty() || !bow || !model.fusion) {
    std::fprintf(stderr, "bench_sparse_shortlist: the model needs sparse classifiers, a featurizer and a fusion\n");
    return 2;
  }
  const TextCorpus texts = read_text_file(data + "/tst_X.txt");
  SparseMatrix truth = read_sparse_matrix(data + "/tst_X_Y.txt");
  if (std::filesystem::exists(data + "/filter_labels_test.txt")) {
    truth = remove_filtered(truth, read_filter_pairs(data + "/filter_labels_test.txt", truth.rows, truth.cols));
  }
  ModelPredictor predictor(model, PredictorConfig{});
  const CandidateSet candidates = predictor.fused().candidates(texts, model.fusion->weights);
  const FeatureRows rows = LexicalScorer(bow->featurizer(), model.label_texts).vectors(texts);

  // Feature-major copy: for each feature, the labels with a weight on it.
  std::vector<uint64_t> starts(sparse.feature_count + 1, 0);
  for (uint32_t id : sparse.ids) ++starts[id + 1];
  for (size_t f = 0; f < sparse.feature_count; ++f) starts[f + 1] += starts[f];
  std::vector<uint32_t> by_feature_label(sparse.ids.size());
  std::vector<float> by_feature_weight(sparse.ids.size());
  {
    std::vector<uint64_t> next(starts.begin(), starts.end() - 1);
    for (uint32_t l = 0; l < sparse.label_count(); ++l) {
      for (uint64_t p = sparse.offsets[l]; p < sparse.offsets[l + 1]; ++p) {
        const uint64_t at = next[sparse.ids[p]]++;
        by_feature_label[at] = l;
        by_feature_weight[at] = sparse.weights[p];
      }
    }
  }

  uint64_t relevant = 0, in_candidates = 0, added_by_sparse = 0, top1_outside = 0, candidate_count = 0;
  std::vector<float> margin(sparse.label_count(), 0.0f);
  std::vector<uint8_t> seen(sparse.label_count(), 0);
  std::vector<uint32_t> touched;
  for (size_t q = 0; q < texts.size(); ++q) {
    // Labels without any weight on the text's features score their bias; the top k among the touched ones and the
    // best biases is what an exact sparse shortlist would return. Biases are negative, so touched labels come first
    // unless their dot product is below the untouched labels' best bias; the touched ones are what matter here.
    touched.clear();
    for (uint64_t p = rows.offsets[q]; p < rows.offsets[q + 1]; ++p) {
      const uint32_t f = rows.ids[p];
      for (uint64_t at = starts[f]; at < starts[f + 1]; ++at) {
        const uint32_t l = by_feature_label[at];
        if (!seen[l]) {
          seen[l] = 1;
          touched.push_back(l);
        }
        margin[l] += rows.weights[p] * by_feature_weight[at];
      }
    }
    for (uint32_t l : touched) margin[l] += sparse.bias[l];
    const size_t top = std::min(k, touched.size());
    std::partial_sort(touched.begin(), touched.begin() + static_cast<ptrdiff_t>(top), touched.end(),
                      [&](uint32_t a, uint32_t b) { return margin[a] > margin[b] || (margin[a] == margin[b] && a < b); });
    std::vector<uint32_t> cands(candidates.labels.begin() + static_cast<ptrdiff_t>(candidates.offsets[q]),
                                candidates.labels.begin() + static_cast<ptrdiff_t>(candidates.offsets[q + 1]));
    std::sort(cands.begin(), cands.end());
    candidate_count += cands.size();
    const auto truth_row = truth.row_indices(q);
    auto is_candidate = [&](uint32_t l) { return std::binary_search(cands.begin(), cands.end(), l); };
    for (uint32_t l : truth_row) {
      ++relevant;
      if (is_candidate(l)) {
        ++in_candidates;
      } else if (std::find(touched.begin(), touched.begin() + static_cast<ptrdiff_t>(top), l) !=
                 touched.begin() + static_cast<ptrdiff_t>(top)) {
        ++added_by_sparse;
      }
    }
    if (top > 0 && !is_candidate(touched[0]) &&
        std::binary_search(truth_row.begin(), truth_row.end(), touched[0])) {
      ++top1_outside;
    }
    for (uint32_t l : touched) {
      margin[l] = 0.0f;
      seen[l] = 0;
    }
  }
  std::printf("texts %zu, candidates per text %.1f, relevant pairs %llu\n", texts.size(),
              static_cast<double>(candidate_count) / static_cast<double>(texts.size()),
              static_cast<unsigned long long>(relevant));
  std::printf("relevant pairs among the candidates: %.2f%%\n", 100.0 * static_cast<double>(in_candidates) /
                                                                    static_cast<double>(relevant));
  std::printf("relevant pairs the sparse top %zu would add: %.2f%%\n", k,
              100.0 * static_cast<double>(added_by_sparse) / static_cast<double>(relevant));
  std::printf("texts whose sparse top 1 is relevant and not a candidate: %llu (%.2f%% of texts)\n",
              static_cast<unsigned long long>(top1_outside),
              100.0 * static_cast<double>(top1_outside) / static_cast<double>(texts.size()));
  return 0;
}
