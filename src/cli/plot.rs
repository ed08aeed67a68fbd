//! Plots `y = f(x)` in the terminal with Unicode braille characters (each character is a
//! 2x4 grid of dots), and as an SVG file.
//!
//! The function is sampled once per dot column (terminal) or per pixel pair (SVG), evaluated
//! by the JIT. Consecutive finite samples are joined; a NaN or infinite value leaves a gap.

use super::args::{PlotRange, Size};
use std::fmt::Write;

mod svg;
pub use svg::svg;

/// The sampled curve: `xs[i] -> ys[i]` with non-finite `ys` as gaps.
#[derive(Clone, Debug)]
pub struct Samples {
    /// The x values, evenly spaced from `range.from` to `range.to`.
    pub xs: Vec<f64>,
    /// `f(x)`.
    pub ys: Vec<f64>,
}

impl Samples {
    /// Samples `f` at `n >= 2` evenly spaced points of the range.
    pub fn new(range: &PlotRange, n: usize, mut f: impl FnMut(f64) -> f64) -> Samples {
        let n = n.max(2);
        let xs: Vec<f64> = (0..n)
            .map(|i| {
                if i == n - 1 {
                    range.to
                } else {
                    lerp(range.from, range.to, i as f64 / (n - 1) as f64)
                }
            })
            .collect();
        let ys = xs.iter().map(|&x| f(x)).collect();
        Samples { xs, ys }
    }

    /// Smallest and largest finite `y` (widened when equal, see [`widen`]); `None` if there
    /// is none. Always finite with `lo < hi`, so that every `y` has a place on the axis.
    pub fn y_range(&self) -> Option<(f64, f64)> {
        let finite = self.ys.iter().copied().filter(|y| y.is_finite());
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
        if lo > hi {
            return None;
        }
        if lo == hi {
            return Some(widen(lo));
        }
        Some((lo, hi))
    }
}

/// The axis for the constant `c`: from `c` minus half its size to `c` plus half its size
/// (`-1..1` for 0), so it is drawn across the middle. Half of the smallest denormal rounds
/// to 0 and would leave an empty range (and 0/0 for every position): the pad is at least
/// that denormal. Near ±`f64::MAX` the far end would be infinite: it stops at the largest
/// double, and the value is drawn at that end.
fn widen(c: f64) -> (f64, f64) {
    const SMALLEST: f64 = 5e-324;
    let pad = if c == 0.0 {
        1.0
    } else {
        (c.abs() * 0.5).max(SMALLEST)
    };
    ((c - pad).max(-f64::MAX), (c + pad).min(f64::MAX))
}

/// The point a fraction `t` (0 to 1) of the way from `a` to `b`, also when `b - a` exceeds
/// the largest `f64` (a range such as `-1e308:1e308`).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if (b - a).is_finite() {
        a + (b - a) * t
    } else {
        a * (1.0 - t) + b * t
    }
}

/// How far `v` lies from `a` towards `b` (0 at `a`, 1 at `b`), also when `b - a` exceeds the
/// largest `f64`. An empty axis (`a == b`, which [`Samples::y_range`] never gives) puts `v`
/// in the middle: a position is never NaN, which would end up as a coordinate in the SVG.
fn fraction(v: f64, a: f64, b: f64) -> f64 {
    let t = if (b - a).is_finite() {
        (v - a) / (b - a)
    } else {
        (v * 0.5 - a * 0.5) / (b * 0.5 - a * 0.5)
    };
    if t.is_finite() { t } else { 0.5 }
}

/// Labels for the two ends of an axis: numbers with 4 significant digits (no trailing
/// zeros, scientific notation outside 1e-4..1e6), or as many more as
/// it takes to tell different ends apart (`1e15` and `1.000000000000001e15`, not `1e15`
/// twice).
pub fn label_pair(a: f64, b: f64) -> (String, String) {
    let mut digits = 4;
    loop {
        let pair = (label_with(a, digits), label_with(b, digits));
        if pair.0 != pair.1 || a == b || digits == 17 {
            return pair;
        }
        digits += 1;
    }
}

/// `v` with at most `digits` significant digits (1 to 17), no trailing zeros.
fn label_with(v: f64, digits: usize) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return scientific(v, digits);
    }
    let magnitude = a.log10().floor() as i32;
    let decimals = (digits as i32 - 1 - magnitude).clamp(0, 20) as usize;
    trim_zeros(&format!("{v:.decimals$}")).to_string()
}

/// `v` in scientific notation with `digits` significant digits, no trailing zeros (`1.5e3`).
fn scientific(v: f64, digits: usize) -> String {
    let s = format!("{v:.prec$e}", prec = digits.saturating_sub(1));
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
        None => s,
    }
}

