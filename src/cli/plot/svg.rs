//! The plot as an SVG document (`--svg FILE`): 720x440 pixels, the same samples' curve as
//! polylines, axes and labels.

use super::{PlotRange, Samples, fraction, label_pair};
use std::fmt::Write;

/// `s` as SVG text: `&`, `<`, `>` and `"` escaped.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The plot as an SVG document: axes, the range and the y extremes as labels, the curve as
/// polylines broken where the value is NaN or infinite.
pub fn svg(title: &str, range: &PlotRange, f: impl FnMut(f64) -> f64) -> String {
    let samples = Samples::new(range, 721, f);
    let mut out = svg_frame(title);
    match samples.y_range() {
        None => {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">no finite value</text>"#,
                LEFT + PW / 2.0,
                TOP + PH / 2.0
            );
        }
        Some((lo, hi)) => {
            let plane = Plane { range, lo, hi };
            svg_zero_lines(&mut out, &plane);
            svg_curve(&mut out, &plane, &samples);
            svg_labels(&mut out, &plane);
        }
    }
    out.push_str("</svg>\n");
    out
}

/// The SVG's size and the plot area's margins, in pixels.
const W: f64 = 720.0;
const H: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// The plot area's width and height.
const PW: f64 = W - LEFT - RIGHT;
const PH: f64 = H - TOP - BOTTOM;

/// The document's start: white background, the title, and the axes (left and bottom).
fn svg_frame(title: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="monospace" font-size="13">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="15">y = {}</text>"#,
        W / 2.0,
        escape(title)
    );
    let _ = writeln!(
        out,
        r##"<path d="M{LEFT} {TOP} V{} H{}" fill="none" stroke="#444" stroke-width="1"/>"##,
        TOP + PH,
        LEFT + PW
    );
    out
}

/// The plot area as the values it shows: x over the range, y from `lo` (bottom) to `hi`.
struct Plane<'a> {
    range: &'a PlotRange,
    lo: f64,
    hi: f64,
}

impl Plane<'_> {
    /// The pixel column of `x`.
    fn px(&self, x: f64) -> f64 {
        LEFT + fraction(x, self.range.from, self.range.to) * PW
    }

    /// The pixel row of `y`.
    fn py(&self, y: f64) -> f64 {
        TOP + fraction(y, self.hi, self.lo) * PH
    }
}

/// y = 0 and x = 0 as light lines, when they are in the plot.
fn svg_zero_lines(out: &mut String, plane: &Plane<'_>) {
    if plane.lo < 0.0 && plane.hi > 0.0 {
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.2}" x2="{}" y2="{y:.2}" stroke="#ccc"/>"##,
            LEFT + PW,
            y = plane.py(0.0)
        );
    }
    if plane.range.from < 0.0 && plane.range.to > 0.0 {
        let _ = writeln!(
            out,
            r##"<line x1="{x:.2}" y1="{TOP}" x2="{x:.2}" y2="{}" stroke="#ccc"/>"##,
            TOP + PH,
            x = plane.px(0.0)
        );
    }
}

/// The curve: a polyline per run of finite samples (a dot for a lone one), broken at gaps.
fn svg_curve(out: &mut String, plane: &Plane<'_>, samples: &Samples) {
    let mut run: Vec<(f64, f64)> = Vec::new();
    for (&x, &y) in samples.xs.iter().zip(&samples.ys) {
        if y.is_finite() {
            run.push((plane.px(x), plane.py(y)));
        } else {
            svg_run(out, &run);
            run.clear();
        }
    }
    svg_run(out, &run);
}

/// A run of points (pixels): a polyline, or a dot for a lone finite sample between gaps.
fn svg_run(out: &mut String, run: &[(f64, f64)]) {
    match run {
        [] => {}
        [(x, y)] => {
            let _ = writeln!(
                out,
                r##"<circle cx="{x:.2}" cy="{y:.2}" r="1.5" fill="#1f5fbf"/>"##
            );
        }
        _ => {
            let points: Vec<String> = run.iter().map(|(x, y)| format!("{x:.2},{y:.2}")).collect();
            let _ = writeln!(
                out,
                r##"<polyline fill="none" stroke="#1f5fbf" stroke-width="2" points="{}"/>"##,
                points.join(" ")
            );
        }
    }
}

/// The y extremes beside the y axis; the range's ends and the variable under the x axis.
fn svg_labels(out: &mut String, plane: &Plane<'_>) {
    let (top, bottom) = label_pair(plane.hi, plane.lo);
    let range = plane.range;
    let (from, to) = label_pair(range.from, range.to);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        LEFT - 6.0,
        TOP + 5.0,
        top
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
        LEFT - 6.0,
        TOP + PH + 4.0,
        bottom
    );
    let base = TOP + PH + 20.0;
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{base}" text-anchor="start">{}</text>"#,
        from
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{base}" text-anchor="end">{}</text>"#,
        LEFT + PW,
        to
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{base}" text-anchor="middle">{}</text>"#,
        LEFT + PW / 2.0,
        escape(&range.var)
    );
}
