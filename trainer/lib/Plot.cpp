//===- Plot.cpp - Training curves as SVG, without a plotting library ------===//
//
// Part of lgc. Two panels (loss; accuracies in percent) sharing the
// iteration axis. Every range comes from the data, padded and rounded to
// "nice" tick steps (1, 2 or 5 times a power of ten), so curves between 85 %
// and 88 % fill their panel instead of being a flat band on 0-100 %. Text
// is placed in reserved margins (title above, tick labels left and below,
// legend under each panel), so nothing overlaps; a long title wraps.
//
//===----------------------------------------------------------------------===//

#include "lgc/Trainer/Trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

using namespace lgc::train;

namespace {

constexpr int kWidth = 800, kLeft = 78, kRight = 24;
constexpr int kPanelHeight = 230, kPanelGap = 96, kTitleLine = 18;
constexpr double kCharWidth = 7.0; // 12 px sans-serif, on average
const char *const kColors[] = {"#d62728", "#1f77b4", "#2ca02c", "#9467bd"};

std::string escape(const std::string &text) {
  std::string out;
  for (char c : text)
    out += c == '<'   ? "&lt;"
           : c == '>' ? "&gt;"
           : c == '&' ? "&amp;"
                      : std::string(1, c);
  return out;
}

std::string fmt(const char *format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// Ticks covering [lo, hi]: a step of 1, 2 or 5 x 10^k giving 4-8 ticks;
/// lo and hi are widened to whole steps.
std::vector<double> niceTicks(double &lo, double &hi) {
  if (!(hi > lo))
    hi = lo + 1;
  double raw = (hi - lo) / 5, mag = std::pow(10, std::floor(std::log10(raw)));
  double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : 5 * mag;
  lo = std::floor(lo / step) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  for (double t = lo; t <= hi + step / 2; t += step)
    ticks.push_back(std::abs(t) < step / 1e6 ? 0 : t);
  return ticks;
}

/// The fewest decimals that tell the ticks apart.
const char *tickFormat(const std::vector<double> &ticks) {
  double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  return step >= 1      ? "%.0f"
         : step >= 0.1  ? "%.1f"
         : step >= 0.01 ? "%.2f"
                        : "%.3g";
}

/// Lines of at most `width` characters, broken at spaces, and inside words
/// longer than a line (a path).
std::vector<std::string> wrap(const std::string &text, size_t width) {
  std::vector<std::string> lines(1);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos)
      end = text.size();
    if (end - start > width)
      end = start + width;
    std::string word = text.substr(start, end - start);
    if (!lines.back().empty() && lines.back().size() + 1 + word.size() > width)
      lines.emplace_back();
    lines.back() += (lines.back().empty() ? "" : " ") + word;
    start = end < text.size() && text[end] == ' ' ? end + 1 : end;
  }
  return lines;
}

struct Series {
  std::string label;
  double HistoryRow::*field;
  double scale;
  bool dashed;
};

} // namespace

