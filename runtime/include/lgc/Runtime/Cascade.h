//===- Cascade.h - Nets that run only where the earlier ones doubt -*- C++ -*-//
//
// Part of lgc. A cascade is a staged ensemble: the first net classifies
// every sample; each later net runs only on the samples whose class counts
// so far leave the top two classes closer than a margin, and adds its counts
// to theirs. A sample that reaches every stage gets exactly the ensemble's
// counts (the sum of all the nets' counts); one accepted early gets the sum
// of the stages that ran on it. Most images are easy for one net, so a
// cascade buys most of an ensemble's accuracy at little more than one net's
// cost (Viola and Jones's cascades, early exits in neural nets).
//
//===----------------------------------------------------------------------===//

#ifndef LGC_RUNTIME_CASCADE_H
#define LGC_RUNTIME_CASCADE_H

#include "lgc/Runtime/Runner.h"

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace lgc {

/// The most nets a cascade joins (stagesPerSample counts them in a byte).
constexpr size_t kMaxCascadeNets = 255;

/// Whether a sample's summed counts `counts` (`classes` of them, from nets
/// whose taus add up to `tau`) are decided: the top two scores (count / tau)
/// differ by at least `margin`. Every row is decided at margin 0; none is at
/// an infinite margin.
bool cascadeDecides(const uint32_t *counts, uint32_t classes, double tau,
                    double margin);

class Cascade : public Runner {
public:
  /// Joins `stages` (2 to kMaxCascadeNets) with `margins` (one per stage after
  /// the first, each >= 0 or +infinity): stage i + 1 runs on the samples that
  /// the stages up to i leave undecided at margins[i]. Every stage must read
  /// the same features and give the same classes; a cascade assumes what an
  /// ensemble does, nets trained for one task on one encoding.
  static Status create(std::vector<std::unique_ptr<Runner>> stages,
                       std::vector<double> margins,
                       std::unique_ptr<Cascade> &out);

  const RunnerInfo &info() const override { return runnerInfo; }
  Status runU8(const uint8_t *x, size_t n, uint32_t *counts, uint32_t *classes,
               unsigned threads = 1) override;
  Status runF32(const float *x, size_t n, uint32_t *counts, uint32_t *classes,
                unsigned threads = 1) override;
  /// The stages' accelerator time in the last run, or negative where any
  /// stage runs on the host.
  double deviceSeconds() const override;

  const Cascade *asCascade() const override { return this; }

  size_t numStages() const { return stages.size(); }
  Runner &stage(size_t i) const { return *stages[i]; }
  /// How many samples each stage ran on in the last run to finish (runs
  /// may overlap: each takes working memory of its own). A copy, taken
  /// under the lock that a finishing run publishes its figures under.
  std::vector<size_t> stageSamples() const;
  /// How many stages ran on each sample of the last run to finish
  /// (1 .. numStages()); a copy, as above.
  std::vector<uint8_t> stagesPerSample() const;

private:
  Cascade() = default;
  template <typename T>
  Status run(const T *x, size_t n, uint32_t *counts, uint32_t *classes,
             unsigned threads);

  /// A run's working memory. Kept between runs (a run of thousands of
  /// samples would otherwise fault in megabytes of fresh pages every call),
  /// and one per run in flight, so that concurrent runs never share one.
  struct Workspace {
    std::vector<uint32_t> sum, part;
    std::vector<size_t> open, samplesRun;
    std::vector<uint8_t> depth;
    /// The undecided samples' feature rows (u8 or f32), suitably aligned.
    std::vector<std::max_align_t> rowWords;
  };
  std::unique_ptr<Workspace> takeWorkspace();
  /// Publishes a finished run's figures and parks its workspace.
  void finishRun(std::unique_ptr<Workspace> w, double deviceSeconds);

  std::vector<std::unique_ptr<Runner>> stages;
  std::vector<double> margins;
  RunnerInfo runnerInfo;
  /// Guards `idle` and the last run's figures below.
  mutable std::mutex mutex;
  std::vector<std::unique_ptr<Workspace>> idle;
  std::vector<size_t> samplesRun;
  std::vector<uint8_t> depth;
  double lastDeviceSeconds = -1;
};

/// Parses one margin as a cascade file and lgn-run write it: a number >= 0,
/// or `inf`. False for anything else, the empty string included.
bool parseCascadeMargin(const std::string &text, double &out);

/// A cascade file's contents: the nets' paths as written and the margins
/// between them.
struct CascadeSpec {
  std::vector<std::string> nets;
  std::vector<double> margins;
  /// Where each path stands ("file:line:col"), for the errors of opening it.
  std::vector<std::string> netLocations;
};

/// Parses a cascade file's text (docs/cpu-backend.md, "Cascades"): a first
/// line `lgc-cascade 1`, then two or more `net PATH` lines with a `margin M`
/// line between each two (M >= 0 or `inf`); `#` starts a comment line.
/// Errors are located (path:line:col). Opens nothing.
Status parseCascade(std::string_view text, const std::string &path,
                    CascadeSpec &out);

/// The text of a cascade file for `spec`, which parseCascade reads back to
/// the same nets and margins; an error for what a file cannot hold (paths
/// with line breaks or surrounding blanks, too few margins).
Status writeCascade(const CascadeSpec &spec, std::string &out);

/// Whether a cascade may join `nets` nets (2 to kMaxCascadeNets): an error
/// saying so otherwise.
Status checkCascadeSize(size_t nets);

/// Opens the nets at `paths` (checkCascadeSize before any is opened; each
/// anything Runner::open takes but a cascade) and joins them
/// with `margins` (Cascade::create). An error opening net i names it by
/// `where[i]` when given, else as "net i + 1"; an error joining them is
/// prefixed with `context`. `cudaDevice`: the CUDA device of the nets that
/// are GPU modules; another than 0 where none is, an error.
Status openCascade(const std::vector<std::string> &paths,
                   std::vector<double> margins, std::unique_ptr<Cascade> &out,
                   const std::vector<std::string> &where = {},
                   const std::string &context = "", int cudaDevice = 0);

/// Reads and parses a cascade file and opens its nets (openCascade, its GPU
/// modules on `cudaDevice`): a relative PATH is read from the file's
/// directory.
Status readCascadeFile(const std::string &path, std::unique_ptr<Cascade> &out,
                       int cudaDevice = 0);

/// Whether `path` names a cascade file (.cascade).
bool isCascadePath(const std::string &path);

/// What a cascade would do with stage counts already known for every
/// sample: `stageCounts[i]` holds stage i's n x classes counts, `taus[i]`
/// its tau. Fills `counts` (n x classes, the sums a cascade with `margins`
/// returns) and `stagesPerSample` (n); used to choose margins from one run
/// of each net instead of one run of the cascade per margin.
void simulateCascade(const std::vector<const uint32_t *> &stageCounts,
                     const std::vector<double> &taus,
                     const std::vector<double> &margins, size_t n,
                     uint32_t classes, uint32_t *counts,
                     uint8_t *stagesPerSample);

} // namespace lgc

#endif // LGC_RUNTIME_CASCADE_H
