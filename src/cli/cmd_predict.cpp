// `ngame predict`, `ngame embed` and `ngame vectors import`: using a trained model and preparing word vectors.
#include <spdlog/spdlog.h>

#include <chrono>

#include "cli/cli_common.h"
#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "predict/label_ranker.h"
#include "text/word_vectors.h"

namespace ngame {

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
    cmd->add_option("-o,--output", output, "prediction file")->required();
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
      SparseMatrix pred = model.predict(texts, k, search);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      spdlog::info("predicted {} texts in {:.2f} s ({:.0f} texts/s)", texts.size(), s, texts.size() / std::max(s, 1e-9));
      if (format == "jsonl") {
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
