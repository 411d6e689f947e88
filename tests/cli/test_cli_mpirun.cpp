// `mpirun -np N ngame train|predict`: the distributed command line against one process (skipped when the build has
// no MPI). mpirun runs with --oversubscribe (more ranks than cores) and --allow-run-as-root (CI runs as root).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "model/model_store.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::run_ngame;
using testing::TempDir;

// Runs `mpirun -np ranks ngame args` (or an MPMD line when args holds " : ").
testing::CliResult run_mpirun(int ranks, const std::string& args) {
#ifndef NGAME_MPIRUN
  (void)ranks;
  (void)args;
  return {};
#else
  TempDir tmp;
  const std::string out = tmp.file("stdout"), err = tmp.file("stderr");
  // A hang fails the test instead of blocking the suite.
  const std::string cmd = "timeout 300 " + std::string(NGAME_MPIRUN) + " --allow-run-as-root --oversubscribe -np " +
                          std::to_string(ranks) + " " + NGAME_BINARY + " " + args + " >" + out + " 2>" + err +
                          " </dev/null";
  const int raw = std::system(cmd.c_str());
  testing::CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = testing::read_bytes(out);
  r.err = testing::read_bytes(err);
  return r;
#endif
}

class Mpirun : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef NGAME_MPIRUN
    GTEST_SKIP() << "built without MPI (libopenmpi-dev)";
#endif
  }
};

double test_p1(const TempDir& dir, const std::string& model) {
  auto r = run_ngame("eval --pred " + dir.file(model + "/test_predictions.txt") + " --truth " +
                     dir.file("syn/tst_X_Y.txt") + " --train " + dir.file("syn/trn_X_Y.txt") + " --json --quiet");
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? nlohmann::json::parse(r.out)["P@1"].get<double>() : -1.0;
}

TEST_F(Mpirun, TwoRanksTrainAModelAsGoodAsOneProcess) {
  TempDir dir;
  auto r = run_ngame("data synth -o " + dir.file("syn") + " --docs 4000 --labels 800 --seed 3 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string settings =
      " --epochs 8 --dim 32 --hidden 32 --batch-size 128 --curriculum 3,5 --clf-epochs 3 --validation-max-rows 60";
  r = run_ngame("train " + dir.file("syn") + " -o " + dir.file("one") + settings + " --threads 2 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mpirun(2, "train " + dir.file("syn") + " -o " + dir.file("two") + settings + " --threads 1");
  ASSERT_EQ(r.status, 0) << r.err;
  // Rank 0 logs; the exchange is reported per epoch.
  EXPECT_NE(r.err.find("exchanged"), std::string::npos) << r.err;
  // The same format: the single-process loader reads it, and it records the ranks that trained it.
  const ModelParts two = load_model(dir.file("two"));
  EXPECT_EQ(two.label_count(), 800u);
  EXPECT_EQ(two.manifest["data"]["timings"]["ranks"].get<int>(), 2);
  EXPECT_GT(two.manifest["data"]["timings"]["encoder_bytes_sent_rank0"].get<uint64_t>(), 0u);
  // Tolerance: the two runs see different batches (twice the rows a step, half the steps); on this set seeds alone
  // move P@1 by about a point.
  const double one_p1 = test_p1(dir, "one"), two_p1 = test_p1(dir, "two");
  EXPECT_GT(one_p1, 50.0);
  EXPECT_NEAR(two_p1, one_p1, 4.0);
}

TEST_F(Mpirun, SparseClassifiersSplitByLabelsEqualOneProcesssOnTheSameEncoder) {
  // More training rows than one mining chunk (16,384), so that both ranks mine rows and train labels.
  TempDir dir;
  auto r = run_ngame("data synth -o " + dir.file("syn") + " --docs 17000 --labels 300 --seed 5 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mpirun(2, "train " + dir.file("syn") + " -o " + dir.file("two") +
                        " --epochs 2 --dim 16 --hidden 16 --clf-epochs 1 --validation-max-rows 100 --threads 1"
                        " --sparse-one-vs-rest-pairs 0 --char-ngram-buckets 0");
  ASSERT_EQ(r.status, 0) << r.err;
  // One process retrains the sparse classifiers on the 2-rank model's encoder: the same bytes.
  std::filesystem::copy(dir.file("two"), dir.file("one"), std::filesystem::copy_options::recursive);
  r = run_ngame("train " + dir.file("syn") + " -o " + dir.file("one") + " --stage sparse --epochs 2 --dim 16 --hidden 16"
                " --clf-epochs 1 --validation-max-rows 100 --threads 2 --quiet --sparse-one-vs-rest-pairs 0"
                " --char-ngram-buckets 0");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string one_sparse;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("one"))) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("sparse", 0) == 0) one_sparse = entry.path().string();
  }
  ASSERT_FALSE(one_sparse.empty());
  const std::string two = testing::read_bytes(dir.file("two/sparse.ngm"));
  EXPECT_GT(two.size(), 1000u);
  EXPECT_EQ(testing::read_bytes(one_sparse), two);
}

