#include "model/label_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/label_addition.h"
#include "model/label_log_io.h"

namespace ngame {

namespace fs = std::filesystem;

namespace {

constexpr char kHeader[8] = {'N', 'G', 'L', 'A', 'B', 'W', 'A', '1'};  // format of labels.wal, version 1
constexpr char kRecordMagic[4] = {'L', 'A', 'B', 'L'};
constexpr size_t kRecordOverhead = 4 + 4 + 8 + 4;  // magic, text length, id, crc
constexpr uint32_t kMaxLabelBytes = kMaxLabelTextBytes;  // a longer length field marks a corrupt record

uint32_t record_crc(uint64_t id, std::string_view text) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(&id), sizeof id);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
  return static_cast<uint32_t>(crc);
}

// Writes all of bytes at offset; returns 0, or the errno of the call that failed.
int write_all_at(int fd, std::string_view bytes, uint64_t offset) {
  const LabelLogIo& io = label_log_io();
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t w = io.pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return EIO;  // no progress and no reason: give up rather than spin
    done += static_cast<size_t>(w);
  }
  return 0;
}

// Throws StorageError for a failed call. Passing its arguments allocates nothing, so an errno passed to it is read
// before anything can change it.
[[noreturn]] void throw_storage(const std::string& path, const char* what, int error_code,
                                std::string_view outcome = {}) {
  throw StorageError(path + ": " + what + ": " + std::strerror(error_code) + std::string(outcome), error_code);
}

void sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Parses the records of a log's bytes into out; returns the length of the complete, valid prefix (0 when even the
// header is incomplete).
size_t parse_records(const std::string& bytes, const std::string& path, std::vector<LoggedLabel>& records) {
  size_t good = 0;
  if (bytes.size() >= sizeof kHeader) {
    if (std::memcmp(bytes.data(), kHeader, sizeof kHeader) != 0) {
      throw InputError(path, 0, "not an ngame label log (bad header or unsupported version)");
    }
    good = sizeof kHeader;
    while (good < bytes.size()) {
      // A record that does not fit, or fails its checksum, at the very end is a torn write: cut it.
      const size_t left = bytes.size() - good;
      if (left < kRecordOverhead) break;
      uint32_t len = 0;
      uint64_t id = 0;
      uint32_t crc = 0;
      std::memcpy(&len, bytes.data() + good + 4, 4);
      std::memcpy(&id, bytes.data() + good + 8, 8);
      const bool magic_ok = std::memcmp(bytes.data() + good, kRecordMagic, 4) == 0;
      const bool fits = magic_ok && len <= kMaxLabelBytes && left >= kRecordOverhead + len;
      bool crc_ok = false;
      if (fits) {
        std::memcpy(&crc, bytes.data() + good + 16 + len, 4);
        crc_ok = crc == record_crc(id, std::string_view(bytes.data() + good + 16, len));
      }
      if (!crc_ok) {
        const size_t end = fits ? good + kRecordOverhead + len : bytes.size();
        if (end < bytes.size()) {
          throw InputError(path, 0, "corrupt record at byte " + std::to_string(good) + " followed by more records");
        }
        break;
      }
      records.push_back({id, std::string(bytes.data() + good + 16, len)});
      good += kRecordOverhead + len;
    }
  }
  return good;
}

}  // namespace

