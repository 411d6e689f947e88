#pragma once
// Fuzz inputs reach the readers as files, as users' bytes do: each input is written to a file in a directory of the
// process's own (under $TMPDIR, else /dev/shm when it exists, else /tmp) and the reader opens it by path.
#include <cstddef>
#include <cstdint>
#include <string>

namespace ngame::fuzz {

/// A directory owned by this process, created on first use and reused for every input.
const std::string& scratch_dir();
/// Writes the input bytes to scratch_dir()/name and returns the path.
std::string write_input(const std::string& name, const uint8_t* data, size_t size);

}  // namespace ngame::fuzz
