// End-to-end runs of the ngame binary: exit codes, "FILE:LINE: problem" messages, usage on bad options.
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace ngame {
namespace {

using testing::run_ngame;
using testing::TempDir;
using testing::write_bytes;

struct Fixture {
  TempDir dir;
  Fixture() {
    write_bytes(dir.file("truth.txt"), "2 5\n0:1 3:1\n4:1\n");
    write_bytes(dir.file("train.txt"), "3 5\n0:1\n1:1 3:1\n4:1\n");
    write_bytes(dir.file("pred.txt"), "2 5\n0:0.9 1:0.5\n4:0.7\n");
  }
  std::string eval_args(const std::string& pred) const {
    return "eval --pred " + pred + " --truth " + dir.file("truth.txt") + " --train " + dir.file("train.txt");
  }
};

TEST(Cli, EvalPrintsTableAndJson) {
  Fixture f;
  auto table = run_ngame(f.eval_args(f.dir.file("pred.txt")) + " --k 3");
  ASSERT_EQ(table.status, 0) << table.err;
  EXPECT_NE(table.out.find("P "), std::string::npos);
  EXPECT_NE(table.out.find("100.00"), std::string::npos);  // both rows hit at @1
  auto json = run_ngame(f.eval_args(f.dir.file("pred.txt")) + " --json --quiet");
  ASSERT_EQ(json.status, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_DOUBLE_EQ(j["P@1"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(j["R@5"].get<double>(), 75.0);
}

TEST(Cli, EvalCountsLabelsAddedToTheModelAsNeverRelevant) {
  Fixture f;
  // Label 5 was added to the model after training: the dataset has no column for it, and it ranks first in row 0.
  write_bytes(f.dir.file("added.txt"), "2 6\n5:0.95 0:0.9 1:0.5\n4:0.7\n");
  auto r = run_ngame(f.eval_args(f.dir.file("added.txt")) + " --json --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(j["P@1"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(j["P@2"].get<double>(), 50.0);
}

struct BadFileCase {
  const char* name;
  const char* content;
  const char* location;  // expected ":LINE:" suffix after the file name
};

void PrintTo(const BadFileCase& c, std::ostream* os) { *os << c.name; }

class CliBadPredictionFile : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(CliBadPredictionFile, ExitsTwoWithFileAndLine) {
  Fixture f;
  const BadFileCase& c = GetParam();
  write_bytes(f.dir.file("bad.txt"), c.content);
  auto r = run_ngame(f.eval_args(f.dir.file("bad.txt")));
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.rfind("ngame: error: " + f.dir.file("bad.txt") + c.location, 0), 0u) << r.err;
  EXPECT_EQ(r.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    AllClasses, CliBadPredictionFile,
    ::testing::Values(BadFileCase{"missing_header", "", ":1: missing header"},
                      BadFileCase{"non_numeric_header", "2 five\n", ":1: header must be"},
                      BadFileCase{"fewer_rows", "2 5\n0:1\n", ":3: fewer rows"},
                      BadFileCase{"more_rows", "2 5\n0:1\n1:1\n2:1\n", ":4: more rows"},
                      BadFileCase{"id_too_large", "2 5\n0:1\n5:1\n", ":3: label id 5 out of range"},
                      BadFileCase{"negative_id", "2 5\n-3:1\n1:1\n", ":2: negative label id"},
                      BadFileCase{"duplicate_id", "2 5\n1:1 1:0.5\n\n", ":2: duplicate label id 1"},
                      BadFileCase{"non_numeric_value", "2 5\n1:high\n\n", ":2: value is not a number"},
                      BadFileCase{"garbage_after_pair", "2 5\n1:0.5;\n\n", ":2: garbage after the value"},
                      BadFileCase{"shape_mismatch", "2 4\n0:1\n\n", ":1: shape 2 x 4 does not match"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Cli, FilterPairOutOfRange) {
  Fixture f;
  write_bytes(f.dir.file("filter.txt"), "0 1\n2 1\n");
  auto r = run_ngame(f.eval_args(f.dir.file("pred.txt")) + " --filter " + f.dir.file("filter.txt"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("ngame: error: " + f.dir.file("filter.txt") + ":2: row 2 out of range", 0), 0u) << r.err;
}

TEST(Cli, InvalidUtf8InADatasetText) {
  TempDir d;
  write_bytes(d.file("Y.txt"), "a\nb\n");
  write_bytes(d.file("trn_X.txt"), "fine\nbroken \xc3\x28 text\n");
  write_bytes(d.file("trn_X_Y.txt"), "2 2\n0:1\n1:1\n");
  auto r = run_ngame("data stats " + d.str());
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("ngame: error: " + d.file("trn_X.txt") + ":2: invalid UTF-8", 0), 0u) << r.err;
}

TEST(Cli, ImpossibleMatrixHeaderExitsTwoNamingTheFile) {
  TempDir d;
  write_bytes(d.file("Y.txt"), "a\nb\n");
  write_bytes(d.file("trn_X.txt"), "one\ntwo\n");
  write_bytes(d.file("trn_X_Y.txt"), "1000000000000 2\n0:1\n1:1\n");
  auto r = run_ngame("data stats " + d.str());
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(r.err.rfind("ngame: error: " + d.file("trn_X_Y.txt") + ":1: header says 1000000000000 rows", 0), 0u)
      << r.err;
}

TEST(Cli, MissingFile) {
  Fixture f;
  auto r = run_ngame(f.eval_args("/nonexistent/pred.txt"));
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err.rfind("ngame: error: /nonexistent/pred.txt: cannot open", 0), 0u) << r.err;
}

TEST(Cli, UnknownOptionAndMissingArgumentPrintUsage) {
  Fixture f;
  auto unknown = run_ngame(f.eval_args(f.dir.file("pred.txt")) + " --no-such-option");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("--no-such-option"), std::string::npos) << unknown.err;
  EXPECT_NE(unknown.err.find("Usage:"), std::string::npos);
  auto missing = run_ngame("data stats");
  EXPECT_EQ(missing.status, 2);
  EXPECT_NE(missing.err.find("dir is required"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("Usage:"), std::string::npos);
  auto no_command = run_ngame("");
  EXPECT_EQ(no_command.status, 2);
  auto bad_value = run_ngame(f.eval_args(f.dir.file("pred.txt")) + " --k zero");
  EXPECT_EQ(bad_value.status, 2);
  // An unsigned option given a negative number is refused, not wrapped to 2^64 - 1 (which would ask for one-vs-rest
  // negatives at any scale).
  auto negative = run_ngame("train " + f.dir.str() + " -o " + f.dir.file("m") + " --sparse-one-vs-rest-pairs -1");
  EXPECT_EQ(negative.status, 2);
  EXPECT_NE(negative.err.find("--sparse-one-vs-rest-pairs"), std::string::npos) << negative.err;
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("m")));
}

TEST(Cli, HelpExitsZero) {
  auto r = run_ngame("eval --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--threads"), std::string::npos);
  EXPECT_NE(r.out.find("--seed"), std::string::npos);
}

TEST(Cli, DataStatsSummarisesTheSharedWordnetSet) {
  const std::string shared = testing::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared not present";
  auto r = run_ngame("data stats " + shared + "/data/wordnet-hypernym-d2");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("labels seen only in test   1266"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ngame
