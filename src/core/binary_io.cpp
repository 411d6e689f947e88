#include "core/binary_io.h"

#include <zlib.h>

#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"

namespace ngame {

namespace {
constexpr char kMagic[8] = {'N', 'G', 'A', 'M', 'E', 'B', 'I', 'N'};
constexpr uint32_t kEndianMark = 0x01020304;

uint32_t crc_of(std::string_view bytes) { return crc32_of(bytes); }
}  // namespace

uint32_t PayloadReader::u32() {
  uint32_t v;
  take(&v, sizeof v);
  return v;
}
uint64_t PayloadReader::u64() {
  uint64_t v;
  take(&v, sizeof v);
  return v;
}
float PayloadReader::f32() {
  float v;
  take(&v, sizeof v);
  return v;
}
std::string PayloadReader::str() {
  uint64_t n = u64();
  if (n > bytes_.size() - pos_) fail("string length exceeds the section");
  std::string s(bytes_.substr(pos_, n));
  pos_ += n;
  return s;
}
void PayloadReader::take(void* out, size_t bytes) {
  if (bytes > bytes_.size() - pos_) fail("section ends early (truncated?)");
  std::memcpy(out, bytes_.data() + pos_, bytes);
  pos_ += bytes;
}
void PayloadReader::fail(const std::string& problem) const { throw InputError(context_, 0, problem); }

void write_container(const std::string& path, const std::vector<std::pair<std::string, std::string>>& sections) {
  AtomicFileWriter out(path);
  PayloadWriter head;
  head.raw(kMagic, sizeof kMagic);
  head.u32(kBinaryFormatVersion);
  head.u32(kEndianMark);
  out.write(head.bytes());
  auto write_section = [&](const std::string& tag, std::string_view payload) {
    NGAME_CHECK(tag.size() == 4, "section tags have 4 characters");
    PayloadWriter w;
    w.raw(tag.data(), 4);
    w.u64(payload.size());
    out.write(w.bytes());
    out.write(payload);
    PayloadWriter c;
    c.u32(crc_of(payload));
    out.write(c.bytes());
  };
  for (const auto& [tag, payload] : sections) write_section(tag, payload);
  write_section("END ", "");
  out.commit();
}

std::string_view Container::at(const std::string& tag) const {
  auto it = sections_.find(tag);
  if (it == sections_.end()) throw InputError(path(), 0, "missing section " + tag);
  return it->second;
}

Container read_container(const std::string& path) { return read_container(std::make_shared<const MappedFile>(path)); }

Container read_container(std::shared_ptr<const MappedFile> file, bool check_sections) {
  const std::string& path = file->path();
  const std::string_view bytes = file->bytes();
  char magic[8];
  if (bytes.size() < 16) throw InputError(path, 0, "not an ngame model file (too short)");
  std::memcpy(magic, bytes.data(), 8);
  if (std::memcmp(magic, kMagic, 8) != 0) throw InputError(path, 0, "not an ngame model file (bad magic)");
  PayloadReader header(std::string_view(bytes).substr(8, 8), path);
  const uint32_t version = header.u32();
  const uint32_t mark = header.u32();
  if (mark != kEndianMark) throw InputError(path, 0, "model file has the wrong byte order");
  if (version != kBinaryFormatVersion) {
    throw InputError(path, 0,
                     "model format version " + std::to_string(version) + " is not supported (this build reads " +
                         std::to_string(kBinaryFormatVersion) + ")");
  }
  std::map<std::string, std::string_view> sections;
  size_t pos = 16;
  for (;;) {
    if (bytes.size() - pos < 12) throw InputError(path, 0, "truncated model file (no END section)");
    std::string tag(bytes.substr(pos, 4));
    uint64_t length;
    std::memcpy(&length, bytes.data() + pos + 4, 8);
    pos += 12;
    if (length > bytes.size() - pos || bytes.size() - pos - length < 4) {
      throw InputError(path, 0, "truncated model file (section '" + tag + "' runs past the end)");
    }
    std::string_view payload(bytes.data() + pos, length);
    uint32_t crc;
    std::memcpy(&crc, bytes.data() + pos + length, 4);
    if (check_sections && crc != crc_of(payload)) throw InputError(path, 0, "corrupted model file (checksum of section '" + tag + "')");
    pos += length + 4;
    if (tag == "END ") break;
    if (!sections.emplace(tag, payload).second) {
      throw InputError(path, 0, "corrupted model file (section '" + tag + "' appears twice)");
    }
  }
  if (pos != bytes.size()) throw InputError(path, 0, "trailing bytes after the END section");
  return Container(std::move(file), std::move(sections));
}

}  // namespace ngame
