// End-to-end: ngame train -> predict -> eval on a small generated dataset, --config files, model errors.
#include <nlohmann/json.hpp>
#include <algorithm>
#include <map>
#include <random>
#include <sstream>

#include "model/model_store.h"
#include "predict/fused_predictor.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::run_ngame;
using testing::TempDir;
using testing::write_bytes;
using testing::write_topic_dataset;
using testing::kSmallModel;

TEST(CliTrain, TrainPredictEval) {
  TempDir data, out;
  write_topic_dataset(data);
  auto train = run_ngame("train " + data.str() + " -o " + out.file("model") + kSmallModel + " --eval-every 3 --shortlist 2");
  ASSERT_EQ(train.status, 0) << train.err;
  for (const char* f : {"manifest.json", "encoder.ngm", "labels.ngm", "classifiers.ngm", "memory.ngm", "fusion.json",
                        "training_log.jsonl", "training_curve.svg", "test_predictions.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(out.file("model/") + f)) << f;
  }
  EXPECT_NE(testing::read_bytes(out.file("model/training_curve.svg")).find("<polyline"), std::string::npos);
  auto predict = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") + " -k 3 -o " +
                           out.file("pred.txt") + " --quiet");
  ASSERT_EQ(predict.status, 0) << predict.err;
  EXPECT_EQ(testing::read_bytes(out.file("pred.txt")).substr(0, 5), "60 6\n");
  // Save/load is lossless: the saved model predicts exactly what the in-memory one did at the end of training.
  auto again = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") + " -k 20 -o " +
                         out.file("pred20.txt") + " --quiet");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_TRUE(testing::read_bytes(out.file("pred20.txt")) == testing::read_bytes(out.file("model/test_predictions.txt")));
  // "-o -" writes the same text to standard output (and no file named "-").
  auto to_stdout = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") + " -k 20 -o - --quiet");
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  EXPECT_TRUE(to_stdout.out == testing::read_bytes(out.file("pred20.txt")));
  EXPECT_FALSE(std::filesystem::exists("-"));
  auto eval = run_ngame("eval --pred " + out.file("pred.txt") + " --truth " + data.file("tst_X_Y.txt") + " --train " +
                        data.file("trn_X_Y.txt") + " --json");
  ASSERT_EQ(eval.status, 0) << eval.err;
  EXPECT_GT(nlohmann::json::parse(eval.out)["P@1"].get<double>(), 80.0);

  auto jsonl = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") + " -k 2 --format jsonl -o " +
                         out.file("pred.jsonl") + " --quiet");
  ASSERT_EQ(jsonl.status, 0) << jsonl.err;
  auto jsonl_stdout = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") +
                                " -k 2 --format jsonl -o - --quiet");
  ASSERT_EQ(jsonl_stdout.status, 0) << jsonl_stdout.err;
  EXPECT_TRUE(jsonl_stdout.out == testing::read_bytes(out.file("pred.jsonl")));
  std::string first_line = testing::read_bytes(out.file("pred.jsonl"));
  first_line = first_line.substr(0, first_line.find('\n'));
  auto row = nlohmann::json::parse(first_line);
  ASSERT_EQ(row["labels"].size(), 2u);
  EXPECT_TRUE(row["labels"][0]["label"].is_string());

  // More labels asked for than the shortlist size (2): every label still comes back.
  auto all = run_ngame("predict " + out.file("model") + " --input " + data.file("tst_X.txt") + " -k 6 -o " +
                       out.file("all.txt") + " --quiet");
  ASSERT_EQ(all.status, 0) << all.err;
  std::string all_text = testing::read_bytes(out.file("all.txt"));
  std::string second_line = all_text.substr(all_text.find('\n') + 1);
  second_line = second_line.substr(0, second_line.find('\n'));
  EXPECT_EQ(std::count(second_line.begin(), second_line.end(), ':'), 6);

  auto embed = run_ngame("embed " + out.file("model") + " --input " + data.file("Y.txt") + " -o " + out.file("e.bin") + " --quiet");
  EXPECT_EQ(embed.status, 0) << embed.err;

  // Each label text asked for puts its own label first; the rule can be switched off.
  auto own = run_ngame("predict " + out.file("model") + " --input " + data.file("Y.txt") + " -k 1 -o " +
                       out.file("own.txt") + " --quiet");
  ASSERT_EQ(own.status, 0) << own.err;
  std::istringstream own_rows(testing::read_bytes(out.file("own.txt")));
  std::string line;
  std::getline(own_rows, line);  // header
  for (int label = 0; std::getline(own_rows, line); ++label) {
    EXPECT_EQ(line.substr(0, line.find(':')), std::to_string(label)) << "label " << label;
  }
  auto off = run_ngame("predict " + out.file("model") + " --input " + data.file("Y.txt") + " -k 1 -o " +
                       out.file("off.txt") + " --quiet --no-own-text-first");
  EXPECT_EQ(off.status, 0) << off.err;
  // A text of words the model never saw is predicted, with a warning (not silenced by --quiet).
  write_bytes(out.file("unknown.txt"), "zzqx wwvk\n");
  auto unknown = run_ngame("predict " + out.file("model") + " --input " + out.file("unknown.txt") + " -k 2 -o " +
                           out.file("unknown_pred.txt") + " --quiet");
  EXPECT_EQ(unknown.status, 0) << unknown.err;
  EXPECT_NE(unknown.err.find("no word the model was trained on"), std::string::npos) << unknown.err;
}

