#include "train/training_curve.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace ngame {

namespace {

struct Panel {
  double x, y, w, h;
};

std::string polyline(const std::vector<std::pair<double, double>>& pts, const Panel& p, double x0, double x1,
                     double y0, double y1, const char* color) {
  if (pts.empty()) return {};
  std::string path;
  for (auto [x, y] : pts) {
    const double px = p.x + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * p.w;
    const double py = p.y + p.h - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * p.h;
    path += fmt::format("{:.1f},{:.1f} ", px, py);
  }
  std::string out = fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>)", color, path);
  for (auto [x, y] : pts) {
    const double px = p.x + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * p.w;
    const double py = p.y + p.h - (y1 > y0 ? (y - y0) / (y1 - y0) : 0.5) * p.h;
    out += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="{}"/>)", px, py, color);
  }
  return out + "\n";
}

std::string axes(const Panel& p, double x0, double x1, double y0, double y1, const std::string& label) {
  std::string out = fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#888"/>)", p.x, p.y,
                                p.w, p.h);
  for (int i = 0; i <= 4; ++i) {
    const double y = p.y + p.h - i * p.h / 4;
    const double v = y0 + (y1 - y0) * i / 4;
    out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" stroke="#eee"/>)", p.x, y, p.x + p.w, y);
    out += fmt::format(R"(<text x="{}" y="{:.1f}" font-size="11" text-anchor="end">{:.3g}</text>)", p.x - 4, y + 4, v);
  }
  for (int i = 0; i <= 4; ++i) {
    const double x = p.x + i * p.w / 4;
    out += fmt::format(R"(<text x="{:.1f}" y="{}" font-size="11" text-anchor="middle">{:.0f}</text>)", x,
                       p.y + p.h + 14, x0 + (x1 - x0) * i / 4);
  }
  out += fmt::format(R"(<text x="{}" y="{}" font-size="12" font-weight="bold">{}</text>)", p.x, p.y - 6, label);
  return out + "\n";
}

}  // namespace

std::string render_training_curve_svg(const std::vector<CurvePoint>& points, const std::string& title) {
  const double x0 = points.empty() ? 0 : points.front().epoch;
  const double x1 = points.empty() ? 1 : std::max(points.back().epoch, x0 + 1);
  std::vector<std::pair<double, double>> loss, p1, p5, psp5;
  double loss_max = 0;
  for (const CurvePoint& c : points) {
    loss.emplace_back(c.epoch, c.loss);
    loss_max = std::max(loss_max, c.loss);
    if (c.p1 >= 0) p1.emplace_back(c.epoch, c.p1);
    if (c.p5 >= 0) p5.emplace_back(c.epoch, c.p5);
    if (c.psp5 >= 0) psp5.emplace_back(c.epoch, c.psp5);
  }
  double m_min = 100, m_max = 0;
  for (const auto* series : {&p1, &p5, &psp5}) {
    for (auto [x, y] : *series) {
      m_min = std::min(m_min, y);
      m_max = std::max(m_max, y);
    }
  }
  if (m_min > m_max) {
    m_min = 0;
    m_max = 100;
  }
  m_min = std::floor(m_min / 5) * 5;
  m_max = std::ceil(m_max / 5) * 5 + (m_min == m_max ? 5 : 0);
  const Panel top{60, 50, 560, 180}, bottom{60, 290, 560, 180};
  std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" width="680" height="520" font-family="sans-serif">)";
  svg += "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += fmt::format(R"(<text x="340" y="24" font-size="15" text-anchor="middle">{}</text>)", title) + "\n";
  svg += axes(top, x0, x1, 0, loss_max > 0 ? loss_max * 1.05 : 1, "training loss");
  svg += polyline(loss, top, x0, x1, 0, loss_max > 0 ? loss_max * 1.05 : 1, "#d62728");
  svg += axes(bottom, x0, x1, m_min, m_max, "test metrics (%)");
  svg += polyline(p1, bottom, x0, x1, m_min, m_max, "#1f77b4");
  svg += polyline(p5, bottom, x0, x1, m_min, m_max, "#2ca02c");
  svg += polyline(psp5, bottom, x0, x1, m_min, m_max, "#9467bd");
  int legend_x = 420;
  for (auto [name, color] : {std::pair{"P@1", "#1f77b4"}, {"P@5", "#2ca02c"}, {"PSP@5", "#9467bd"}}) {
    svg += fmt::format(R"(<rect x="{}" y="276" width="10" height="10" fill="{}"/><text x="{}" y="285" font-size="11">{}</text>)",
                       legend_x, color, legend_x + 14, name);
    legend_x += 70;
  }
  svg += fmt::format(R"(<text x="340" y="510" font-size="12" text-anchor="middle">epoch</text>)") + "\n</svg>\n";
  return svg;
}

}  // namespace ngame
