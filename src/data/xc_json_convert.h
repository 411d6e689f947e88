#pragma once
// Converts the XC Repository's raw JSON-lines files (trn/tst/lbl.json.gz) into the text + sparse layout.
#include <string>

namespace ngame {

/// Which raw fields make a text.
enum class TextFields { kTitle, kTitleAndContent };

/// Options of `ngame data convert`.
struct XcJsonConvertConfig {
  std::string source_dir;  ///< holds lbl.json[.gz], trn.json[.gz] and optionally tst.json[.gz]
  std::string output_dir;  ///< created if missing
  TextFields fields = TextFields::kTitle;
};

/// Counts written by convert_xc_json.
struct XcJsonConvertSummary {
  uint64_t train_rows = 0, test_rows = 0, labels = 0;
};

/// Reads the JSON-lines files strictly (bad JSON, missing fields, ids out of range are InputErrors naming the
/// file and line) and writes Y.txt, {trn,tst}_X.txt, {trn,tst}_X_Y.txt and the *.ids.txt files.
XcJsonConvertSummary convert_xc_json(const XcJsonConvertConfig& config);

}  // namespace ngame
