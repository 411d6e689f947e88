#include "core/binary_io.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"

namespace ngame {

namespace {
constexpr char kMagic[8] = {'N', 'G', 'A', 'M', 'E', 'B', 'I', 'N'};
constexpr uint32_t kEndianMark = 0x01020304;

}  // namespace

uint32_t crc32_of(std::string_view bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t done = 0; done < bytes.size();) {
    auto chunk = static_cast<uInt>(std::min<size_t>(bytes.size() - done, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + done), chunk);
    done += chunk;
  }
  return static_cast<uint32_t>(crc);
}

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
    c.u32(crc32_of(payload));
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

void Container::check_sections() const {
  if (!bad_section_.empty()) {
    throw InputError(path(), 0, "corrupted model file (checksum of section '" + bad_section_ + "')");
  }
}

Container read_container(const std::string& path) {
  Container c = parse_container(std::make_shared<const MappedFile>(path));
  c.check_sections();
  return c;
}

Container parse_container(std::shared_ptr<const MappedFile> file) {
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
  // The whole file's CRC, combined from its pieces' so that every byte is read once.
  uint32_t file_crc = crc32_of(bytes.substr(0, 16));
  auto extend = [&](std::string_view piece, uint32_t piece_crc) {
    file_crc = static_cast<uint32_t>(crc32_combine(file_crc, piece_crc, static_cast<z_off_t>(piece.size())));
  };
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
    const std::string_view section_head = bytes.substr(pos - 12, 12);
    const std::string_view payload = bytes.substr(pos, length);
    const std::string_view trailer = bytes.substr(pos + length, 4);
    uint32_t crc;
    std::memcpy(&crc, trailer.data(), 4);
    const uint32_t payload_crc = crc32_of(payload);
    if (crc != payload_crc) {
      // What follows a damaged section is not read: the file's CRC (for the manifest's message) from all its bytes.
      return Container(std::move(file), {}, crc32_of(bytes), tag);
    }
    extend(section_head, crc32_of(section_head));
    extend(payload, payload_crc);
    extend(trailer, crc32_of(trailer));
    pos += length + 4;
    if (tag == "END ") break;
    if (!sections.emplace(tag, payload).second) {
      throw InputError(path, 0, "corrupted model file (section '" + tag + "' appears twice)");
    }
  }
  if (pos != bytes.size()) throw InputError(path, 0, "trailing bytes after the END section");
  return Container(std::move(file), std::move(sections), file_crc, "");
}

}  // namespace ngame
