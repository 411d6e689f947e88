#pragma once
// MD5 (RFC 1321), used only to reproduce the deterministic train/test split of the shared datasets.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ngame {

/// The 16-byte MD5 digest of bytes.
std::array<uint8_t, 16> md5(std::string_view bytes);
/// The digest as 32 lower-case hex digits.
std::string md5_hex(std::string_view bytes);
/// The digest read as a big-endian 128-bit integer, modulo m (m > 0).
uint32_t md5_mod(std::string_view bytes, uint32_t m);

}  // namespace ngame
