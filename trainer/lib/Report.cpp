//===- Report.cpp - The trainer's outputs: log, plot, trained net ---------===//
//
// Part of lgc. What a run leaves behind: the CSV log of the evaluations, an
// SVG of the curves, and the discretised net with its training metadata.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"

#include "lgc/Runtime/FileUtil.h"
#include "lgc/Runtime/Format.h"

#include <algorithm>
#include <cstdio>

using namespace lgc;
using namespace lgc::train;

Status Trainer::writeOutputs(const EvalResult &last, double seconds) {
  if (!opts.log.empty()) {
    std::string csv =
        std::string("iteration,seconds,train_loss,train_accuracy,") +
        evalName() + "_relaxed_accuracy," + evalName() + "_discrete_accuracy\n";
    char line[256];
    for (const HistoryRow &h : history) {
      std::snprintf(line, sizeof line, "%llu,%.3f,%.6f,%.6f,%.6f,%.6f\n",
                    (unsigned long long)h.iteration, h.seconds, h.trainLoss,
                    h.trainAccuracy, h.testRelaxed, h.testDiscrete);
      csv += line;
    }
    if (Status s = writeFileAtomic(opts.log, csv); !s)
      return s;
  }
  if (!opts.plot.empty())
    if (Status s = writeFileAtomic(opts.plot,
                                   plotHistory(history, opts.model.describe()));
        !s)
      return s;
  if (!opts.output.empty()) {
    Net net = model.discretize();
    char acc[64];
    net.metadata.emplace_back("generator", "lgn-train");
    if (!opts.dataName.empty())
      net.metadata.emplace_back("dataset", opts.dataName);
    net.metadata.emplace_back("config", opts.model.describe());
    net.metadata.emplace_back("optimizer",
                              "adam lr=" + std::to_string(opts.lr) +
                                  " batch=" + std::to_string(opts.batch));
    net.metadata.emplace_back("iterations", std::to_string(iteration));
    std::snprintf(acc, sizeof acc, "%.4f", finalTestAccuracy);
    net.metadata.emplace_back("test_accuracy", acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.discreteAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_discrete_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.4f", last.relaxedAccuracy);
    net.metadata.emplace_back(std::string(evalName()) + "_relaxed_accuracy",
                              acc);
    std::snprintf(acc, sizeof acc, "%.1f", seconds);
    net.metadata.emplace_back("training_seconds", acc);
    if (Status s = writeNetFile(opts.output, net); !s)
      return s;
  }
  return Status::success();
}

//===----------------------------------------------------------------------===//
// Plot
//===----------------------------------------------------------------------===//

std::string lgc::train::plotHistory(const std::vector<HistoryRow> &history,
                                    const std::string &title) {
  const int W = 720, H = 300, L = 60, R = 20, T = 30, Bm = 40;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(W) + "\" height=\"" + std::to_string(2 * H) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  std::string safeTitle;
  for (char c : title)
    safeTitle += c == '<'   ? std::string("&lt;")
                 : c == '&' ? std::string("&amp;")
                            : std::string(1, c);
  uint64_t maxIt =
      history.empty() ? 1 : std::max<uint64_t>(1, history.back().iteration);
  auto panel =
      [&](int y0, const char *name, double lo, double hi,
          std::vector<std::pair<const char *, double HistoryRow::*>> series) {
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
            "stroke=\"#888\"/>\n<text x=\"%d\" y=\"%d\">%s</text>\n",
            L, y0 + T, W - L - R, H - T - Bm, L, y0 + T - 8, name);
        svg += buf;
        std::snprintf(
            buf, sizeof buf,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%llu it</text>\n",
            L - 4, y0 + T + 10, hi, L - 4, y0 + H - Bm, lo, W - R,
            y0 + H - Bm + 16, (unsigned long long)maxIt);
        svg += buf;
        const char *colors[] = {"#d62728", "#1f77b4", "#2ca02c"};
        int ci = 0;
        for (auto &[label, field] : series) {
          std::string pts;
          for (const HistoryRow &h : history) {
            double x = L + double(h.iteration) / double(maxIt) * (W - L - R);
            double v = std::min(hi, std::max(lo, h.*field));
            double y = y0 + H - Bm - (v - lo) / (hi - lo) * (H - T - Bm);
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x, y);
            pts += buf;
          }
          svg += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" +
                 std::string(colors[ci % 3]) + "\" points=\"" + pts + "\"/>\n";
          std::snprintf(buf, sizeof buf,
                        "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n",
                        L + 10 + 170 * ci, y0 + H - 8, colors[ci % 3], label);
          svg += buf;
          ++ci;
        }
      };
  double maxLoss = 0.1;
  for (const HistoryRow &h : history)
    maxLoss = std::max(maxLoss, h.trainLoss);
  svg += "<text x=\"" + std::to_string(L) + "\" y=\"14\">" + safeTitle +
         "</text>\n";
  panel(0, "training loss", 0, maxLoss,
        {{"train loss", &HistoryRow::trainLoss}});
  panel(H, "accuracy", 0, 1,
        {{"train (relaxed)", &HistoryRow::trainAccuracy},
         {"test (relaxed)", &HistoryRow::testRelaxed},
         {"test (discretised)", &HistoryRow::testDiscrete}});
  svg += "</svg>\n";
  return svg;
}
