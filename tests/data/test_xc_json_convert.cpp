#include "data/xc_json_convert.h"

#include <zlib.h>

#include "core/error.h"
#include "data/dataset.h"
#include "test_util.h"

namespace ngame {
namespace {

using testing::TempDir;

void write_gz(const std::string& path, const std::string& text) {
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
  gzclose(gz);
}

void write_raw_dataset(const TempDir& src) {
  write_gz(src.file("lbl.json.gz"),
           R"({"uid":"L0","title":"red shoes","content":"footwear"})" "\n"
           R"({"uid":"L1","title":"blue hat","content":"headwear"})" "\n"
           R"({"uid":"L2","title":"green\tscarf","content":""})" "\n");
  write_gz(src.file("trn.json.gz"),
           R"({"uid":"D0","title":"running shoes red","content":"great for sport","target_ind":[2,0],"target_rel":[1.0,0.5]})" "\n"
           R"({"uid":"D1","title":"winter hat","content":"warm","target_ind":[1],"target_rel":[1.0]})" "\n");
  write_gz(src.file("tst.json.gz"),
           R"({"uid":"D2","title":"scarf","content":"wool","target_ind":[],"target_rel":[]})" "\n");
}

TEST(XcJsonConvert, WritesTheTextLayout) {
  TempDir src, out;
  write_raw_dataset(src);
  XcJsonConvertSummary s = convert_xc_json({src.str(), out.str(), TextFields::kTitle});
  EXPECT_EQ(s.labels, 3u);
  EXPECT_EQ(s.train_rows, 2u);
  EXPECT_EQ(s.test_rows, 1u);
  EXPECT_EQ(testing::read_bytes(out.file("Y.txt")), "red shoes\nblue hat\ngreen scarf\n");
  EXPECT_EQ(testing::read_bytes(out.file("trn_X_Y.txt")), "2 3\n0:0.5 2:1\n1:1\n");
  EXPECT_EQ(testing::read_bytes(out.file("trn_X.ids.txt")), "D0\nD1\n");
  Dataset data = load_dataset(out.str());
  EXPECT_EQ(data.test->labels.row_size(0), 0u);

  TempDir out2;
  convert_xc_json({src.str(), out2.str(), TextFields::kTitleAndContent});
  EXPECT_EQ(testing::read_bytes(out2.file("trn_X.txt")), "running shoes red great for sport\nwinter hat warm\n");
}

TEST(XcJsonConvert, BadRecordsNameFileAndLine) {
  TempDir src, out;
  write_raw_dataset(src);
  write_gz(src.file("trn.json.gz"),
           R"({"uid":"D0","title":"ok","target_ind":[0]})" "\n"
           R"({"uid":"D1","title":"bad","target_ind":[7]})" "\n");
  try {
    convert_xc_json({src.str(), out.str(), TextFields::kTitle});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), src.file("trn.json.gz"));
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(e.problem().find("out of range"), std::string::npos);
  }
  write_gz(src.file("trn.json.gz"), "{not json\n");
  EXPECT_THROW(convert_xc_json({src.str(), out.str(), TextFields::kTitle}), InputError);
  write_gz(src.file("trn.json.gz"), R"({"uid":"D0","title":"   ","target_ind":[0]})" "\n");
  EXPECT_THROW(convert_xc_json({src.str(), out.str(), TextFields::kTitle}), InputError);
  write_gz(src.file("trn.json.gz"), R"({"uid":"D0","title":"no targets"})" "\n");
  EXPECT_THROW(convert_xc_json({src.str(), out.str(), TextFields::kTitle}), InputError);
}

}  // namespace
}  // namespace ngame
