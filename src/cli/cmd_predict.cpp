// `ngame predict`, `ngame embed` and `ngame vectors import`: using a trained model and preparing word vectors.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <limits>

#include "cli/cli_common.h"
#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "core/error.h"
#include "predict/fused_predictor.h"
#include "predict/label_ranker.h"
#include "text/word_vectors.h"

namespace ngame {

namespace {

// Prediction across mpirun's ranks: the texts are cut into the predictor's chunks (kPredictChunkTexts), dealt
// round-robin, so that every text goes through exactly the computation one process would give it; in each round
// rank 0 gathers the ranks' chunks, which are the next chunks in order, and returns the whole matrix (the other
// ranks an empty one). Each exchange holds one chunk's predictions a rank.
SparseMatrix predict_across(Communicator& group, const Model& model, const TextCorpus& texts, size_t k,
                            const SearchParams& search) {
  const uint64_t chunks = (texts.size() + kPredictChunkTexts - 1) / kPredictChunkTexts;
  const auto ranks = static_cast<uint64_t>(group.size()), rank = static_cast<uint64_t>(group.rank());
  SparseMatrix out;
  out.cols = model.label_count();
  for (uint64_t first = 0; first < chunks; first += ranks) {
    const uint64_t chunk = first + rank;
    PayloadWriter w;
    if (chunk < chunks) {
      const uint64_t begin = chunk * kPredictChunkTexts, end = std::min<uint64_t>(texts.size(), begin + kPredictChunkTexts);
      TextCorpus mine;
      for (uint64_t i = begin; i < end; ++i) mine.push_back(texts[i]);
      const SparseMatrix part = model.predict(mine, k, search);
      w.u64(part.rows);
      w.vec(std::span<const uint64_t>(part.indptr));
      w.vec(std::span<const uint32_t>(part.indices));
      w.vec(std::span<const float>(part.values));
    }
    const std::vector<std::string_view> all = group.gather(w.bytes(), 0);
    for (size_t r = 0; r < all.size(); ++r) {
      if (all[r].empty()) continue;
      PayloadReader in(all[r], "predictions of rank " + std::to_string(r));
      const uint64_t rows = in.u64();
      const auto indptr = in.vec<uint64_t>();
      const auto indices = in.vec<uint32_t>();
      const auto values = in.vec<float>();
      if (indptr.empty() || indptr.size() - 1 != rows || indptr.front() != 0 || indices.size() != values.size() ||
          indptr.back() != indices.size() || !std::is_sorted(indptr.begin(), indptr.end()) || !in.done()) {
        in.fail("malformed prediction matrix");
      }
      for (uint64_t row = 0; row < rows; ++row) {
        out.append_row({indices.data() + indptr[row], indices.data() + indptr[row + 1]},
                       {values.data() + indptr[row], values.data() + indptr[row + 1]});
      }
    }
  }
  if (group.rank() == 0) {
    NGAME_CHECK(out.rows == texts.size(), "distributed prediction returned " + std::to_string(out.rows) +
                                              " rows for " + std::to_string(texts.size()) + " texts");
  }
  return out;
}

}  // namespace

void add_predict_commands(CLI::App& app) {
  {
    static std::string model_dir, input, output, format = "xc";
    static OpenOptions open;
    static size_t k = 100;
    static bool latin1 = false, no_reranker = false, no_own_text_first = false;
    static std::string only;
    CLI::App* cmd = app.add_subcommand("predict", "top-k labels of each input text");
    cmd->add_option("model", model_dir, "model directory")->required();
    cmd->add_option("--input", input, "texts, one a line")->required();
    cmd->add_option("-o,--output", output, "prediction file (-: standard output)")->required();
    cmd->add_option("-k,--k", k, "labels per text")->check(CLI::Range(1, 100000))->capture_default_str();
    cmd->add_option("--format", format, "xc (sparse score matrix) or jsonl (ids, label texts, scores)")
        ->check(CLI::IsMember({"xc", "jsonl"}))
        ->capture_default_str();
    cmd->add_flag("--latin1", latin1, "texts are Latin-1");
    cmd->add_flag("--no-reranker", no_reranker, "rank by the linear fusion alone, even when the model has a re-ranker");
    cmd->add_flag("--no-own-text-first", no_own_text_first,
                  "do not put first the labels whose own text the input text repeats (by default they lead)");
    cmd->add_option("--only", only, "rank by one scorer alone (ablation): embedding, classifier, memory, lexical or sparse")
        ->check(CLI::IsMember({"embedding", "classifier", "memory", "lexical", "sparse"}));
    add_search_options(cmd, open, "up to 50K vectors");
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      // Each chunk of texts allocates and frees buffers of tens of MB (its candidates and their scores); above 32 MB
      // glibc maps each one fresh from the kernel, which zeroes every page again: 6% of 200K / 100K prediction's CPU
      // (perf). Served from the heap and kept there when freed, they are reused instead, at the same peak RSS
      // (bench/results/2026-12-04-exact-int8.md).
      ::mallopt(M_MMAP_THRESHOLD, 1 << 30);
      ::mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
      // M4 alone ranks its own graph's shortlist (with the model's shortlists it would rank theirs).
      if (only == "classifier" && !open.classifier_graph) open.classifier_graph = true;
      // Labels added through `ngame serve` and not yet compacted are part of the model.
      const Model model = Model::open(model_dir, open);
      TextCorpus texts = read_text_file(input, {.latin1 = latin1});
      const auto t = std::chrono::steady_clock::now();
      SearchParams search;
      search.shortlist = open.shortlist;  // 0: as the fusion was fitted
      search.graph_seeds = open.graph_seeds;
      search.reranker = !no_reranker;
      search.own_text_first = !no_own_text_first;
      search.only = only;
      Communicator& group = process_group();
      SparseMatrix pred = group.size() > 1 ? predict_across(group, model, texts, k, search) : model.predict(texts, k, search);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      spdlog::info("predicted {} texts in {:.2f} s ({:.0f} texts/s)", texts.size(), s, texts.size() / std::max(s, 1e-9));
      if (group.rank() != 0) return;  // the first rank writes the file
      if (output == "-" && format == "jsonl") {
        write_predictions_jsonl(std::cout, pred, model.parts().label_texts);
      } else if (output == "-") {
        write_sparse_matrix(std::cout, pred);
      } else if (format == "jsonl") {
        write_predictions_jsonl(output, pred, model.parts().label_texts);
      } else {
        write_sparse_matrix(output, pred);
      }
    }));
  }
  {
    static std::string model_dir, input, output;
    static bool latin1 = false, raw = false;
    CLI::App* cmd = app.add_subcommand("embed", "embedding vectors of texts (unit rows unless --raw)");
    cmd->add_option("model", model_dir, "model directory")->required();
    cmd->add_option("--input", input, "texts, one a line")->required();
    cmd->add_option("-o,--output", output,
                    "output: ngame container with section EMBD = u64 rows, u64 dim, then rows*dim float32")
        ->required();
    cmd->add_flag("--raw", raw, "write the encoder output before L2 normalisation");
    cmd->add_flag("--latin1", latin1, "texts are Latin-1");
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      const Model model = Model::open(model_dir);
      TextCorpus texts = read_text_file(input, {.latin1 = latin1});
      const std::vector<float> emb = model.embed(texts, !raw);
      PayloadWriter w;
      w.u64(texts.size());
      w.u64(model.dim());
      w.raw(emb.data(), emb.size() * sizeof(float));
      write_container(output, {{"EMBD", std::move(w.bytes())}});
      spdlog::info("wrote {} x {} embeddings to {}", texts.size(), model.dim(), output);
    }));
  }
  {
    CLI::App* vectors = app.add_subcommand("vectors", "pretrained word vectors");
    vectors->require_subcommand(1);
    static std::string input, output;
    CLI::App* cmd = vectors->add_subcommand("import", "convert wink-embeddings JSON (GloVe 100-d) to vectors.bin");
    cmd->add_option("input", input, "the package's JSON file (see scripts/get-vectors.sh)")->required();
    cmd->add_option("-o,--output", output, "binary vectors file")->required();
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      WordVectors v = WordVectors::import_wink_json(input);
      v.save(output);
      spdlog::info("imported {} words, {}-d, into {}", v.size(), v.dim(), output);
    }));
  }
}

}  // namespace ngame
