#pragma once
// The write-ahead log of labels added to a model directory (labels.wal): each record holds a label's id and text
// with a CRC-32, and is fsynced before the addition is acknowledged. Loading replays it; compaction folds it into
// the model files (a new generation) and empties it. A torn record at the tail (a crash mid-write, never
// acknowledged) is cut off on open; an append that fails (a full disk) is cut off before its error is reported, so
// that no later record lands behind torn bytes.
#include <cstdint>
#include <string>
#include <vector>

#include "data/text_corpus.h"
#include "model/model_store.h"

namespace ngame {

/// One logged label.
struct LoggedLabel {
  uint64_t id = 0;
  std::string text;
};

/// An open labels.wal of a model directory.
class LabelLog {
 public:
  /// Opens dir/labels.wal (created when missing) and locks it against other writers (InputError when another
  /// process holds it), reads its complete records and truncates a torn tail; a record that is corrupt but followed
  /// by more data is an InputError naming the file and byte offset.
  explicit LabelLog(const std::string& model_dir);
  ~LabelLog();
  LabelLog(const LabelLog&) = delete;
  LabelLog& operator=(const LabelLog&) = delete;
  /// The records found on open.
  const std::vector<LoggedLabel>& records() const { return records_; }
  /// Appends labels with ids first_id, first_id + 1, ... and fsyncs before returning. When a write or the fsync
  /// fails, the file is truncated back to its last complete record (and fsynced) before StorageError is thrown:
  /// the records appended before stay, nothing of this call does. When that truncation fails too, later calls
  /// retry it first and throw StorageError without writing until it succeeds.
  void append(uint64_t first_id, const TextCorpus& texts);
  /// Empties the log durably (after compaction); StorageError when it cannot (the records stay, and replay skips
  /// those the model files hold).
  void clear();
  /// Bytes of torn tail cut on open (0 normally).
  uint64_t truncated_bytes() const { return truncated_bytes_; }
  /// Records appended since open or the last clear, plus those found on open.
  uint64_t pending() const { return pending_; }
  /// The log's path.
  const std::string& path() const { return path_; }

 private:
  // Truncates the file to end_ and fsyncs it; StorageError when that fails.
  void roll_back();

  std::string path_;
  int fd_ = -1;
  std::vector<LoggedLabel> records_;
  uint64_t truncated_bytes_ = 0;
  uint64_t pending_ = 0;
  uint64_t end_ = 0;        // bytes of the header and the complete, durable records: where the next append goes
  bool unsettled_ = false;  // bytes past end_ may be on disk (a failed append whose truncation failed)
};

/// The complete records of dir/labels.wal without opening it for writing (a torn tail is ignored, a missing log is
/// empty): for readers such as `ngame predict`, which may run beside a server.
std::vector<LoggedLabel> read_label_log(const std::string& model_dir);
/// Applies logged labels to a model loaded from the same directory: records with ids below the model's label count
/// are already compacted and skipped; the rest must continue its ids (InputError otherwise). Returns labels added.
size_t replay_label_log(ModelParts& model, const std::vector<LoggedLabel>& records, const std::string& log_path);
/// Same, with the records of an open log.
inline size_t replay_label_log(ModelParts& model, const LabelLog& log) { return replay_label_log(model, log.records(), log.path()); }
/// Writes the model (with its added labels) as the directory's next generation and then empties the log.
void compact_label_log(const std::string& model_dir, ModelParts& model, LabelLog& log);

}  // namespace ngame
