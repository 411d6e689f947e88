// `ngame predict`, `ngame embed` and `ngame vectors import`: using a trained model and preparing word vectors.
#include <spdlog/spdlog.h>

#include <chrono>

#include "cli/cli_common.h"
#include "core/atomic_file.h"
#include "core/binary_io.h"
#include "data/sparse_matrix.h"
#include "data/text_corpus.h"
#include "model/label_log.h"
#include "model/model_store.h"
#include "predict/label_ranker.h"
#include "predict/model_predictor.h"
#include "text/word_vectors.h"

namespace ngame {

void add_predict_commands(CLI::App& app) {
  {
    static std::string model_dir, input, output, format = "xc", ann = "auto";
    static ModelLoadOptions load;
    static size_t k = 100;
    static bool latin1 = false, no_reranker = false;
    static std::string only;
    static uint32_t shortlist = 0, graph_seeds = PredictorConfig{}.graph_seeds;
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
    cmd->add_option("--only", only, "rank by one scorer alone (ablation): embedding, classifier, memory or lexical")
        ->check(CLI::IsMember({"embedding", "classifier", "memory", "lexical"}));
    add_search_options(cmd, ann, load, shortlist, graph_seeds, "up to 50K vectors");
    add_common_options(cmd);
    cmd->callback(with_common_options([] {
      load.ann = parse_ann_choice(ann);
      load.hnsw.validate();
      // M4 alone ranks its own graph's shortlist (with the model's shortlists it would rank theirs).
      if (only == "classifier" && !load.classifier_graph) load.classifier_graph = true;
      Model model = load_model(model_dir, load);
      // Labels added through `ngame serve` and not yet compacted are part of the model.
      if (const size_t added = replay_label_log(model, read_label_log(model_dir), model_dir + "/labels.wal")) {
        spdlog::info("{} labels added from the label log", added);
      }
      TextCorpus texts = read_text_file(input, {.latin1 = latin1});
      const auto t = std::chrono::steady_clock::now();
      PredictorConfig predictor_config;
      predictor_config.shortlist = shortlist;  // 0: as the fusion was fitted
      predictor_config.graph_seeds = graph_seeds;
      ModelPredictor predictor(model, predictor_config);
      if (no_reranker || !only.empty()) predictor.set_reranker(RankBooster(), 0);
      if (!only.empty()) {
        FusionWeights w;
        for (size_t s = 0; s < kScorerCount; ++s) w.weight[s] = only == scorer_name(s) ? 1.0f : 0.0f;
        predictor.set_weights(w);
      }
      SparseMatrix pred = predictor.predict(texts, std::min(k, model.label_count()));
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
      spdlog::info("predicted {} texts in {:.2f} s ({:.0f} texts/s)", texts.size(), s, texts.size() / std::max(s, 1e-9));
      if (format == "jsonl") {
        write_predictions_jsonl(output, pred, model.label_texts);
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
      Model model = load_model(model_dir);
      TextCorpus texts = read_text_file(input, {.latin1 = latin1});
      std::vector<float> emb;
      if (raw) {
        emb.resize(texts.size() * model.encoder->dim());
        model.encoder->embed_all(*model.encoder->prepare(texts), emb.data());
      } else {
        emb = embed_texts(*model.encoder, texts);
      }
      PayloadWriter w;
      w.u64(texts.size());
      w.u64(model.encoder->dim());
      w.raw(emb.data(), emb.size() * sizeof(float));
      write_container(output, {{"EMBD", std::move(w.bytes())}});
      spdlog::info("wrote {} x {} embeddings to {}", texts.size(), model.encoder->dim(), output);
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
