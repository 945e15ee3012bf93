//===- Flags.h - Command-line flags for the runtime-only tools --*- C++ -*-===//
//
// Part of lgc. lgn-gen and lgn-run must not link LLVM, so they cannot use
// llvm::cl; this is the small subset they need: --name=value, --name value,
// positionals, typed values with clear errors.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TOOLS_FLAGS_H
#define LGC_TOOLS_FLAGS_H

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace lgc::tools {

class Flags {
public:
  /// `known` lists the accepted --names; `boolean` the ones that take no
  /// value.
  Flags(const char *tool, std::vector<std::string> known,
        std::vector<std::string> boolean = {})
      : tool(tool), known(std::move(known)), boolean(std::move(boolean)) {}

  /// Returns false (after printing an error) on an unknown or malformed flag.
  bool parse(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--") {
        for (++i; i < argc; ++i)
          positionals.push_back(argv[i]);
        break;
      }
      if (arg.size() < 2 || arg[0] != '-' || arg == "-") {
        positionals.push_back(arg);
        continue;
      }
      std::string name = arg.substr(arg[1] == '-' ? 2 : 1), value;
      size_t eq = name.find('=');
      bool hasValue = eq != std::string::npos;
      if (hasValue) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (!contains(known, name) && !contains(boolean, name))
        return fail("unknown option '" + arg + "' (try --help)");
      if (contains(boolean, name)) {
        if (hasValue)
          return fail("option '--" + name + "' takes no value");
        values[name] = "1";
        continue;
      }
      if (!hasValue) {
        if (i + 1 >= argc)
          return fail("option '--" + name + "' needs a value");
        value = argv[++i];
      }
      values[name] = value;
    }
    return true;
  }

  bool has(const std::string &name) const { return values.count(name) != 0; }
  std::string str(const std::string &name, std::string def = "") const {
    auto it = values.find(name);
    return it == values.end() ? def : it->second;
  }
  /// Parses an unsigned flag; prints an error and sets `ok` false if invalid.
  uint64_t u64(const std::string &name, uint64_t def, bool &ok,
               uint64_t min = 0, uint64_t max = UINT64_MAX) const {
    auto it = values.find(name);
    if (it == values.end())
      return def;
    uint64_t v = 0;
    const std::string &s = it->second;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) {
      ok = fail("invalid value '" + s + "' for --" + name +
                " (expected an integer in [" + std::to_string(min) + ", " +
                std::to_string(max) + "])");
      return def;
    }
    return v;
  }
  double real(const std::string &name, double def, bool &ok) const {
    auto it = values.find(name);
    if (it == values.end())
      return def;
    const std::string &s = it->second;
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) {
      ok = fail("invalid value '" + s + "' for --" + name +
                " (expected a number)");
      return def;
    }
    return v;
  }
  /// The value of a flag that names one of `allowed` (or `def` when it is
  /// absent); anything else prints "--name must be a, b or c, not 'v'" and
  /// sets `ok` false.
  std::string oneOf(const std::string &name, const std::string &def,
                    std::initializer_list<const char *> allowed,
                    bool &ok) const {
    std::string v = str(name, def), list;
    size_t k = 0;
    for (const char *a : allowed) {
      if (v == a)
        return v;
      if (k > 0)
        list += k + 1 == allowed.size() ? " or " : ", ";
      list += a;
      ++k;
    }
    ok = fail("--" + name + " must be " + list + ", not '" + v + "'");
    return v;
  }
  /// The start every tool shares: parses, prints `usage` for --help or -h,
  /// and checks the number of positionals. Returns -1 to go on, otherwise
  /// the exit code (0 after --help, 1 after an error).
  int start(int argc, char **argv, const char *usage, size_t minPositionals,
            size_t maxPositionals) {
    if (!parse(argc, argv))
      return 1;
    if (has("help") || has("h")) {
      std::fputs(usage, stdout);
      return 0;
    }
    if (positionals.size() > maxPositionals)
      return fail("unexpected argument '" + positionals[maxPositionals] +
                  "' (try --help)"),
             1;
    if (positionals.size() < minPositionals)
      return fail("expected " + std::to_string(minPositionals) +
                  " file argument" + (minPositionals == 1 ? "" : "s") +
                  " (try --help)"),
             1;
    return -1;
  }

  bool fail(const std::string &msg) const {
    std::fprintf(stderr, "%s: error: %s\n", tool, msg.c_str());
    return false;
  }

  std::vector<std::string> positionals;

private:
  static bool contains(const std::vector<std::string> &v,
                       const std::string &s) {
    for (const auto &x : v)
      if (x == s)
        return true;
    return false;
  }
  const char *tool;
  std::vector<std::string> known, boolean;
  std::map<std::string, std::string> values;
};

/// The comma-separated parts of a list flag, empty ones included ("" is one
/// empty part, "a,,b" three): each list's parser refuses what it must.
inline std::vector<std::string> splitList(const std::string &s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(s.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos)
      return parts;
    start = comma + 1;
  }
}

/// Thermometer thresholds: comma-separated numbers in [0, 1], at least one.
inline bool parseThresholdList(const std::string &s, std::vector<float> &out) {
  out.clear();
  for (const std::string &part : splitList(s)) {
    float v;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() ||
        !(v >= 0 && v <= 1))
      return false;
    out.push_back(v);
  }
  return !out.empty();
}

/// Image geometry "HxW" or, where `channels` is given, also "HxWxC" (C
/// defaults to 1); every size in 1 .. 65536.
inline bool parseImageSpec(const std::string &s, uint32_t &height,
                           uint32_t &width, uint32_t *channels) {
  uint32_t sizes[3] = {0, 0, 1};
  size_t count = 0, start = 0;
  while (count < 3) {
    size_t x = s.find('x', start);
    std::string part =
        s.substr(start, x == std::string::npos ? std::string::npos : x - start);
    auto [p, ec] =
        std::from_chars(part.data(), part.data() + part.size(), sizes[count]);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() ||
        sizes[count] == 0 || sizes[count] > (1u << 16))
      return false;
    ++count;
    if (x == std::string::npos)
      break;
    start = x + 1;
    if (count == 3)
      return false; // a fourth size
  }
  if (count < 2 || (count == 3 && !channels))
    return false;
  height = sizes[0];
  width = sizes[1];
  if (channels)
    *channels = sizes[2];
  return true;
}

/// Layer widths: "6x8000", "2000,1000" or mixes such as "4x2000,1000".
inline bool parseLayerSpec(const std::string &spec, std::vector<uint32_t> &out,
                           uint64_t maxWidth) {
  out.clear();
  auto number = [](const std::string &s, uint64_t &v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
  };
  for (const std::string &part : splitList(spec)) {
    uint64_t count = 1, width = 0;
    std::string w = part;
    if (size_t x = part.find('x'); x != std::string::npos) {
      w = part.substr(x + 1);
      if (!number(part.substr(0, x), count) || count == 0 || count > 4096)
        return false;
    }
    if (!number(w, width) || width == 0 || width > maxWidth)
      return false;
    out.insert(out.end(), count, uint32_t(width));
  }
  return !out.empty();
}

} // namespace lgc::tools

#endif // LGC_TOOLS_FLAGS_H