/// The y axis labels (top, bottom) for values from `lo` to `hi`, shortened (fewer significant
/// digits) until they leave at least one plot column in `width` characters.
fn y_labels(lo: f64, hi: f64, width: usize) -> (String, String) {
    let fits = |a: &str, b: &str| a.chars().count().max(b.chars().count()) + 3 <= width;
    let (top, bottom) = label_pair(hi, lo);
    if fits(&top, &bottom) {
        return (top, bottom);
    }
    for digits in (1..4).rev() {
        let (top, bottom) = (scientific(hi, digits), scientific(lo, digits));
        if fits(&top, &bottom) {
            return (top, bottom);
        }
    }
    (String::new(), String::new())
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// Braille dot bits by (column 0/1, row 0..4) within a character.
const DOTS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];

/// The terminal plot of `samples` (which must have 2 samples per plot column), `size.height`
/// lines of at most `size.width` characters. The y axis is labelled with the largest and
/// smallest finite value, the x axis with the range ends and the variable name.
pub fn braille(range: &PlotRange, size: Size, mut f: impl FnMut(f64) -> f64) -> String {
    // The label width depends on the values and the number of samples on the label width:
    // sample, measure, and sample again until the layout is stable (at most three rounds).
    let mut cols = Layout::new(size, None).cols;
    let mut samples = Samples::new(range, cols * 2, &mut f);
    for _ in 0..3 {
        let Some((lo, hi)) = samples.y_range() else {
            break;
        };
        let (top, bottom) = y_labels(lo, hi, size.width);
        let c = Layout::new(size, Some((&top, &bottom))).cols;
        if c == cols {
            break;
        }
        cols = c;
        samples = Samples::new(range, cols * 2, &mut f);
    }
    render_braille(range, size, &samples)
}

struct Layout {
    label_width: usize,
    cols: usize,
    rows: usize,
}

impl Layout {
    fn new(size: Size, labels: Option<(&str, &str)>) -> Layout {
        let label_width = labels.map_or(0, |(a, b)| a.chars().count().max(b.chars().count()));
        let rows = size.height.saturating_sub(2).max(1);
        let cols = size.width.saturating_sub(label_width + 2).max(1);
        Layout {
            label_width,
            cols,
            rows,
        }
    }
}

