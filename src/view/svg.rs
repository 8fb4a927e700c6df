//! A small SVG chart builder for the report's and the scenario sweep's charts: axes (linear or log) whose tick labels stay inside
//! the picture, lines and marks that each carry a hover title, text labels placed so that none
//! overlaps another or leaves the plot, and a legend and a key laid out below the plot rather
//! than over the data. Text is escaped here; the report puts the SVG in raw.

/// Font size of labels, ticks and the legend, in SVG units.
const FONT: f64 = 11.0;
/// The width of one character as a share of the font size: a little above sans-serif's
/// average, so that an estimated box holds the rendered text.
const CHAR_WIDTH: f64 = 0.62;
const WIDTH: f64 = 760.0;
const TITLE_FONT: f64 = 14.0;
const PLOT_HEIGHT: f64 = 380.0;
const MARGIN_LEFT: f64 = 70.0;
const MARGIN_RIGHT: f64 = 20.0;
const MARGIN_TOP: f64 = 36.0;
/// Below the plot: tick labels and the axis title.
const AXIS_BELOW: f64 = 44.0;
const LINE: f64 = 16.0;

/// Okabe and Ito's palette: distinguishable with the common colour-vision deficiencies and in
/// greyscale print.
pub(crate) const PALETTE: [&str; 7] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000",
];

/// An axis: its span, scale and title.
#[derive(Debug, Clone)]
pub(crate) struct Axis {
    pub lo: f64,
    pub hi: f64,
    pub log: bool,
    pub title: String,
    /// Rows of a bar chart: no ticks, no grid (the rows carry their own labels).
    rows: bool,
}

impl Axis {
    pub(crate) fn log(lo: f64, hi: f64, title: impl Into<String>) -> Axis {
        Axis {
            lo,
            hi,
            log: true,
            title: title.into(),
            rows: false,
        }
    }

    pub(crate) fn linear(lo: f64, hi: f64, title: impl Into<String>) -> Axis {
        Axis {
            lo,
            hi,
            log: false,
            title: title.into(),
            rows: false,
        }
    }

    /// `n` rows of a bar chart, row `i` at `i`.
    pub fn rows(n: f64) -> Axis {
        Axis {
            rows: true,
            ..Axis::linear(-0.5, n - 0.5, "")
        }
    }

    /// Where `v` falls between the ends, 0 to 1.
    fn share(&self, v: f64) -> f64 {
        if self.log {
            (v.ln() - self.lo.ln()) / (self.hi.ln() - self.lo.ln())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn holds(&self, v: f64) -> bool {
        v.is_finite() && v >= self.lo && v <= self.hi && (!self.log || v > 0.0)
    }

    /// Tick values: decades on a log axis (with 2 and 5 between where there are few), five
    /// round steps on a linear one.
    fn ticks(&self) -> Vec<f64> {
        if self.rows {
            return Vec::new();
        }
        if self.log {
            let (a, b) = (
                self.lo.log10().ceil() as i32,
                self.hi.log10().floor() as i32,
            );
            let decades: Vec<f64> = (a..=b).map(|e| 10f64.powi(e)).collect();
            if decades.len() >= 3 {
                return decades;
            }
            let mut out: Vec<f64> = (a - 1..=b)
                .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
                .filter(|v| self.holds(*v))
                .collect();
            out.dedup();
            out
        } else {
            let raw = (self.hi - self.lo) / 5.0;
            let mag = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .iter()
                .map(|m| m * mag)
                .find(|s| *s >= raw)
                .unwrap_or(raw);
            let first = (self.lo / step).ceil() as i64;
            (first..)
                .map(|i| i as f64 * step)
                .take_while(|v| *v <= self.hi + step * 1e-9)
                .collect()
        }
    }
}

/// A tick value in few characters: 1, 20, 500, 1k, 10k, 2M; decimals below one.
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{suffix}")
}

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A box on the picture, in SVG units.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    fn within(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// The box text of `chars` characters takes at font size `size`, its baseline at `y`.
fn text_box(x: f64, y: f64, chars: usize, size: f64, anchor: &str) -> Rect {
    let w = chars as f64 * size * CHAR_WIDTH;
    let x0 = match anchor {
        "end" => x - w,
        "middle" => x - w / 2.0,
        _ => x,
    };
    Rect {
        x0,
        y0: y - size,
        x1: x0 + w,
        y1: y + size * 0.3,
    }
}

/// The shape of a mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Dot,
    Triangle,
}

fn shape_svg(shape: Shape, x: f64, y: f64, color: &str) -> String {
    match shape {
        Shape::Dot => format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{color}\"/>"),
        Shape::Triangle => format!(
            "<path d=\"M{:.1},{:.1} L{:.1},{:.1} L{:.1},{:.1} Z\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.8\"/>",
            x,
            y - 5.0,
            x - 5.0,
            y + 4.0,
            x + 5.0,
            y + 4.0
        ),
    }
}

