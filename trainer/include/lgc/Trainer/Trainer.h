//===- Trainer.h - Training loop, evaluation, checkpoints -------*- C++ -*-===//
//
// Part of lgc. Adam on the gate weights, cross-entropy on the GroupSum
// scores, batches from shuffled epochs; the CPU path splits each batch over
// a thread pool with a fixed reduction order, so a seed and a thread count
// give the same net every time, and a resumed run equals an uninterrupted
// one.
//
//===----------------------------------------------------------------------===//

#ifndef LGC_TRAINER_TRAINER_H
#define LGC_TRAINER_TRAINER_H

#include "lgc/Runtime/Dataset.h"
#include "lgc/Trainer/Model.h"

#include <functional>
#include <memory>

namespace lgc::train {

struct HistoryRow;

/// What the run reports after each step, for a progress display.
struct Progress {
  uint64_t iteration = 0, startIteration = 0;
  /// 0: no iteration target (a time limit instead).
  uint64_t targetIterations = 0;
  double seconds = 0;
  /// 0: no time limit.
  double secondsLimit = 0;
  /// True when an evaluation ran at this step.
  bool evaluated = false;
  /// The latest evaluation, or null before the first one.
  const HistoryRow *latest = nullptr;
  /// "validation" or "test".
  const char *evalName = "test";
};

/// The end of a run, for the final summary line.
struct RunSummary {
  uint64_t iterations = 0;
  double seconds = 0, iterationsPerSecond = 0;
  const char *evalName = "test";
  double evalDiscrete = 0, evalRelaxed = 0, testAccuracy = 0;
};

/// How the learning rate moves over the run.
enum class LRSchedule {
  Constant,
  /// From `lr` down to 0 along half a cosine over the budget.
  Cosine,
};

struct TrainOptions {
  ModelConfig model;
  float lr = 0.01f;
  LRSchedule lrSchedule = LRSchedule::Constant;
  uint32_t batch = 100;
  uint64_t iterations = 0; // 0: until `minutes` run out
  double minutes = 0;      // 0: no time limit
  /// Evaluate every this many iterations; 0: never during the run (once at
  /// the end); kAutoEval: every 1,000 iterations or 5 % of the budget
  /// (iterations or time), whichever comes sooner, so a curve has points.
  static constexpr uint64_t kAutoEval = UINT64_MAX;
  uint64_t evalEvery = kAutoEval;
  unsigned threads = 0; // 0: all cores
  std::string output;   // .lgn written at the end
  std::string log;      // CSV
  std::string plot;     // built-in SVG (plotHistory); lgn-train draws its own
  std::string checkpoint;
  uint64_t checkpointEvery = 0;
  std::string resume;
  /// Called after every step (the tool draws a progress bar).
  std::function<void(const Progress &)> onProgress;
  std::string dataName;
  /// cpu, cuda, or auto (cuda where there is a GPU, else cpu).
  std::string device = "cpu";
  /// Hold out the last `validation` training samples: the evaluations during
  /// training use them, and the test split is scored once at the end.
  uint32_t validation = 0;
  /// Data augmentation of the training samples (never of the evaluated
  /// ones): each sample of a batch is moved by up to `shift` pixels along
  /// each axis, zeros entering at the border, and with `flip` mirrored left
  /// to right half of the time. Needs the inputs as an image
  /// (ModelConfig::inputShape).
  uint32_t shift = 0;
  bool flip = false;
  /// Also turn each sample by an angle drawn uniformly from [-rotate,
  /// rotate] degrees and zoom it by a factor from [1 - scale, 1 + scale],
  /// about the image's centre, sampling the nearest input pixel (0 outside).
  /// Small turns and zooms are what handwriting varies by; the bits are
  /// resampled, not the pixels, so one table of bits serves every epoch.
  double rotate = 0;
  double scale = 0;
  /// And bend it: every pixel's source moves by a displacement interpolated
  /// (bilinearly) from a Warp::kElasticGrid x kElasticGrid grid of normal
  /// displacements with this standard deviation in pixels (elastic
  /// distortion, as in Simard et al. 2003, with a coarse grid in place of a
  /// smoothed field: the same slow bends at a fraction of the cost).
  double elastic = 0;