TEST_F(Mpirun, PredictionAcrossRanksIsByteIdentical) {
  TempDir dir;
  testing::write_topic_dataset(dir);
  auto r = run_ngame("train " + dir.str() + " -o " + dir.file("m") + " --epochs 3 --dim 16 --hidden 16 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  // More texts than one chunk of the predictor (16,384), so that both ranks predict some.
  const std::string tests = testing::read_bytes(dir.file("tst_X.txt"));
  std::string many;
  while (std::count(many.begin(), many.end(), '\n') < 40000) many += tests;
  testing::write_bytes(dir.file("many.txt"), many);
  for (const std::string format : {"xc", "jsonl"}) {
    r = run_ngame("predict " + dir.file("m") + " --input " + dir.file("many.txt") + " -k 4 --format " + format +
                  " -o " + dir.file("one." + format) + " --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    for (int ranks : {2, 3}) {
      const std::string out = dir.file(std::to_string(ranks) + "." + format);
      r = run_mpirun(ranks, "predict " + dir.file("m") + " --input " + dir.file("many.txt") + " -k 4 --format " +
                                format + " -o " + out + " --threads 1 --quiet");
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(testing::read_bytes(out), testing::read_bytes(dir.file("one." + format))) << ranks << " ranks";
    }
  }
  // Fewer texts than ranks' chunks: the ranks without texts still take part.
  r = run_mpirun(3, "predict " + dir.file("m") + " --input " + dir.file("tst_X.txt") + " -k 4 -o " +
                        dir.file("few.txt") + " --threads 1 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_ngame("predict " + dir.file("m") + " --input " + dir.file("tst_X.txt") + " -k 4 -o " + dir.file("few1.txt") +
                " --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(testing::read_bytes(dir.file("few.txt")), testing::read_bytes(dir.file("few1.txt")));
}

TEST_F(Mpirun, AFailingRankEndsEveryRankAndLeavesNoModel) {
  TempDir dir;
  testing::write_topic_dataset(dir);
  // MPMD: rank 0 gets a good dataset, rank 1 a folder that does not exist.
  auto r = run_mpirun(1, "train " + dir.str() + " -o " + dir.file("m") + " --epochs 2 --quiet : -np 1 " +
                             NGAME_BINARY + " train " + dir.file("missing") + " -o " + dir.file("m") +
                             " --epochs 2 --quiet");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("missing: not a dataset folder"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m")));
  // Prediction whose input one rank cannot read.
  r = run_ngame("train " + dir.str() + " -o " + dir.file("good") + " --epochs 2 --dim 16 --hidden 16 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mpirun(1, "predict " + dir.file("good") + " --input " + dir.file("tst_X.txt") + " -o " + dir.file("p") +
                        " --quiet : -np 1 " + NGAME_BINARY + " predict " + dir.file("good") + " --input " +
                        dir.file("absent.txt") + " -o " + dir.file("p") + " --quiet");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("absent.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("p")));
}

TEST_F(Mpirun, OtherCommandsRefuseSeveralRanks) {
  TempDir dir;
  testing::write_topic_dataset(dir);
  auto r = run_mpirun(2, "data stats " + dir.str());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("only train and predict run across"), std::string::npos) << r.err;
  // --stage other than all/encoder needs one process.
  r = run_mpirun(2, "train " + dir.str() + " -o " + dir.file("m") + " --stage fusion --quiet");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("runs in one process"), std::string::npos) << r.err;
  // One rank under mpirun is one process: it trains as plain `ngame train` does.
  r = run_mpirun(1, "train " + dir.str() + " -o " + dir.file("solo") + " --epochs 2 --dim 16 --hidden 16 --quiet");
  EXPECT_EQ(r.status, 0) << r.err;
  r = run_ngame("train " + dir.str() + " -o " + dir.file("plain") + " --epochs 2 --dim 16 --hidden 16 --quiet");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(testing::read_bytes(dir.file("solo/test_predictions.txt")),
            testing::read_bytes(dir.file("plain/test_predictions.txt")));
}

}  // namespace
}  // namespace ngame