/// A legend entry: what a colour and shape (or a line) stand for.
enum Key {
    Mark(Shape),
    Line { dashed: bool },
    Area,
}

/// A chart being drawn.
pub(crate) struct Chart {
    title: String,
    x: Axis,
    y: Axis,
    plot: Rect,
    body: Vec<String>,
    /// Boxes text and marks take inside the plot.
    taken: Vec<Rect>,
    legend: Vec<(Key, String, String)>,
    /// Numbered marks that could take no label of their own: (number, what it is).
    key: Vec<(usize, String)>,
}

impl Chart {
    pub fn new(title: impl Into<String>, x: Axis, y: Axis) -> Chart {
        Chart {
            title: title.into(),
            plot: Rect {
                x0: MARGIN_LEFT,
                y0: MARGIN_TOP,
                x1: WIDTH - MARGIN_RIGHT,
                y1: MARGIN_TOP + PLOT_HEIGHT,
            },
            x,
            y,
            body: Vec::new(),
            taken: Vec::new(),
            legend: Vec::new(),
            key: Vec::new(),
        }
    }

    /// The picture point of a data point, if the axes hold it.
    pub fn at(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        (self.x.holds(x) && self.y.holds(y)).then(|| {
            (
                self.plot.x0 + self.x.share(x) * (self.plot.x1 - self.plot.x0),
                self.plot.y1 - self.y.share(y) * (self.plot.y1 - self.plot.y0),
            )
        })
    }

    /// A line through the data points the axes hold, with a hover title.
    pub fn line(
        &mut self,
        points: &[(f64, f64)],
        color: &str,
        width: f64,
        dashed: bool,
        title: &str,
    ) {
        let pts: Vec<String> = points
            .iter()
            .filter_map(|&(x, y)| self.at(x, y))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        if pts.len() < 2 {
            return;
        }
        self.body.push(format!(
            "<g><title>{}</title><polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\"{}/></g>",
            esc(title),
            pts.join(" "),
            if dashed { " stroke-dasharray=\"5,3\"" } else { "" }
        ));
    }

    /// A shaded region of data coordinates (clipped to the axes), with a hover title.
    pub(crate) fn region(
        &mut self,
        (x0, y0): (f64, f64),
        (x1, y1): (f64, f64),
        fill: &str,
        title: &str,
    ) {
        let cx = |v: f64| v.clamp(self.x.lo, self.x.hi);
        let cy = |v: f64| v.clamp(self.y.lo, self.y.hi);
        let (Some(a), Some(b)) = (self.at(cx(x0), cy(y1)), self.at(cx(x1), cy(y0))) else {
            return;
        };
        self.body.push(format!(
            "<g><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"/></g>",
            esc(title),
            a.0,
            a.1,
            b.0 - a.0,
            b.1 - a.1
        ));
    }