  /// Knowledge distillation (Teacher.h): a trained net (.lgn, or a compiled
  /// net library .so) whose class distribution on each augmented training
  /// sample, softened by `distillTemperature`, is mixed into the target
  /// with weight `distill` (0: the label alone, 1: the teacher alone). CPU
  /// steps only.
  std::string teacher;
  float distill = 0.5f;
  float distillTemperature = 1.0f;

  /// Gumbel noise with a straight-through estimator (Relaxation.h,
  /// GateNoise): each step trains the hard gates sampled from the weights
  /// perturbed by Gumbel noise, the weight gradient taken through the
  /// noisy softmax at this temperature; 0: the plain relaxation. The noise
  /// of a step depends on the seed and the iteration only, so the CPU and
  /// CUDA steps and any thread count draw the same.
  float gumbel = 0;

  bool augments() const {
    return shift || flip || rotate > 0 || scale > 0 || elastic > 0;
  }
};

/// One sample's input bits, `shape.channels` planes of height x width
/// (row-major), mirrored left to right if `flip`, then moved by dx pixels
/// to the right and dy down, zeros entering at the border:
/// out(p, y, x) = in(p, y - dy, x') with x' = x - dx, or width - 1 - (x -
/// dx) with `flip`; 0 where that is outside the image.
void augmentBits(const uint8_t *in, const Shape &shape, int dx, int dy,
                 bool flip, uint8_t *out);

/// A sample's move as a map from output to input pixels: the output pixel
/// (x, y) reads the input at c + M (x - dx - cx, y - dy - cy)^T with c the
/// image's centre ((W - 1) / 2, (H - 1) / 2), mirrored left to right after
/// that if `flip`, rounded to the nearest pixel.
struct Warp {
  float m00 = 1, m01 = 0, m10 = 0, m11 = 1;
  int dx = 0, dy = 0;
  bool flip = false;
  /// Source displacements (x, y) in pixels at the points of a grid laid
  /// over the image, corners on the corner pixels, row-major; added (after
  /// bilinear interpolation) to every pixel's source before the mirror.
  static constexpr int kElasticGrid = 4;
  bool bend = false;
  float grid[kElasticGrid * kElasticGrid][2] = {};

  /// The inverse of turning by `degrees` (counter-clockwise on the screen)
  /// and zooming by `zoom` (> 1: larger), then moving by (dx, dy).
  static Warp turnAndZoom(double degrees, double zoom, int dx, int dy,
                          bool flip);
};

/// augmentBits for any Warp; with the identity matrix it gives
/// augmentBits's result exactly.
void warpBits(const uint8_t *in, const Shape &shape, const Warp &warp,
              uint8_t *out);

/// Inputs thresholded to 0/1, sample-major, plus labels.
/// Thresholded samples. Each sample's input bits are kept packed (bit i of
/// a sample in bit i % 64 of its word i / 64), 8x less than a byte per bit:
/// Fashion-MNIST's 60,000 training images at seven levels are 41 MB instead
/// of 329 MB. The steps read a sample as bytes through unpack().
struct BitData {
  uint32_t inputs = 0;
  std::vector<uint64_t> words; // rowWords() per sample
  std::vector<uint32_t> labels;
  std::vector<uint64_t> packed; // the interpreter's layout, for discrete eval
  size_t size() const { return labels.size(); }
  size_t rowWords() const { return (size_t(inputs) + 63) / 64; }
  /// Input bit i of sample s.
  bool bit(size_t s, uint32_t i) const {
    return (words[s * rowWords() + i / 64] >> (i % 64)) & 1;
  }
  /// Sample s's bits, one byte (0 or 1) each, into out[0 .. inputs).
  void unpack(size_t s, uint8_t *out) const {
    for (uint32_t i = 0; i < inputs; ++i)
      out[i] = bit(s, i);
  }
};

/// The learning rate at `progress` (0 at the start, 1 at the end of the
/// budget: the iterations done of --iterations, or the seconds of
/// --minutes, whichever is further).
float scheduledLR(const TrainOptions &opts, double progress);

/// Thresholds samples [begin, end) of a data set with the model's encoding
/// (x > t, as the .lgn encoding and every backend do). With `packed`, also
/// packs them for the reference interpreter (discretised evaluation).
/// A net with the model's input encoding and classes and no gates: what
/// binarize thresholds by, and what a teacher is checked against.
Net encodingNet(const ModelConfig &cfg);

BitData binarize(const Dataset &data, const ModelConfig &cfg, size_t begin,
                 size_t end, bool packed);

struct EvalResult {
  double relaxedAccuracy = 0;
  double discreteAccuracy = 0;
  double loss = 0;
};

struct HistoryRow {
  uint64_t iteration;
  double seconds, trainLoss, trainAccuracy, testRelaxed, testDiscrete;
};

class ThreadPool;
class CudaTrainer;
class Teacher;

class Trainer {
public:
  Trainer();
  ~Trainer();

