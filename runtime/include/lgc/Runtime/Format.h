//===- Format.h - The .lgn text format: reader and writer -------*- C++ -*-===//
//
// Part of lgc. The grammar is documented in docs/lgn-format.md.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_FORMAT_H
#define LGC_RUNTIME_FORMAT_H

#include "lgc/Runtime/Net.h"
#include "lgc/Runtime/Status.h"

#include <string>
#include <string_view>

namespace lgc {

/// The newest version this reader understands. The writer produces version
/// 1 for flat nets (so they read everywhere they did) and version 2 for
/// nets with shared blocks.
constexpr unsigned kLgnFormatVersion = 2;

/// Upper bounds that reject absurd sizes before anything is allocated.
constexpr uint32_t kMaxInputs = 1u << 24;
constexpr uint32_t kMaxGates = 1u << 28;
constexpr uint32_t kMaxThresholds = 1024;

/// Most leaves of one conv tree.
constexpr uint32_t kMaxTreeLeaves = 4096;

/// Parses .lgn text. Errors are reported as "<bufferName>:<line>:<col>: error:
/// <message>". On failure `net` is left in an unspecified but valid state.
/// Shared blocks (version 2) are unrolled to gates unless `keepBlocks`, so
/// every consumer of flat nets reads both versions.
Status parseNet(std::string_view text, std::string_view bufferName, Net &net,
                bool keepBlocks = false);

/// Reads and parses a file ("-" reads standard input).
Status readNetFile(const std::string &path, Net &net, bool keepBlocks = false);

/// Renders a net as .lgn text; parseNet(writeNet(n)) == n for every valid net.
std::string writeNet(const Net &net);

/// Writes a net to `path` atomically (temporary file, then rename), so a
/// failed write never leaves a half-written file behind.
Status writeNetFile(const std::string &path, const Net &net);

} // namespace lgc

#endif // LGC_RUNTIME_FORMAT_H
