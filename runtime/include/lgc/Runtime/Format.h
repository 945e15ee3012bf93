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

/// The version this reader understands and this writer produces.
constexpr unsigned kLgnFormatVersion = 1;

/// Upper bounds that reject absurd sizes before anything is allocated.
constexpr uint32_t kMaxInputs = 1u << 24;
constexpr uint32_t kMaxGates = 1u << 28;
constexpr uint32_t kMaxThresholds = 1024;

/// Parses .lgn text. Errors are reported as "<bufferName>:<line>:<col>: error:
/// <message>". On failure `net` is left in an unspecified but valid state.
Status parseNet(std::string_view text, std::string_view bufferName, Net &net);

/// Reads and parses a file ("-" reads standard input).
Status readNetFile(const std::string &path, Net &net);

/// Renders a net as .lgn text; parseNet(writeNet(n)) == n for every valid net.
std::string writeNet(const Net &net);

/// Writes a net to `path` atomically (temporary file, then rename), so a
/// failed write never leaves a half-written file behind.
Status writeNetFile(const std::string &path, const Net &net);

} // namespace lgc

#endif // LGC_RUNTIME_FORMAT_H