TEST(CliTrain, SameSeedSameModelAndConfigFile) {
  TempDir data, out;
  write_topic_dataset(data);
  write_bytes(out.file("config.json"), R"({"epochs": 2, "dim": 8, "hidden": 8, "batch-size": 32, "min-count": 1})");
  for (const char* m : {"a", "b"}) {
    auto r = run_ngame("train " + data.str() + " -o " + out.file(m) + " --config " + out.file("config.json") +
                       " --seed 3 --threads 1 --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_EQ(testing::read_bytes(out.file("a/encoder.ngm")), testing::read_bytes(out.file("b/encoder.ngm")));
  // ... and training did something: one epoch fewer from the same seed gives another encoder, and the log holds
  // both epochs.
  auto one = run_ngame("train " + data.str() + " -o " + out.file("one") + " --config " + out.file("config.json") +
                       " --epochs 1 --seed 3 --threads 1 --quiet");
  ASSERT_EQ(one.status, 0) << one.err;
  EXPECT_NE(testing::read_bytes(out.file("a/encoder.ngm")), testing::read_bytes(out.file("one/encoder.ngm")));
  const std::string log = testing::read_bytes(out.file("a/training_log.jsonl"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2) << log;
  auto manifest = nlohmann::json::parse(testing::read_bytes(out.file("a/manifest.json")));
  EXPECT_EQ(manifest["dim"], 8);
  EXPECT_EQ(manifest["settings"]["epochs"], "2");
  // A set this small gets character n-grams unless told otherwise ("auto", or a number).
  EXPECT_EQ(manifest["data"]["timings"]["char_ngram_buckets"], 65536);
  // A flag overrides the config file.
  auto r = run_ngame("train " + data.str() + " -o " + out.file("c") + " --config " + out.file("config.json") +
                     " --dim 12 --threads 1 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(testing::read_bytes(out.file("c/manifest.json")))["dim"], 12);
  EXPECT_EQ(nlohmann::json::parse(testing::read_bytes(out.file("one/manifest.json")))["data"]["timings"]["char_ngram_buckets"],
            65536);
  auto words = run_ngame("train " + data.str() + " -o " + out.file("w") + " --config " + out.file("config.json") +
                         " --char-ngram-buckets 0 --epochs 1 --threads 1 --quiet");
  ASSERT_EQ(words.status, 0) << words.err;
  EXPECT_EQ(nlohmann::json::parse(testing::read_bytes(out.file("w/manifest.json")))["data"]["timings"]["char_ngram_buckets"], 0);
  auto bad_buckets = run_ngame("train " + data.str() + " -o " + out.file("x") + " --char-ngram-buckets many");
  EXPECT_EQ(bad_buckets.status, 2);
  EXPECT_NE(bad_buckets.err.find("--char-ngram-buckets"), std::string::npos) << bad_buckets.err;
  EXPECT_FALSE(std::filesystem::exists(out.file("x")));
  auto huge = run_ngame("train " + data.str() + " -o " + out.file("x") + " --char-ngram-buckets 4294967295");
  EXPECT_EQ(huge.status, 2);  // feature ids would wrap (and the table not fit)
  EXPECT_NE(huge.err.find("2^26"), std::string::npos) << huge.err;
  write_bytes(out.file("bad.json"), R"({"no-such-option": 1})");
  EXPECT_EQ(run_ngame("train " + data.str() + " -o " + out.file("d") + " --config " + out.file("bad.json")).status, 2);
}

TEST(CliTrain, TestLabelsDoNotLeakIntoTheModel) {
  TempDir data, scrambled, out;
  write_topic_dataset(data);
  write_topic_dataset(scrambled);
  // Same training data, test labels shuffled: nothing trained may change.
  std::string truth = testing::read_bytes(data.file("tst_X_Y.txt"));
  std::string header = truth.substr(0, truth.find('\n') + 1);
  std::string body = truth.substr(header.size());
  std::vector<std::string> lines;
  for (size_t p = 0; p < body.size();) {
    size_t e = body.find('\n', p);
    lines.push_back(body.substr(p, e - p));
    p = e + 1;
  }
  std::rotate(lines.begin(), lines.begin() + 7, lines.end());
  std::string shuffled = header;
  for (const auto& l : lines) shuffled += l + "\n";
  ASSERT_NE(shuffled, truth);
  write_bytes(scrambled.file("tst_X_Y.txt"), shuffled);
  for (auto [dir, name] : {std::pair{&data, "a"}, std::pair{&scrambled, "b"}}) {
    auto r = run_ngame("train " + dir->str() + " -o " + out.file(name) + kSmallModel + " --seed 2 --eval-every 2");
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_ngame("predict " + out.file(name) + " --input " + data.file("tst_X.txt") + " -k 6 -o " +
                  out.file(std::string(name) + ".txt") + " --quiet --threads 1");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  EXPECT_TRUE(testing::read_bytes(out.file("a.txt")) == testing::read_bytes(out.file("b.txt")));
  EXPECT_TRUE(testing::read_bytes(out.file("a/classifiers.ngm")) == testing::read_bytes(out.file("b/classifiers.ngm")));
}

TEST(CliTrain, ClassifierGraphIsAChoiceRecordedInTheModel) {
  TempDir data, out;
  write_topic_dataset(data);
  // Default: the classifiers score the other shortlists' candidates and get no graph of their own.
  auto r = run_ngame("train " + data.str() + " -o " + out.file("plain") + kSmallModel + " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  {
    ModelParts model = load_model(out.file("plain"));
    EXPECT_FALSE(model.trained_with_classifier_graph());
    EXPECT_FALSE(model.classifiers.empty());
    EXPECT_EQ(model.classifier_index, nullptr);
    ModelLoadOptions with_graph;
    with_graph.classifier_graph = true;
    ModelParts forced = load_model(out.file("plain"), with_graph);
    ASSERT_NE(forced.classifier_index, nullptr);
    EXPECT_EQ(forced.classifier_index->size(), forced.label_count());
  }
  // What each choice changes is asserted on a larger label set in GeneratedDatasetTrainsAboveAFloor.
  r = run_ngame("predict " + out.file("plain") + " --input " + data.file("tst_X.txt") + " -k 3 -o " +
                out.file("p.txt") + " --quiet --classifier-graph sometimes");
  EXPECT_EQ(r.status, 2);
  // M4 alone ranks its own graph's shortlist, built at load for a model trained without one.
  r = run_ngame("predict " + out.file("plain") + " --input " + data.file("tst_X.txt") + " -k 3 -o " +
                out.file("m4.txt") + " --quiet --only classifier");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_ngame("eval --pred " + out.file("m4.txt") + " --truth " + data.file("tst_X_Y.txt") + " --train " +
                data.file("trn_X_Y.txt") + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(nlohmann::json::parse(r.out)["P@1"].get<double>(), 50.0);
  // --classifier-graph at training: the reference's second index, recorded and used on load.
  r = run_ngame("train " + data.str() + " -o " + out.file("graph") + kSmallModel + " --classifier-graph --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  ModelParts model = load_model(out.file("graph"));
  EXPECT_TRUE(model.trained_with_classifier_graph());
  ASSERT_NE(model.classifier_index, nullptr);
  EXPECT_EQ(model.classifier_index->size(), model.label_count());
}

TEST(CliTrain, LargeInputsArePredictedInChunksWithTheSameRows) {
  TempDir data, out;
  write_topic_dataset(data);
  auto r = run_ngame("train " + data.str() + " -o " + out.file("m") + kSmallModel + " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  // More texts than one chunk (kPredictChunkTexts): the rows of the second chunk must equal a prediction of those
  // texts alone.
  const std::string test = testing::read_bytes(data.file("tst_X.txt"));
  std::vector<std::string> lines;
  for (size_t a = 0, b; (b = test.find('\n', a)) != std::string::npos; a = b + 1) lines.push_back(test.substr(a, b - a));
  ASSERT_FALSE(lines.empty());
  const size_t total = kPredictChunkTexts + 100;
  std::string all, tail;
  for (size_t i = 0; i < total; ++i) {
    const std::string line = lines[(i * 7) % lines.size()] + "\n";
    all += line;
    if (i >= kPredictChunkTexts) tail += line;
  }
  testing::write_bytes(out.file("all.txt"), all);
  testing::write_bytes(out.file("tail.txt"), tail);
  for (const char* name : {"all", "tail"}) {
    r = run_ngame("predict " + out.file("m") + " --input " + out.file(std::string(name) + ".txt") + " -k 3 -o " +
                  out.file(std::string(name) + ".pred") + " --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  const std::string whole = testing::read_bytes(out.file("all.pred")), part = testing::read_bytes(out.file("tail.pred"));
  // Skip the headers ("rows labels"), then the first kPredictChunkTexts rows of the whole file.
  size_t at = whole.find('\n') + 1;
  for (size_t i = 0; i < kPredictChunkTexts; ++i) at = whole.find('\n', at) + 1;
  EXPECT_EQ(whole.substr(at), part.substr(part.find('\n') + 1));
  EXPECT_EQ(whole.substr(0, whole.find('\n')), std::to_string(total) + " 6");
}

TEST(CliTrain, GeneratedDatasetTrainsAboveAFloor) {
  TempDir out;
  auto r = run_ngame("data synth -o " + out.file("syn") + " --docs 4000 --labels 800 --seed 3 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_ngame("train " + out.file("syn") + " -o " + out.file("m") +
                " --epochs 8 --dim 32 --hidden 32 --batch-size 256 --curriculum 3,5 --clf-epochs 3 --quiet --threads 2"
                " --validation-max-rows 60 --memory-max-docs 1000");
  ASSERT_EQ(r.status, 0) << r.err;
  // 5% of 4,000 rows would be 200: the cap shrinks the fraction to 60 / 4,000 (a hash of the row: about 60).
  const auto fusion = nlohmann::json::parse(testing::read_bytes(out.file("m/fusion.json")));
  EXPECT_GT(fusion["validation_rows"].get<int>(), 30);
  EXPECT_LT(fusion["validation_rows"].get<int>(), 90);
  // About 3,940 documents are eligible for the memory; a fixed sample of about 1,000 is kept.
  const ModelParts model = load_model(out.file("m"));
  EXPECT_GT(model.memory_labels.rows, 800u);
  EXPECT_LT(model.memory_labels.rows, 1200u);
  EXPECT_EQ(model.memory_embeddings.size(), model.memory_labels.rows * model.encoder->dim());
  r = run_ngame("eval --pred " + out.file("m/test_predictions.txt") + " --truth " + out.file("syn/tst_X_Y.txt") +
                " --train " + out.file("syn/trn_X_Y.txt") + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const double p1 = nlohmann::json::parse(r.out)["P@1"].get<double>();
  EXPECT_GT(p1, 50.0) << r.out;  // chance is far below 1%; the full-size defaults reach 84 at 20K / 10K
  // The label graph walked with and without lexical seeds (--ann hnsw: 800 labels would get exact search).
  EXPECT_EQ(fusion["graph_seeds"].get<int>(), 16);
  // 800 labels: the shortlist and search breadth below kLargeLabelCount, recorded for prediction.
  EXPECT_EQ(fusion["shortlist"].get<int>(), 100);
  EXPECT_EQ(fusion["hnsw_ef_search"].get<int>(), 100);
  // A narrow walk (breadth 5, embedding scorer alone) shows what the seeds are for: starting next to the labels that
  // share the text's words finds better labels than starting from the graph's entry point alone.
  std::map<std::string, double> p5;
  for (const std::string seeds : {"16", "0"}) {
    r = run_ngame("predict " + out.file("m") + " --input " + out.file("syn/tst_X.txt") + " -k 5 -o " +
                  out.file("p" + seeds) + " --ann hnsw --graph-seeds " + seeds +
                  " --hnsw-ef-search 5 --shortlist 5 --only embedding --quiet --threads 2");
    ASSERT_EQ(r.status, 0) << r.err;
    r = run_ngame("eval --pred " + out.file("p" + seeds) + " --truth " + out.file("syn/tst_X_Y.txt") + " --train " +
                  out.file("syn/trn_X_Y.txt") + " --json --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    p5[seeds] = nlohmann::json::parse(r.out)["P@5"].get<double>();
    EXPECT_GT(nlohmann::json::parse(r.out)["P@1"].get<double>(), 40.0) << seeds << r.out;
  }
  EXPECT_NE(testing::read_bytes(out.file("p16")), testing::read_bytes(out.file("p0")));
  EXPECT_GT(p5["16"], p5["0"]);
  // --classifier-graph: "on" adds the classifiers' own shortlist to the candidates (visible once k exceeds the
  // fused candidates of a narrow shortlist), "model" follows the training (here: no graph), "off" has none.
  for (const std::string choice : {"on", "off", "model"}) {
    r = run_ngame("predict " + out.file("m") + " --input " + out.file("syn/tst_X.txt") + " -k 60 -o " +
                  out.file("g-" + choice) + " --shortlist 5 --classifier-graph " + choice + " --quiet --threads 2");
    ASSERT_EQ(r.status, 0) << choice << r.err;
  }
  // A scorer the fusion gave no weight (for candidates with training rows or, where fitted, without) brings no
  // candidates of its own (which weights the fit picks varies with the training's floats): then "on" can change
  // nothing.
  const auto& weights = fusion["weights"];
  const bool classifier_weighed = weights["classifier"].get<double>() != 0 ||
                                  (weights.contains("unseen") && weights["unseen"]["classifier"].get<double>() != 0);
  if (classifier_weighed) {
    EXPECT_NE(testing::read_bytes(out.file("g-on")), testing::read_bytes(out.file("g-off")));
  } else {
    EXPECT_EQ(testing::read_bytes(out.file("g-on")), testing::read_bytes(out.file("g-off")));
  }
  EXPECT_EQ(testing::read_bytes(out.file("g-model")), testing::read_bytes(out.file("g-off")));
  r = run_ngame("predict " + out.file("m") + " --input " + out.file("syn/tst_X.txt") + " -k 5 -o " +
                out.file("bad") + " --graph-seeds many --quiet");
  EXPECT_EQ(r.status, 2) << r.err;
}

TEST(CliTrain, BrokenModelsExitTwo) {
  TempDir data, out;
  write_topic_dataset(data);
  ASSERT_EQ(run_ngame("train " + data.str() + " -o " + out.file("m") + " --epochs 1 --dim 8 --hidden 0 --quiet").status, 0);
  std::string bytes = testing::read_bytes(out.file("m/encoder.ngm"));
  bytes[bytes.size() - 20] ^= 0x10;
  write_bytes(out.file("m/encoder.ngm"), bytes);
  auto r = run_ngame("predict " + out.file("m") + " --input " + data.file("tst_X.txt") + " -o " + out.file("p.txt"));
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("encoder.ngm: checksum differs"), std::string::npos) << r.err;
  auto missing = run_ngame("predict " + out.file("nothing") + " --input " + data.file("tst_X.txt") + " -o " + out.file("p.txt"));
  EXPECT_EQ(missing.status, 2);
}

}  // namespace
}  // namespace ngame