    /// A horizontal bar from the axis start to `x` at row `y` (a linear y axis of rows).
    pub fn bar(&mut self, x: f64, y: f64, half: f64, color: &str, title: &str) {
        let (Some(a), Some(b)) = (
            self.at(self.x.lo, y + half),
            self.at(x.clamp(self.x.lo, self.x.hi), y - half),
        ) else {
            return;
        };
        self.body.push(format!(
            "<g><title>{}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/></g>",
            esc(title),
            a.0,
            a.1,
            b.0 - a.0,
            b.1 - a.1
        ));
    }

    /// A mark at a data point with a hover title; its picture point where the axes hold it.
    pub(crate) fn mark(
        &mut self,
        x: f64,
        y: f64,
        shape: Shape,
        color: &str,
        title: &str,
    ) -> Option<(f64, f64)> {
        let (px, py) = self.at(x, y)?;
        self.body.push(format!(
            "<g><title>{}</title>{}</g>",
            esc(title),
            shape_svg(shape, px, py, color)
        ));
        self.taken.push(Rect {
            x0: px - 4.0,
            y0: py - 5.0,
            x1: px + 4.0,
            y1: py + 4.0,
        });
        Some((px, py))
    }

    /// Text next to the picture point `(px, py)`, at the first of eight places around it where
    /// it overlaps nothing placed and stays in the plot; whether it found one.
    pub fn label(&mut self, (px, py): (f64, f64), text: &str, color: &str) -> bool {
        let size = FONT - 1.0;
        let chars = text.chars().count();
        let places = [
            (px + 6.0, py + 4.0, "start"),
            (px - 6.0, py + 4.0, "end"),
            (px, py - 7.0, "middle"),
            (px, py + 15.0, "middle"),
            (px + 6.0, py - 6.0, "start"),
            (px - 6.0, py - 6.0, "end"),
            (px + 6.0, py + 14.0, "start"),
            (px - 6.0, py + 14.0, "end"),
        ];
        for (x, y, anchor) in places {
            let b = text_box(x, y, chars, size, anchor);
            if b.within(&self.plot) && !self.taken.iter().any(|t| t.overlaps(&b)) {
                self.taken.push(b);
                self.body.push(format!(
                    "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" text-anchor=\"{anchor}\" fill=\"{color}\">{}</text>",
                    esc(text)
                ));
                return true;
            }
        }
        false
    }

    /// A label for a mark where one fits, else a number beside it and its text in the key
    /// under the chart.
    pub fn name(&mut self, at: (f64, f64), text: &str, color: &str) {
        if self.label(at, text, color) {
            return;
        }
        let n = self.key.len() + 1;
        if self.label(at, &n.to_string(), color) {
            self.key.push((n, text.to_string()));
        }
    }

    /// A vertical line at data `x` across the plot, labelled at its top where the label fits,
    /// else numbered there and named in the key.
    pub(crate) fn vline(&mut self, x: f64, color: &str, text: &str) {
        let (Some(top), Some(bottom)) = (self.at(x, self.y.hi), self.at(x, self.y.lo)) else {
            return;
        };
        self.body.push(format!(
            "<g><title>{}</title><line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"{color}\" stroke-width=\"1\"/></g>",
            esc(text),
            top.0,
            top.1,
            bottom.0,
            bottom.1
        ));
        self.name((top.0 - 2.0, top.1 + 8.0), text, color);
    }

    pub(crate) fn legend_mark(&mut self, shape: Shape, color: &str, text: impl Into<String>) {
        self.legend
            .push((Key::Mark(shape), color.to_string(), text.into()));
    }

    pub(crate) fn legend_line(&mut self, dashed: bool, color: &str, text: impl Into<String>) {
        self.legend
            .push((Key::Line { dashed }, color.to_string(), text.into()));
    }

    pub(crate) fn legend_area(&mut self, color: &str, text: impl Into<String>) {
        self.legend
            .push((Key::Area, color.to_string(), text.into()));
    }