LabelLog::LabelLog(const std::string& model_dir) : path_((fs::path(model_dir) / "labels.wal").string()) {
  const bool existed = fs::exists(path_);
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw RuntimeError(path_ + ": cannot open: " + std::strerror(errno));
  try {
    // A device or a pipe in its place (a link to /dev/zero, say) would be read for ever.
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw RuntimeError(path_ + ": cannot stat: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw InputError(path_, 0, "not a regular file (the model's label log must be one)");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      throw InputError(path_, 0, "in use by another process (a running `ngame serve`?)");
    }
    std::string bytes;
    {
      char buf[1 << 16];
      for (;;) {
        const ssize_t r = ::pread(fd_, buf, sizeof buf, static_cast<off_t>(bytes.size()));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw RuntimeError(path_ + ": read failed: " + std::strerror(errno));
        if (r == 0) break;
        bytes.append(buf, static_cast<size_t>(r));
      }
    }
    const size_t good = parse_records(bytes, path_, records_);
    const LabelLogIo& io = label_log_io();
    if (good < sizeof kHeader) {
      // New (or torn while being created): write the header.
      if (io.ftruncate(fd_, 0) != 0) throw_storage(path_, "truncate failed", errno);
      if (const int err = write_all_at(fd_, std::string_view(kHeader, sizeof kHeader), 0)) {
        throw_storage(path_, "write failed", err);
      }
      if (io.fsync(fd_) != 0) throw_storage(path_, "fsync failed", errno);
      if (!existed) sync_directory(fs::path(path_).parent_path().string());
      truncated_bytes_ = bytes.size();
      end_ = sizeof kHeader;
    } else {
      end_ = good;
      if (good < bytes.size()) {
        truncated_bytes_ = bytes.size() - good;
        roll_back();
      }
    }
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
  pending_ = records_.size();
}

LabelLog::~LabelLog() {
  if (fd_ >= 0) ::close(fd_);
}

void LabelLog::roll_back() {
  const LabelLogIo& io = label_log_io();
  if (io.ftruncate(fd_, static_cast<off_t>(end_)) != 0) throw_storage(path_, "cannot cut an unfinished record", errno);
  if (io.fsync(fd_) != 0) throw_storage(path_, "cannot cut an unfinished record (fsync)", errno);
  unsettled_ = false;
}

void LabelLog::append(uint64_t first_id, const TextCorpus& texts) {
  std::string bytes;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string_view t = texts[i];
    NGAME_CHECK(t.size() <= kMaxLabelBytes, "label text too long for the log");
    const uint64_t id = first_id + i;
    const auto len = static_cast<uint32_t>(t.size());
    const uint32_t crc = record_crc(id, t);
    bytes.append(kRecordMagic, 4);
    bytes.append(reinterpret_cast<const char*>(&len), 4);
    bytes.append(reinterpret_cast<const char*>(&id), 8);
    bytes.append(t);
    bytes.append(reinterpret_cast<const char*>(&crc), 4);
  }
  // Torn bytes that an earlier failure could not cut go first: nothing is ever written behind them, since a
  // restart cuts the log at the first torn record and would lose what follows.
  if (unsettled_) roll_back();
  const char* failed = nullptr;
  int err = write_all_at(fd_, bytes, end_);
  if (err != 0) {
    failed = "write failed";
  } else if (label_log_io().fsync(fd_) != 0) {
    err = errno;
    failed = "fsync failed";
  }
  if (failed) {
    // Not durable, never acknowledged: cut it before anyone hears of the failure.
    unsettled_ = true;
    std::string outcome = " (the unfinished record was cut off)";
    try {
      roll_back();
    } catch (const StorageError& e) {
      outcome = std::string(" (and cutting off the unfinished record failed: ") + e.what() +
                "; appends are refused until it succeeds)";
    }
    throw_storage(path_, failed, err, outcome);
  }
  end_ += bytes.size();
  pending_ += texts.size();
}

void LabelLog::clear() {
  const LabelLogIo& io = label_log_io();
  if (io.ftruncate(fd_, sizeof kHeader) != 0) throw_storage(path_, "truncate failed", errno);
  // The records are in the model files now, whether or not the truncation reaches the disk.
  end_ = sizeof kHeader;
  records_.clear();
  pending_ = 0;
  unsettled_ = false;
  if (io.fsync(fd_) != 0) {
    unsettled_ = true;  // the next append truncates again first
    throw_storage(path_, "fsync failed", errno);
  }
}

std::vector<LoggedLabel> read_label_log(const std::string& model_dir) {
  const std::string path = (fs::path(model_dir) / "labels.wal").string();
  std::vector<LoggedLabel> records;
  if (!fs::exists(path)) return records;
  std::string bytes = read_file(path);
  parse_records(bytes, path, records);
  return records;
}

size_t replay_label_log(ModelParts& model, const std::vector<LoggedLabel>& records, const std::string& log_path) {
  TextCorpus texts;
  uint64_t next = model.label_count();
  for (const LoggedLabel& r : records) {
    if (r.id < model.label_count()) continue;  // compacted already (a crash between compaction and clear)
    if (r.id != next) {
      throw InputError(log_path, 0, "record for label " + std::to_string(r.id) + " where label " +
                                          std::to_string(next) + " was expected (log does not match the model)");
    }
    texts.push_back(r.text);
    ++next;
  }
  validate_label_texts(texts, log_path);
  if (texts.size() > 0) add_labels(model, texts);
  return texts.size();
}

void compact_label_log(const std::string& model_dir, ModelParts& model, LabelLog& log) {
  save_model_keeping_encoder(model_dir, model);
  log.clear();
}

}  // namespace ngame