  Status setup(const TrainOptions &opts, const Dataset &train,
               const Dataset &test);
  /// The whole run: iterations, evaluation, logs, checkpoints, output.
  Status run(RunSummary *summary = nullptr);

  /// One Adam step on the next batch; returns the batch's mean loss.
  double step(uint32_t *correct = nullptr);
  EvalResult evaluate(const BitData &data);

  /// `elapsed`: training seconds so far, kept for the log on resume.
  Status saveCheckpoint(const std::string &path, double elapsed) const;
  Status loadCheckpoint(const std::string &path);

  /// The device the steps run on ("cpu" or the GPU's name).
  std::string deviceName() const;

  Model model;
  uint64_t iteration = 0;
  std::vector<HistoryRow> history;

private:
  std::vector<uint32_t> nextBatch();
  /// The gate noise of the next step (TrainOptions::gumbel).
  GateNoise stepNoise() const {
    return {opts.gumbel, opts.model.seed, iteration};
  }
  /// Copies weights and Adam state from the GPU, when training there.
  Status syncFromDevice();
  Status writeOutputs(const EvalResult &last, double seconds);

  /// The set evaluated during training: validation if held out, else test.
  const BitData &evalData() const {
    return opts.validation ? valData : testData;
  }
  const char *evalName() const {
    return opts.validation ? "validation" : "test";
  }

  TrainOptions opts;
  BitData trainData, testData, valData;
  double finalTestAccuracy = -1;
  std::unique_ptr<ThreadPool> pool;
  unsigned numThreads = 1;
  std::vector<Workspace> workspaces;
  std::vector<std::vector<double>> coeffGrads; // per thread
  std::vector<float> coeffs, probs, weightGrad, adamM, adamV;
  uint64_t adamStep = 0;
  /// The learning rate of the next step (run() follows the schedule).
  float stepLR = 0;
  Rng rng{1};
  std::vector<uint32_t> epochOrder;
  uint64_t epochPos = 0;
  double elapsedBefore = 0; // seconds of earlier runs (resume)
  std::unique_ptr<CudaTrainer> gpu;
  std::vector<float> gpuInputs;
  std::unique_ptr<Teacher> teacher;
};

/// The log lgn-train --log writes: a header line, then one line per
/// evaluation (iteration, seconds, train loss and accuracy, the evaluation
/// set's relaxed and discretised accuracy).
std::string historyCSV(const std::vector<HistoryRow> &history,
                       const std::string &evalName);

/// An SVG of the loss and accuracy curves, drawn without any library:
/// axes scaled to the data, ticks with labels, a grid, axis titles, a
/// legend, and the title wrapped to the canvas. `evalName` names the
/// evaluation set ("test" or "validation"). lgn-train --plot uses it where
/// Python's matplotlib (python3 -m lgc.plot) is not available.
std::string plotHistory(const std::vector<HistoryRow> &history,
                        const std::string &title,
                        const std::string &evalName = "test");

} // namespace lgc::train

#endif // LGC_TRAINER_TRAINER_H