    /// Labels for rows of a bar chart, left of the plot: (row, text).
    pub(crate) fn row_labels(&mut self, rows: &[(f64, String)]) {
        for (row, text) in rows {
            if let Some((_, y)) = self.at(self.x.lo, *row) {
                self.body.push(format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"end\">{}</text>",
                    self.plot.x0 - 6.0,
                    y + 4.0,
                    esc(text)
                ));
            }
        }
    }

    /// The plot's left margin, widened to hold row labels of `chars` characters.
    pub(crate) fn with_left(mut self, chars: usize) -> Chart {
        self.plot.x0 = (chars as f64 * FONT * CHAR_WIDTH + 14.0).max(MARGIN_LEFT);
        self
    }

    /// Lines of text laid out left to right under `width`, each item `(width, svg)` placed at
    /// its x; returns the items with their row.
    fn flow(items: Vec<(f64, String)>, width: f64) -> Vec<(f64, usize, String)> {
        let (mut x, mut row) = (0.0, 0);
        let mut out = Vec::new();
        for (w, item) in items {
            if x > 0.0 && x + w > width {
                x = 0.0;
                row += 1;
            }
            out.push((x, row, item));
            x += w + 14.0;
        }
        out
    }

    fn axes(&self) -> String {
        let mut out = Vec::new();
        let p = self.plot;
        out.push(format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#999\"/>",
            p.x0,
            p.y0,
            p.x1 - p.x0,
            p.y1 - p.y0
        ));
        let mut last_end = f64::NEG_INFINITY;
        for t in self.x.ticks() {
            let Some((x, _)) = self.at(t, self.y.lo) else {
                continue;
            };
            let label = tick(t);
            let w = label.chars().count() as f64 * FONT * CHAR_WIDTH;
            let x_text = x.clamp(w / 2.0, WIDTH - w / 2.0);
            out.push(format!(
                "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>",
                p.y0, p.y1
            ));
            if x_text - w / 2.0 > last_end + 4.0 {
                last_end = x_text + w / 2.0;
                out.push(format!(
                    "<text x=\"{x_text:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\">{label}</text>",
                    p.y1 + 15.0
                ));
            }
        }
        let mut last_top = f64::INFINITY;
        for t in self.y.ticks() {
            let Some((_, y)) = self.at(self.x.lo, t) else {
                continue;
            };
            out.push(format!(
                "<line x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>",
                p.x0, p.x1
            ));
            // The lowest label sits above the axis, clear of the first x label below it.
            let baseline = (y + 4.0).min(p.y1 - 2.0);
            if baseline < last_top - FONT {
                last_top = baseline;
                out.push(format!(
                    "<text x=\"{:.1}\" y=\"{baseline:.1}\" font-size=\"{FONT}\" text-anchor=\"end\">{}</text>",
                    p.x0 - 5.0,
                    tick(t)
                ));
            }
        }
        out.push(format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\">{}</text>",
            (p.x0 + p.x1) / 2.0,
            p.y1 + 34.0,
            esc(&self.x.title)
        ));
        out.push(format!(
            "<text x=\"14\" y=\"{:.1}\" font-size=\"{FONT}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">{}</text>",
            (p.y0 + p.y1) / 2.0,
            (p.y0 + p.y1) / 2.0,
            esc(&self.y.title)
        ));
        out.join("\n")
    }

    /// The legend and the key, flowed under the plot; their SVG and the height they take.
    fn below(&self, top: f64) -> (String, f64) {
        let width = WIDTH - 20.0;
        let items: Vec<(f64, String)> = self
            .legend
            .iter()
            .map(|(key, color, text)| {
                let glyph = match key {
                    Key::Mark(shape) => shape_svg(*shape, 6.0, -4.0, color),
                    Key::Line { dashed } => format!(
                        "<line x1=\"0\" y1=\"-4\" x2=\"14\" y2=\"-4\" stroke=\"{color}\" stroke-width=\"2\"{}/>",
                        if *dashed { " stroke-dasharray=\"4,2\"" } else { "" }
                    ),
                    Key::Area => format!("<rect x=\"0\" y=\"-10\" width=\"14\" height=\"10\" fill=\"{color}\"/>"),
                };
                let w = 20.0 + text.chars().count() as f64 * FONT * CHAR_WIDTH;
                (
                    w,
                    format!("{glyph}<text x=\"20\" y=\"0\" font-size=\"{FONT}\">{}</text>", esc(text)),
                )
            })
            .chain(self.key.iter().map(|(n, text)| {
                let s = format!("{n}: {text}");
                let w = s.chars().count() as f64 * FONT * CHAR_WIDTH;
                (w, format!("<text x=\"0\" y=\"0\" font-size=\"{FONT}\">{}</text>", esc(&s)))
            }))
            .collect();
        let placed = Chart::flow(items, width);
        let rows = placed.iter().map(|(_, r, _)| r + 1).max().unwrap_or(0);
        let svg = placed
            .into_iter()
            .map(|(x, row, item)| {
                format!(
                    "<g transform=\"translate({:.1} {:.1})\">{item}</g>",
                    10.0 + x,
                    top + LINE * (row as f64 + 1.0)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        (svg, rows as f64 * LINE)
    }

    /// The finished picture: scalable (a viewBox, no fixed size), with its title.
    pub fn finish(self) -> String {
        let top = self.plot.y1 + AXIS_BELOW;
        let (below, height) = self.below(top);
        let total = top + height + 10.0;
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {total:.0}\" font-family=\"sans-serif\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"{:.1}\" y=\"20\" font-size=\"{TITLE_FONT}\" text-anchor=\"middle\"><title>{}</title>{}</text>\n{}\n{}\n{}\n</svg>",
            WIDTH / 2.0,
            esc(&self.title),
            esc(&fit(&self.title, WIDTH - 20.0, TITLE_FONT)),
            self.axes(),
            self.body.join("\n"),
            below
        )
    }
}

/// `text` cut with an ellipsis to fit `px` at `font` (its whole is the hover title).
fn fit(text: &str, px: f64, font: f64) -> String {
    let room = (px / (font * CHAR_WIDTH)).floor() as usize;
    if text.chars().count() <= room {
        return text.to_string();
    }
    let cut: String = text.chars().take(room.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_read_short_and_round() {
        assert_eq!(tick(100000.0), "100k");
        assert_eq!(tick(2500.0), "2.5k");
        assert_eq!(tick(0.01), "0.01");
        assert_eq!(tick(3e6), "3M");
        assert_eq!(
            Axis::log(100.0, 1e5, "").ticks(),
            vec![100.0, 1e3, 1e4, 1e5]
        );
        let few = Axis::log(2.0, 40.0, "").ticks();
        assert_eq!(few, vec![2.0, 5.0, 10.0, 20.0]);
        assert_eq!(
            Axis::linear(0.0, 9.0, "").ticks(),
            vec![0.0, 2.0, 4.0, 6.0, 8.0]
        );
    }

    #[test]
    fn labels_never_overlap_and_fall_back_to_a_numbered_key() {
        let mut c = Chart::new("t", Axis::log(1.0, 100.0, "x"), Axis::log(1.0, 100.0, "y"));
        // Twenty marks on one spot: a few take their names, the rest a number and the key.
        for i in 0..20 {
            let at = c
                .mark(10.0, 10.0, Shape::Dot, "#000", &format!("chip {i}"))
                .unwrap();
            c.name(at, &format!("chip number {i}"), "#000");
        }
        let placed: Vec<&Rect> = c.taken.iter().filter(|r| r.x1 - r.x0 > 9.0).collect();
        for (i, a) in placed.iter().enumerate() {
            for b in &placed[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} {b:?}");
            }
        }
        assert!(!c.key.is_empty());
        let svg = c.finish();
        assert!(svg.contains("<title>chip 19</title>") && svg.starts_with("<svg"));
        assert!(!svg.contains("<script"));
    }
}
