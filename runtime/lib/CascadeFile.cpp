//===- CascadeFile.cpp - Reading and writing cascade files ----------------===//
//
// Part of lgc. The text alone, no nets opened: the fuzzer's target.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Cascade.h"
#include "lgc/Runtime/FileUtil.h"

#include <charconv>
#include <cmath>

using namespace lgc;

bool lgc::parseCascadeMargin(const std::string &text, double &out) {
  if (text == "inf") {
    out = INFINITY;
    return true;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() ||
      !std::isfinite(v) || v < 0)
    return false;
  out = v;
  return true;
}

bool lgc::isCascadePath(const std::string &path) {
  return pathEndsWith(path, ".cascade");
}

/// Control characters (tabs aside) in a path are refused on both sides:
/// the reader would split or trim at some of them, and none belongs in a
/// path that a file names.
static bool hasControlCharacter(const std::string &path) {
  for (unsigned char c : path)
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return true;
  return false;
}

Status lgc::parseCascade(std::string_view text, const std::string &path,
                         CascadeSpec &out) {
  CascadeSpec spec;
  bool sawHeader = false;
  size_t lineNo = 0, start = 0;
  auto at = [&](size_t col) {
    return path + ":" + std::to_string(lineNo) + ":" + std::to_string(col);
  };
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string line(text.substr(start, end - start));
    start = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#')
      continue;
    size_t keyEnd = line.find_first_of(" \t", first);
    std::string key = line.substr(first, keyEnd - first);
    size_t argAt = keyEnd == std::string::npos
                       ? line.size()
                       : line.find_first_not_of(" \t", keyEnd);
    if (argAt == std::string::npos)
      argAt = line.size();
    std::string arg = line.substr(argAt);
    while (!arg.empty() && (arg.back() == ' ' || arg.back() == '\t'))
      arg.pop_back();
    if (!sawHeader) {
      if (key != "lgc-cascade" || arg != "1")
        return Status::errorAt(at(first + 1),
                               "expected 'lgc-cascade 1' (a cascade file's "
                               "first line)");
      sawHeader = true;
      continue;
    }
    if (key == "net") {
      if (arg.empty())
        return Status::errorAt(at(first + 1), "'net' needs a path");
      if (spec.nets.size() > spec.margins.size())
        return Status::errorAt(at(first + 1),
                               "expected 'margin M' between two nets");
      if (isCascadePath(arg))
        return Status::errorAt(at(argAt + 1),
                               "a cascade's nets cannot be cascades");
      if (hasControlCharacter(arg))
        return Status::errorAt(at(argAt + 1),
                               "a control character in the net's path");
      if (spec.nets.size() == kMaxCascadeNets)
        return Status::errorAt(at(first + 1),
                               "a cascade takes at most " +
                                   std::to_string(kMaxCascadeNets) + " nets");
      spec.nets.push_back(arg);
      spec.netLocations.push_back(at(argAt + 1));
    } else if (key == "margin") {
      if (spec.nets.size() <= spec.margins.size())
        return Status::errorAt(at(first + 1),
                               "a margin stands between two nets");
      double m = 0;
      if (!parseCascadeMargin(arg, m))
        return Status::errorAt(at(argAt + 1),
                               "invalid margin '" + arg +
                                   "' (expected a number >= 0 or inf)");
      spec.margins.push_back(m);
    } else {
      return Status::errorAt(at(first + 1), "unknown line '" + key +
                                                "' (expected net or margin)");
    }
  }
  if (!sawHeader)
    return Status::errorAt(path, "empty file (expected 'lgc-cascade 1')");
  if (!spec.nets.empty() && spec.nets.size() == spec.margins.size())
    return Status::errorAt(path + ":" + std::to_string(lineNo),
                           "the file ends with a margin (expected a net "
                           "after it)");
  if (spec.nets.size() < 2)
    return Status::errorAt(path, "a cascade needs at least two nets");
  out = std::move(spec);
  return Status::success();
}

Status lgc::writeCascade(const CascadeSpec &spec, std::string &out) {
  if (spec.nets.size() < 2 || spec.margins.size() + 1 != spec.nets.size())
    return Status::error("a cascade file holds two or more nets and a margin "
                         "between each two");
  std::string text = "lgc-cascade 1\n";
  for (size_t i = 0; i < spec.nets.size(); ++i) {
    const std::string &net = spec.nets[i];
    // What the reader would not give back: a path it trims, splits or takes
    // for a cascade.
    if (net.empty() || hasControlCharacter(net) || net.front() == ' ' ||
        net.front() == '\t' || net.back() == ' ' || net.back() == '\t' ||
        isCascadePath(net))
      return Status::error("cannot write the net path '" + net +
                           "' into a cascade file");
    if (i) {
      double m = spec.margins[i - 1];
      if (!(m >= 0))
        return Status::error("a cascade's margins must be >= 0");
      char buf[32];
      std::string_view value = "inf";
      if (!std::isinf(m)) {
        // The shortest form that reads back as the same double.
        auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), m);
        value = std::string_view(buf, size_t(end - buf));
      }
      text += "margin " + std::string(value) + "\n";
    }
    text += "net " + net + "\n";
  }
  out = std::move(text);
  return Status::success();
}