/// Renders already sampled values (see [`braille`]); they are resampled to one per dot
/// column if their number does not fit the layout.
fn render_braille(range: &PlotRange, size: Size, samples: &Samples) -> String {
    let Some((lo, hi)) = samples.y_range() else {
        let (from, to) = label_pair(range.from, range.to);
        return format!(
            "no finite value of the expression for {} in {}..{}\n",
            range.var, from, to
        );
    };
    let (top, bottom) = y_labels(lo, hi, size.width);
    let lay = Layout::new(size, Some((&top, &bottom)));
    let (cols, rows) = (lay.cols, lay.rows);
    let dot_rows = rows * 4;
    let mut grid = vec![0u8; cols * rows];
    let mut set = |dx: usize, dy: usize| {
        if dx < cols * 2 && dy < dot_rows {
            grid[(dy / 4) * cols + dx / 2] |= DOTS[dx % 2][dy % 4];
        }
    };
    let to_row = |y: f64| -> usize {
        let t = fraction(y, hi, lo) * (dot_rows - 1) as f64;
        t.round().clamp(0.0, (dot_rows - 1) as f64) as usize
    };
    // Resample to exactly one value per dot column.
    let n = cols * 2;
    let mut prev: Option<usize> = None;
    for dx in 0..n {
        let i = if samples.ys.len() == n {
            dx
        } else {
            dx * (samples.ys.len() - 1) / (n - 1).max(1)
        };
        let y = samples.ys[i];
        if !y.is_finite() {
            prev = None;
            continue;
        }
        let r = to_row(y);
        match prev {
            // Join to the previous sample: fill this column from halfway.
            Some(p) if p.abs_diff(r) > 1 => {
                let mid = (p + r) / 2;
                let (a, b) = if p < r { (mid, r) } else { (r, mid) };
                for dy in a..=b {
                    set(dx, dy);
                }
                let (a, b) = if p < r { (p, mid) } else { (mid, p) };
                for dy in a..=b {
                    set(dx - 1, dy);
                }
            }
            _ => set(dx, r),
        }
        prev = Some(r);
    }
    let w = lay.label_width;
    let mut out = String::new();
    for row in 0..rows {
        let lab = match row {
            0 => top.as_str(),
            r if r == rows - 1 => bottom.as_str(),
            _ => "",
        };
        let _ = write!(out, "{lab:>w$} │");
        let line: String = grid[row * cols..(row + 1) * cols]
            .iter()
            .map(|&b| {
                if b == 0 {
                    ' '
                } else {
                    char::from_u32(0x2800 + u32::from(b)).unwrap_or('?')
                }
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let _ = writeln!(out, "{:w$} └{}", "", "─".repeat(cols));
    out.push_str(&x_labels(range, w + 2, cols, size.width));
    out.push('\n');
    out
}

/// The line under the x axis, which starts at column `start` and is `cols` wide: the range's
/// ends under the axis' ends and the variable's name in the middle, laid out by terminal
/// columns (a wide character such as `変` takes two, a combining mark none). What does not
/// fit in `width` columns is left out (the right end, then the left end); a name that does
/// not fit between them is cut short with `…`.
fn x_labels(range: &PlotRange, start: usize, cols: usize, width: usize) -> String {
    let (a, b) = label_pair(range.from, range.to);
    let mut xl = format!("{:start$}{a}", "");
    if columns(&xl) > width {
        return String::new();
    }
    let after_a = columns(&xl) + 1;
    let b_at = (start + cols).saturating_sub(columns(&b)).max(after_a);
    let b_fits = b_at + columns(&b) <= width;
    // the name keeps a blank on either side
    let name_end = if b_fits { b_at - 1 } else { width };
    let name = cut_to(&range.var, name_end.saturating_sub(after_a));
    if !name.is_empty() {
        let w = columns(&name);
        let name_at = (start + cols / 2).saturating_sub(w / 2);
        pad_to(&mut xl, name_at.clamp(after_a, name_end - w));
        xl.push_str(&name);
    }
    if b_fits {
        pad_to(&mut xl, b_at);
        xl.push_str(&b);
    }
    xl
}

/// The terminal columns `s` takes: the sum of its characters' widths, as a terminal adds
/// them up (wide characters 2, combining marks and control characters 0).
fn columns(s: &str) -> usize {
    s.chars().map(char_columns).sum()
}

fn char_columns(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `s` if it fits in `room` columns, else its longest start that fits with a `…` after it;
/// nothing when not even one character and the `…` fit.
fn cut_to(s: &str, room: usize) -> String {
    if columns(s) <= room {
        return s.to_string();
    }
    let mut used = 0;
    let mut cut = String::new();
    for c in s.chars() {
        used += char_columns(c);
        if used + 1 > room {
            break;
        }
        cut.push(c);
    }
    if columns(&cut) == 0 {
        return String::new();
    }
    cut.push('…');
    cut
}

/// Spaces up to column `at` (none if `line` is already that wide).
fn pad_to(line: &mut String, at: usize) {
    let n = at.saturating_sub(columns(line));
    line.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: f64, b: f64) -> PlotRange {
        PlotRange {
            var: "x".into(),
            from: a,
            to: b,
        }
    }

    #[test]
    fn labels_are_short() {
        assert_eq!(
            label_pair(1e15, 1e15 + 1.0),
            ("1e15".into(), "1.000000000000001e15".into())
        );
        assert_eq!(label_pair(1.0, 1.0 + f64::EPSILON).1, "1.0000000000000002");
        assert_eq!(label_pair(0.5, 2.0), ("0.5".into(), "2".into()));
        assert_eq!(label_pair(3.0, 3.0), ("3".into(), "3".into()));
        assert_eq!(label_with(1.0, 4), "1");
        assert_eq!(label_with(-1.0, 4), "-1");
        assert_eq!(label_with(0.5, 4), "0.5");
        assert_eq!(label_with(std::f64::consts::PI, 4), "3.142");
        assert_eq!(label_with(1234.5678, 4), "1235");
        assert_eq!(label_with(1e7, 4), "1e7");
        assert_eq!(label_with(1.5e-7, 4), "1.5e-7");
    }

    #[test]
    fn gaps_for_non_finite_values() {
        let size = Size {
            width: 30,
            height: 8,
        };
        let text = braille(&range(-1.0, 1.0), size, |x| {
            if x.abs() < 0.3 { f64::NAN } else { x }
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 8);
        // Some column in the middle of every plot row is blank.
        for l in &lines[..6] {
            let cells: Vec<char> = l.chars().skip(4).collect();
            assert!(cells.len() < 13 || cells[12] == ' ', "{text}");
        }
        let svg = svg("x", &range(-1.0, 1.0), |x| {
            if x.abs() < 0.3 { f64::NAN } else { x }
        });
        assert_eq!(svg.matches("<polyline").count(), 2);
    }

    #[test]
    fn all_nan() {
        let size = Size {
            width: 30,
            height: 8,
        };
        assert!(braille(&range(0.0, 1.0), size, |_| f64::NAN).contains("no finite value"));
        assert!(svg("nan", &range(0.0, 1.0), |_| f64::NAN).contains("no finite value"));
    }

    #[test]
    fn constant_function() {
        let size = Size {
            width: 20,
            height: 6,
        };
        let text = braille(&range(0.0, 1.0), size, |_| 2.0);
        assert!(text.starts_with("3 │"), "{text}");
    }

    /// The x labels of `var` over 0..1 in a 20x5 plot, and the axis line above them.
    fn x_label_line(var: &str) -> (String, String) {
        let range = PlotRange {
            var: var.into(),
            from: 0.0,
            to: 1.0,
        };
        let size = Size {
            width: 20,
            height: 5,
        };
        let text = braille(&range, size, |x| x * 2.0);
        let lines: Vec<&str> = text.lines().collect();
        (lines[4].to_string(), lines[3].to_string())
    }

    #[test]
    fn x_labels_are_laid_out_by_terminal_columns() {
        for (var, shown) in [
            ("変数変数", "変数変数"),
            ("x\u{301}", "x\u{301}"),
            ("変数変数変数変数", "変数変数変数…"),
            (
                &"a\u{301}".repeat(20),
                &format!("{}…", "a\u{301}".repeat(12)),
            ),
        ] {
            let (labels, axis) = x_label_line(var);
            // the right end under the axis' end, the name between the ends
            // (measured by unicode-width's own sum for a string, not by `columns`)
            let width = |s: &str| unicode_width::UnicodeWidthStr::width(s);
            assert_eq!(width(&labels), width(&axis), "{labels}\n{axis}");
            assert!(
                labels.ends_with(" 1") && labels.contains(&format!(" {shown} ")),
                "{labels}"
            );
        }
        // `変数変数` in the middle of the axis, as `abcdefgh` (as wide) would be
        let (wide, _) = x_label_line("変数変数");
        let (ascii, _) = x_label_line("abcdefgh");
        assert_eq!(wide.replace("変数変数", "abcdefgh"), ascii);
        assert_eq!(cut_to("変数", 2), "");
        assert_eq!(cut_to("変数", 3), "変…");
        assert_eq!(cut_to("変数", 4), "変数");
    }

    /// The plot rows (0 at the top) of a braille plot that have a dot.
    fn dotted_rows(text: &str) -> Vec<usize> {
        let rows = text.lines().filter_map(|l| l.split_once('│'));
        let dotted = |cells: &str| {
            cells
                .chars()
                .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c))
        };
        rows.enumerate()
            .filter(|(_, (_, cells))| dotted(cells))
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn tiny_and_huge_constants_have_an_axis() {
        let size = Size {
            width: 30,
            height: 6,
        };
        let constants = [
            5e-324,
            -5e-324,
            1e-323,
            f64::MIN_POSITIVE / 3.0,
            f64::MIN_POSITIVE,
            1.0,
            0.0,
            1.7e308,
            -1.7e308,
            f64::MAX,
            -f64::MAX,
        ];
        for c in constants {
            let (lo, hi) = Samples::new(&range(0.0, 1.0), 2, |_| c).y_range().unwrap();
            let ok = lo.is_finite() && hi.is_finite() && lo < hi && (lo..=hi).contains(&c);
            assert!(ok, "{c:e}: {lo:e}..{hi:e}");
            let text = braille(&range(0.0, 1.0), size, |_| c);
            let dotted = dotted_rows(&text);
            // across the middle (row 2 of 4), unless the range stops at the largest double
            let middle = if c.abs() < 1e308 {
                vec![2]
            } else {
                dotted.clone()
            };
            assert!(dotted.len() == 1 && dotted == middle, "{c:e}:\n{text}");
            let labels: Vec<&str> = text.lines().map(|l| l.split('│').next().unwrap()).collect();
            assert_ne!(labels[0].trim(), labels[3].trim(), "{c:e}:\n{text}");
            let svg = svg("c", &range(0.0, 1.0), |_| c);
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{c:e}: {svg}");
        }
    }

    #[test]
    fn an_empty_axis_puts_a_value_in_the_middle() {
        assert_eq!(fraction(5e-324, 5e-324, 5e-324), 0.5);
        assert_eq!(fraction(1.0, 0.0, 2.0), 0.5);
    }

    /// The dot columns of a braille plot that have no dot.
    fn empty_columns(text: &str) -> usize {
        let rows: Vec<Vec<u32>> = text
            .lines()
            .filter_map(|l| l.split_once('│'))
            .map(|(_, cells)| {
                cells
                    .chars()
                    .map(|c| u32::from(c).saturating_sub(0x2800))
                    .collect()
            })
            .collect();
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        // left and right dot column of each character cell
        let left = 0x01 | 0x02 | 0x04 | 0x40;
        let right = 0x08 | 0x10 | 0x20 | 0x80;
        (0..cols)
            .flat_map(|c| [(c, left), (c, right)])
            .filter(|&(c, bits)| rows.iter().all(|r| r.get(c).is_none_or(|&b| b & bits == 0)))
            .count()
    }

    #[test]
    fn ranges_wider_than_the_largest_double() {
        // -1e308..1e308 is 2e308 wide: its width is infinite in f64
        let wide = range(-1e308, 1e308);
        let size = Size {
            width: 30,
            height: 8,
        };
        let text = braille(&wide, size, |x| x);
        assert_eq!(empty_columns(&text), 0, "{text}");
        assert!(text.trim_start().starts_with("1e308 │"), "{text}");
        let xs = Samples::new(&wide, 9, |x| x).xs;
        assert_eq!(
            xs,
            [
                -1e308, -7.5e307, -5e307, -2.5e307, 0.0, 2.5e307, 5e307, 7.5e307, 1e308
            ]
        );
        let svg = svg("x", &wide, |x| x);
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 1);
        // a constant at the largest double: its padded range stays finite
        let text = braille(&range(0.0, 1.0), size, |_| f64::MAX);
        assert_eq!(empty_columns(&text), 0, "{text}");
        assert!(!text.contains("inf"), "{text}");
    }

    /// Ends of a range: ordinary, tiny (denormal), and near the largest double.
    fn end() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            -10.0..10.0f64,
            (-1e-320..1e-320f64),
            Just(f64::MAX),
            Just(-f64::MAX),
            any_magnitude(),
        ]
    }

    /// Doubles of either sign: any normal one (every exponent alike), and more from 1e300 to
    /// the largest. (Not one range from `-f64::MAX` to `f64::MAX`, whose width overflows:
    /// proptest's sampler failed on it, "low finite", in both tests of a run under wine.)
    fn any_magnitude() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::num::f64::NORMAL,
            1e300..f64::MAX,
            -f64::MAX..-1e300
        ]
    }

    /// Any double, with extra weight on the denormals and the ends of the finite doubles.
    fn constant() -> impl proptest::strategy::Strategy<Value = f64> {
        use proptest::prelude::*;
        prop_oneof![
            any::<f64>(),
            (-1e-320..1e-320f64),
            Just(5e-324),
            Just(-5e-324),
            Just(f64::MAX),
            Just(-f64::MAX),
            any_magnitude(),
        ]
    }

    proptest::proptest! {
        #![proptest_config(crate::cli::test_cases::cases(300))]

        /// A constant, alone or after a gap, is drawn on one row, and the SVG has only finite
        /// coordinates.
        #[test]
        fn any_constant_plots(c in constant(), gap in proptest::bool::ANY, w in 12..60usize, h in 4..20usize) {
            let f = |x: f64| if gap && x < 0.5 { f64::NAN } else { c };
            let text = braille(&range(0.0, 1.0), Size { width: w, height: h }, f);
            let dotted = dotted_rows(&text);
            proptest::prop_assert!(!c.is_finite() || dotted.len() == 1, "{c:e}:\n{text}");
            let svg = svg("c", &range(0.0, 1.0), f);
            proptest::prop_assert!(!svg.contains("NaN") && !svg.contains("inf"), "{c:e}: {svg}");
        }

        /// Whatever the range and the function, the plot has its size and the SVG only
        /// finite coordinates.
        #[test]
        fn any_finite_range_plots(a in end(), b in end(), which in 0..6usize, w in 12..60usize, h in 4..20usize) {
            proptest::prop_assume!(a != b);
            let (a, b) = (a.min(b), a.max(b));
            let f = |x: f64| match which {
                0 => x,
                1 => x * x,
                2 => 1.0 / x,
                3 => f64::MAX,
                4 => -x * 1e300,
                _ => x.sin(),
            };
            let text = braille(&range(a, b), Size { width: w, height: h }, f);
            let lines: Vec<&str> = text.lines().collect();
            let no_value = text.starts_with("no finite value");
            // (without a finite value, the text is a one-line message instead of a plot)
            proptest::prop_assert!(no_value || lines.len() == h, "{text}");
            proptest::prop_assert!(no_value || lines.iter().all(|l| l.chars().count() <= w), "{text}");
            let svg = svg("f", &range(a, b), f);
            proptest::prop_assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }
}