std::string lgc::train::plotHistory(const std::vector<HistoryRow> &history,
                                    const std::string &title,
                                    const std::string &evalName) {
  int plotWidth = kWidth - kLeft - kRight;
  // Bold 13 px text is about 8 px a character; 9 leaves a margin.
  std::vector<std::string> titleLines =
      wrap(title, size_t(double(kWidth - kLeft - kRight) / 9.0));
  int top = 16 + kTitleLine * int(titleLines.size()) + 34;
  int height = top + 2 * kPanelHeight + 2 * kPanelGap - 24;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                    std::to_string(kWidth) + "\" height=\"" +
                    std::to_string(height) +
                    "\" font-family=\"sans-serif\" font-size=\"12\">\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < titleLines.size(); ++i)
    svg += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" +
           std::to_string(16 + kTitleLine * int(i + 1) - 4) +
           "\" font-size=\"13\" font-weight=\"bold\">" + escape(titleLines[i]) +
           "</text>\n";

  double xLo = 0, xHi = 1;
  for (const HistoryRow &h : history)
    xHi = std::max(xHi, double(h.iteration));
  std::vector<double> xTicks = niceTicks(xLo, xHi);

  auto panel = [&](int y0, const std::string &name, const std::string &unit,
                   const std::vector<Series> &series, bool fromZero,
                   double ceiling) {
    double lo = 1e300, hi = -1e300;
    for (const Series &s : series)
      for (const HistoryRow &h : history) {
        lo = std::min(lo, h.*(s.field) * s.scale);
        hi = std::max(hi, h.*(s.field) * s.scale);
      }
    if (history.empty())
      lo = 0, hi = 1;
    double pad = std::max(0.02 * std::abs(hi), 0.08 * (hi - lo));
    lo = fromZero ? 0 : std::max(0.0, lo - pad);
    hi = std::min(ceiling, hi + pad);
    std::vector<double> yTicks = niceTicks(lo, hi);
    const char *yFormat = tickFormat(yTicks);
    auto X = [&](double x) {
      return kLeft + (x - xLo) / (xHi - xLo) * plotWidth;
    };
    auto Y = [&](double y) {
      return y0 + kPanelHeight - (y - lo) / (hi - lo) * kPanelHeight;
    };
    // Grid and tick labels.
    for (double t : yTicks)
      svg += "<line x1=\"" + fmt("%.1f", kLeft) + "\" x2=\"" +
             fmt("%.1f", kLeft + plotWidth) + "\" y1=\"" + fmt("%.1f", Y(t)) +
             "\" y2=\"" + fmt("%.1f", Y(t)) +
             "\" stroke=\"#e4e4e4\"/>\n<text x=\"" + fmt("%.0f", kLeft - 6) +
             "\" y=\"" + fmt("%.1f", Y(t) + 4) + "\" text-anchor=\"end\">" +
             fmt(yFormat, t) + "</text>\n";
    for (double t : xTicks)
      svg += "<line x1=\"" + fmt("%.1f", X(t)) + "\" x2=\"" +
             fmt("%.1f", X(t)) + "\" y1=\"" + std::to_string(y0) + "\" y2=\"" +
             std::to_string(y0 + kPanelHeight) +
             "\" stroke=\"#e4e4e4\"/>\n<text x=\"" + fmt("%.1f", X(t)) +
             "\" y=\"" + std::to_string(y0 + kPanelHeight + 16) +
             "\" text-anchor=\"middle\">" + fmt("%.0f", t) + "</text>\n";
    svg += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" +
           std::to_string(y0) + "\" width=\"" + std::to_string(plotWidth) +
           "\" height=\"" + std::to_string(kPanelHeight) +
           "\" fill=\"none\" stroke=\"#777\"/>\n";
    // Axis titles: the panel's name above it, the unit along the y axis,
    // "iteration" under the x tick labels.
    svg += "<text x=\"" + std::to_string(kLeft) + "\" y=\"" +
           std::to_string(y0 - 8) + "\" font-weight=\"bold\">" + escape(name) +
           "</text>\n";
    svg += "<text transform=\"translate(16," +
           std::to_string(y0 + kPanelHeight / 2) +
           ") rotate(-90)\" text-anchor=\"middle\">" + escape(unit) +
           "</text>\n";
    svg += "<text x=\"" + std::to_string(kLeft + plotWidth / 2) + "\" y=\"" +
           std::to_string(y0 + kPanelHeight + 32) +
           "\" text-anchor=\"middle\">iteration</text>\n";
    // Curves with a marker per evaluation, and the legend under the axis.
    int legendX = kLeft;
    for (size_t i = 0; i < series.size(); ++i) {
      const Series &s = series[i];
      const char *color = kColors[i % 4];
      std::string points;
      for (const HistoryRow &h : history)
        points += fmt("%.1f,", X(double(h.iteration))) +
                  fmt("%.1f ", Y(h.*(s.field) * s.scale));
      svg +=
          std::string("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"") +
          color + "\"" + (s.dashed ? " stroke-dasharray=\"6 4\"" : "") +
          " points=\"" + points + "\"/>\n";
      for (const HistoryRow &h : history)
        svg += "<circle r=\"2.5\" fill=\"" + std::string(color) + "\" cx=\"" +
               fmt("%.1f", X(double(h.iteration))) + "\" cy=\"" +
               fmt("%.1f", Y(h.*(s.field) * s.scale)) + "\"/>\n";
      int y = y0 + kPanelHeight + 52;
      svg += "<line x1=\"" + std::to_string(legendX) + "\" x2=\"" +
             std::to_string(legendX + 22) + "\" y1=\"" + std::to_string(y - 4) +
             "\" y2=\"" + std::to_string(y - 4) +
             "\" stroke-width=\"2\" stroke=\"" + color + "\"" +
             (s.dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n<text x=\"" +
             std::to_string(legendX + 28) + "\" y=\"" + std::to_string(y) +
             "\">" + escape(s.label) + "</text>\n";
      legendX += 28 + int(double(s.label.size()) * kCharWidth) + 24;
    }
  };
  panel(top, "training loss (mean since the previous evaluation)",
        "cross-entropy", {{"train loss", &HistoryRow::trainLoss, 1, false}},
        true, 1e300);
  panel(top + kPanelHeight + kPanelGap, "accuracy", "accuracy (%)",
        {{"train (relaxed)", &HistoryRow::trainAccuracy, 100, false},
         {evalName + " (relaxed)", &HistoryRow::testRelaxed, 100, true},
         {evalName + " (discretised)", &HistoryRow::testDiscrete, 100, false}},
        false, 100);
  svg += "</svg>\n";
  return svg;
}
