#pragma once
// A training curve as a standalone SVG picture: loss per epoch and, when measured, P@1 / P@5 / PSP@5.
#include <string>
#include <vector>

namespace ngame {

/// One point of the curve; metrics < 0 mean "not measured in this epoch".
struct CurvePoint {
  double epoch = 0, loss = 0;
  double p1 = -1, p5 = -1, psp5 = -1;
};

/// Renders the curve (two panels: loss, and metrics in percent) as SVG text.
std::string render_training_curve_svg(const std::vector<CurvePoint>& points, const std::string& title);

}  // namespace ngame
