// The public API (include/ngame/ngame.h) end to end on a generated dataset: train, save, reopen with a label log to
// replay, per-call search settings, training as separate stages, datasets from memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "core/runtime.h"
#include "data/synthetic_dataset.h"
#include "ngame/ngame.h"
#include "small_training.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::make_corpus;
using testing::small_train_config;
using testing::TempDir;


bool same(const SparseMatrix& a, const SparseMatrix& b) {
  return a.rows == b.rows && a.cols == b.cols && a.indptr == b.indptr && a.indices == b.indices && a.values == b.values;
}

class ModelApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_thread_count(1);
    data_dir_ = new TempDir;
    SyntheticDatasetConfig s;
    s.output_dir = data_dir_->str();
    s.docs = 3000;
    s.test_docs = 400;
    s.labels = 300;
    s.seed = 5;
    build_synthetic_dataset(s);
    data_ = new Dataset(load_dataset(data_dir_->str()));
    model_dir_ = new TempDir;
    Model model = train(*data_, small_train_config());
    trained_ = new SparseMatrix(model.predict(data_->test->texts, 10));
    model.save(model_dir_->file("model"));
  }
  static void TearDownTestSuite() {
    delete trained_;
    delete data_;
    delete model_dir_;
    delete data_dir_;
  }
  static std::string model_path() { return model_dir_->file("model"); }
  static TempDir* data_dir_;
  static TempDir* model_dir_;
  static Dataset* data_;
  static SparseMatrix* trained_;
};
TempDir* ModelApi::data_dir_ = nullptr;
TempDir* ModelApi::model_dir_ = nullptr;
Dataset* ModelApi::data_ = nullptr;
SparseMatrix* ModelApi::trained_ = nullptr;

TEST_F(ModelApi, TrainsSavesReopensAndPredictsTheSameRows) {
  EXPECT_EQ(trained_->rows, data_->test->texts.size());
  EXPECT_EQ(trained_->cols, data_->label_count());
  const Evaluation e = evaluate(*trained_, data_->test->labels, data_->train.labels, nullptr, {});
  EXPECT_GT(e.metrics.precision[0], 0.3) << e.json();  // learnt something (a random ranking scores about 0.02)
  const Model reopened = Model::open(model_path());
  EXPECT_TRUE(same(reopened.predict(data_->test->texts, 10), *trained_));
  EXPECT_EQ(reopened.label_count(), data_->label_count());
  EXPECT_EQ(reopened.trained_label_count(), data_->label_count());
}

TEST_F(ModelApi, AddedLabelsAreLoggedReplayedAndFoundByTheirText) {
  TempDir copy;
  std::filesystem::copy(model_path(), copy.file("model"));
  const std::string dir = copy.file("model");
  const size_t n = data_->label_count();
  const std::string text = std::string(data_->label_texts[0]) + " " + std::string(data_->label_texts[1]);
  {
    Model model = Model::open(dir);
    const AddedLabels added = model.add_labels(make_corpus({text, "second added label"}));
    EXPECT_EQ(added.first_id, n);
    EXPECT_EQ(added.count, 2u);
    EXPECT_EQ(model.pending_labels(), 2u);
    EXPECT_TRUE(std::filesystem::file_size(dir + "/labels.wal") > 0);  // logged, not compacted
    EXPECT_THROW(model.add_labels(make_corpus({""})), InputError);
  }
  // The next open replays the log: the labels are there, with their ids and texts.
  const Model reopened = Model::open(dir);
  ASSERT_EQ(reopened.label_count(), n + 2);
  EXPECT_EQ(reopened.trained_label_count(), n);
  EXPECT_EQ(reopened.label_text(n), text);
  SearchParams by_embedding;
  by_embedding.only = "embedding";
  const SparseMatrix own = reopened.predict(make_corpus({text}), 5, by_embedding);
  EXPECT_EQ(own.indices[0], n);  // its embedding is its text's
  // Rows of the original labels are unchanged where the new labels do not enter the top 10.
  const SparseMatrix again = reopened.predict(data_->test->texts, 10);
  size_t equal = 0;
  for (uint64_t r = 0; r < again.rows; ++r) {
    equal += std::equal(again.row_indices(r).begin(), again.row_indices(r).end(), trained_->row_indices(r).begin(),
                        trained_->row_indices(r).end());
  }
  EXPECT_GT(equal, again.rows * 9 / 10);
  // The label of words the model never saw carries no evidence about other texts (its vector is zero): it stays
  // out of their top 10s.
  size_t unknown_word_label = 0;
  for (uint64_t r = 0; r < again.rows; ++r) {
    const auto row = again.row_indices(r);
    unknown_word_label += std::count(row.begin(), row.end(), static_cast<uint32_t>(n + 1));
  }
  EXPECT_LT(unknown_word_label, again.rows / 50);
}

TEST_F(ModelApi, LabelsAddedFromTextsAreFirstForTheirOwnText) {
  // The serving benchmark's recipe: test texts become labels; each is then asked for with its own text, to which
  // trained labels are relevant too.
  TempDir copy;
  std::filesystem::copy(model_path(), copy.file("model"));
  Model model = Model::open(copy.file("model"));
  const size_t n = model.label_count();
  TextCorpus texts;
  for (size_t i = 0; i < 20; ++i) texts.push_back(data_->test->texts[i * 17]);
  model.add_labels(texts);
  const SparseMatrix top = model.predict(texts, 3);
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(top.row_indices(i)[0], n + i) << "text " << i;
}

TEST_F(ModelApi, SearchSettingsArePerCallAndLeaveTheModelAlone) {
  OpenOptions graphs;
  graphs.ann = "hnsw";  // graphs even for this small model, so that breadth matters
  const Model model = Model::open(model_path(), graphs);
  const SparseMatrix base = model.predict(data_->test->texts, 10);
  SearchParams narrow;
  narrow.ef_search = 1;
  narrow.memory_ef_search = 1;
  narrow.shortlist = 1;
  narrow.graph_seeds = 0;
  const SparseMatrix narrowed = model.predict(data_->test->texts, 10, narrow);
  EXPECT_FALSE(same(narrowed, base));
  SearchParams alone;
  alone.only = "embedding";
  EXPECT_FALSE(same(model.predict(data_->test->texts, 10, alone), base));
  EXPECT_TRUE(same(model.predict(data_->test->texts, 10), base));  // nothing was left changed
  // Two threads at different breadths at once each get their own answer.
  SparseMatrix a, b;
  std::thread first([&] {
    for (int i = 0; i < 3; ++i) a = model.predict(data_->test->texts, 10);
  });
  std::thread second([&] {
    for (int i = 0; i < 3; ++i) b = model.predict(data_->test->texts, 10, narrow);
  });
  first.join();
  second.join();
  EXPECT_TRUE(same(a, base));
  EXPECT_TRUE(same(b, narrowed));
  SearchParams bad;
  bad.only = "nonsense";
  EXPECT_THROW(model.predict(data_->test->texts, 10, bad), UsageError);
}

TEST_F(ModelApi, StagesRunOneByOneGiveTheSameModelAndARefitIsRepeatable) {
  TrainingRun run(*data_, small_train_config());
  run.train_encoder();
  run.train_classifiers();
  run.train_sparse_classifiers();
  run.fit_fusion();
  const FusionRecord fusion = *run.model().fusion;
  run.fit_fusion();  // rerun a stage: the same validation rows, the same weights
  EXPECT_EQ(run.model().fusion->weights.weight, fusion.weights.weight);
  EXPECT_EQ(run.model().fusion->to_json(), fusion.to_json());
  const Model model(std::move(run.model()));
  EXPECT_TRUE(same(model.predict(data_->test->texts, 10), *trained_));
}

TEST(Dataset, FromMemoryIsCheckedFieldByField) {
  SparseMatrix labels;
  labels.cols = 2;
  labels.append_row(std::vector<uint32_t>{0}, std::vector<float>{1});
  labels.append_row(std::vector<uint32_t>{1}, std::vector<float>{1});
  const Dataset ok = make_dataset({"red apple", "green pear"}, labels, {"apple", "pear"});
  EXPECT_EQ(ok.train.texts.size(), 2u);
  EXPECT_EQ(ok.label_count(), 2u);
  auto message = [](auto&& make) {
    try {
      make();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  {
    const std::string m = message([&] { make_dataset({"red apple"}, labels, {"apple", "pear"}); });
    EXPECT_NE(m.find("labels"), std::string::npos) << m;
    EXPECT_NE(m.find("shape 2 x 2, expected 1 x 2"), std::string::npos) << m;
  }
  {
    const std::string m = message([&] { make_dataset({"red apple", " "}, labels, {"apple", "pear"}); });
    EXPECT_NE(m.find("texts[1]"), std::string::npos) << m;
  }
  {
    SparseMatrix wide = labels;
    wide.indices[1] = 7;
    const std::string m = message([&] { make_dataset({"red apple", "green pear"}, wide, {"apple", "pear"}); });
    EXPECT_NE(m.find("label 7 out of range"), std::string::npos) << m;
  }
  {
    const std::string m = message([&] { make_dataset({"red apple", "green \xff pear"}, labels, {"apple", "pear"}); });
    EXPECT_NE(m.find("UTF-8"), std::string::npos) << m;
  }
}

}  // namespace
}  // namespace ngame
