//! Charts as self-contained SVG: line charts, grouped bar charts and heat maps with labelled axes, one look for
//! the whole report (size, fonts, palette). No scripts, no external resources: the text can be inlined in HTML.

use std::fmt::Write as _;

/// Width and height of every chart, in SVG user units (pixels at 100%).
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 400.0;
/// Plot area margins: left, right, top, bottom.
const MARGIN: (f64, f64, f64, f64) = (72.0, 24.0, 48.0, 56.0);
/// Series colours: model, actual, third, fourth (colour-blind safe).
const PALETTE: [&str; 4] = ["#0072b2", "#d55e00", "#009e73", "#cc79a7"];

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// Points joined by a line, with markers.
    Markers,
}

/// A named series of (x, y) points.
#[derive(Clone, Debug)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// Points in data units, in x order.
    pub points: Vec<(f64, f64)>,
    /// How it is drawn.
    pub style: Style,
}

/// A line chart with a legend and an optional vertical marker (such as the end of calibration).
#[derive(Clone, Debug)]
pub struct LineChart {
    /// Machine name (the `data-chart` attribute).
    pub id: String,
    /// Title above the plot.
    pub title: String,
    /// Label of the x axis, with its unit.
    pub x_label: String,
    /// Label of the y axis, with its unit.
    pub y_label: String,
    /// The series.
    pub series: Vec<Series>,
    /// A vertical line at this x with this label.
    pub marker: Option<(f64, String)>,
}

/// Grouped bars: one group per category, one bar per series.
#[derive(Clone, Debug)]
pub struct BarChart {
    /// Machine name.
    pub id: String,
    /// Title above the plot.
    pub title: String,
    /// Label under the categories.
    pub x_label: String,
    /// Label of the y axis, with its unit.
    pub y_label: String,
    /// Category labels.
    pub categories: Vec<String>,
    /// (series name, one value per category).
    pub groups: Vec<(String, Vec<f64>)>,
}

/// A heat map of values over a grid, with a colour scale.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// Machine name.
    pub id: String,
    /// Title above the plot.
    pub title: String,
    /// Label of the x axis (columns).
    pub x_label: String,
    /// Label of the y axis (rows).
    pub y_label: String,
    /// Column labels.
    pub columns: Vec<String>,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// cells[row][column].
    pub cells: Vec<Vec<f64>>,
    /// What a cell's value is (for the colour scale).
    pub value_label: String,
}

/// About `count` round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten.
pub fn ticks(low: f64, high: f64, count: usize) -> Vec<f64> {
    if !(high > low) || !low.is_finite() || !high.is_finite() {
        return vec![low];
    }
    let raw = (high - low) / count.max(1) as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw).unwrap_or(10.0 * power);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A number as a tick label: no trailing zeros, thousands as k.
fn label(value: f64) -> String {
    if value.abs() >= 10_000.0 {
        return format!("{}k", trim(value / 1000.0));
    }
    trim(value)
}

fn trim(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".into() } else { text.into() }
}

/// Escapes text for SVG and HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The opening of a chart: the svg element, its title and axis labels.
fn open(id: &str, title: &str, x_label: &str, y_label: &str) -> String {
    let (left, _, top, bottom) = MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{id}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12"><title>{t}</title><rect width="100%" height="100%" fill="#ffffff"/><text x="{left}" y="24" font-size="15" font-weight="bold" fill="#222">{t}</text><text x="{x}" y="{y}" text-anchor="middle" fill="#333">{xl}</text><text transform="translate(16 {ym}) rotate(-90)" text-anchor="middle" fill="#333">{yl}</text>"##,
        t = escape(title),
        x = left + (WIDTH - left - MARGIN.1) / 2.0,
        y = HEIGHT - 12.0,
        xl = escape(x_label),
        ym = top + (HEIGHT - top - bottom) / 2.0,
        yl = escape(y_label),
    );
    svg
}

/// The plot area in SVG units: (left, right, top, bottom).
fn area() -> (f64, f64, f64, f64) {
    (MARGIN.0, WIDTH - MARGIN.1, MARGIN.2, HEIGHT - MARGIN.3)
}

/// Horizontal grid lines and y tick labels for [low, high]; returns the mapping of y values to SVG units.
fn y_axis(svg: &mut String, low: f64, high: f64) -> impl Fn(f64) -> f64 + use<> {
    let (left, right, top, bottom) = area();
    let y = move |v: f64| bottom - (v - low) / (high - low) * (bottom - top);
    for t in ticks(low, high, 5) {
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{right}" y1="{p:.1}" y2="{p:.1}" stroke="#e4e4e4"/><text x="{lx}" y="{ly:.1}" text-anchor="end" fill="#555">{l}</text>"##,
            p = y(t),
            lx = left - 6.0,
            ly = y(t) + 4.0,
            l = label(t)
        );
    }
    let _ = write!(svg, r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#888"/>"##);
    y
}

/// The range of values with 5% headroom, from 0 when all are non-negative.
fn value_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        low = low.min(v);
        high = high.max(v);
    }
    if !low.is_finite() {
        return (0.0, 1.0);
    }
    let low = low.min(0.0);
    let high = if high > low { high + 0.05 * (high - low) } else { low + 1.0 };
    (low, high)
}

/// The legend, top right, one entry per (name, colour, dashed).
fn legend(svg: &mut String, entries: &[(String, &str, bool)]) {
    let (_, right, top, _) = area();
    for (i, (name, colour, dashed)) in entries.iter().enumerate() {
        let y = top + 14.0 + 18.0 * i as f64;
        let x = right - 190.0;
        let dash = if *dashed { r#" stroke-dasharray="6 4""# } else { "" };
        let _ = write!(
            svg,
            r##"<line x1="{x}" x2="{x2}" y1="{y}" y2="{y}" stroke="{colour}" stroke-width="2.5"{dash}/><text x="{tx}" y="{ty}" fill="#222">{n}</text>"##,
            x2 = x + 24.0,
            tx = x + 30.0,
            ty = y + 4.0,
            n = escape(name)
        );
    }
}

impl LineChart {
    /// The chart as SVG text.
    pub fn to_svg(&self) -> String {
        let mut svg = open(&self.id, &self.title, &self.x_label, &self.y_label);
        let points = || self.series.iter().flat_map(|s| s.points.iter());
        let (x_low, x_high) = {
            let (lo, hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
            if lo.is_finite() && hi > lo { (lo, hi) } else { (0.0, 1.0) }
        };
        let (y_low, y_high) = value_range(points().map(|p| p.1));
        let y = y_axis(&mut svg, y_low, y_high);
        let (left, right, top, bottom) = area();
        let x = |v: f64| left + (v - x_low) / (x_high - x_low) * (right - left);
        for t in ticks(x_low, x_high, 8) {
            let _ = write!(
                svg,
                r##"<line x1="{p:.1}" x2="{p:.1}" y1="{bottom}" y2="{b2}" stroke="#888"/><text x="{p:.1}" y="{ty}" text-anchor="middle" fill="#555">{l}</text>"##,
                p = x(t),
                b2 = bottom + 5.0,
                ty = bottom + 18.0,
                l = label(t)
            );
        }
        let _ = write!(svg, r##"<line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#888"/>"##);
        if let Some((at, text)) = &self.marker {
            let p = x(*at);
            let _ = write!(
                svg,
                r##"<line x1="{p:.1}" x2="{p:.1}" y1="{top}" y2="{bottom}" stroke="#777" stroke-dasharray="3 3"/><text x="{tx:.1}" y="{ty}" fill="#555">{t}</text>"##,
                tx = p + 4.0,
                ty = top + 12.0,
                t = escape(text)
            );
        }
        let mut entries = Vec::new();
        for (i, s) in self.series.iter().enumerate() {
            let colour = PALETTE[i % PALETTE.len()];
            let path: Vec<String> = s
                .points
                .iter()
                .filter(|p| p.1.is_finite())
                .enumerate()
                .map(|(k, p)| format!("{}{:.1},{:.1}", if k == 0 { "M" } else { "L" }, x(p.0), y(p.1)))
                .collect();
            let dash = if s.style == Style::Dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let _ = write!(
                svg,
                r#"<path class="series" d="{}" fill="none" stroke="{colour}" stroke-width="2.2"{dash}/>"#,
                path.join("")
            );
            if s.style == Style::Markers {
                for p in s.points.iter().filter(|p| p.1.is_finite()) {
                    let _ = write!(svg, r#"<circle cx="{:.1}" cy="{:.1}" r="3.2" fill="{colour}"/>"#, x(p.0), y(p.1));
                }
            }
            entries.push((s.name.clone(), colour, s.style == Style::Dashed));
        }
        legend(&mut svg, &entries);
        svg.push_str("</svg>");
        svg
    }
}

impl BarChart {
    /// The chart as SVG text.
    pub fn to_svg(&self) -> String {
        let mut svg = open(&self.id, &self.title, &self.x_label, &self.y_label);
        let (y_low, y_high) = value_range(self.groups.iter().flat_map(|g| g.1.iter().copied()));
        let y = y_axis(&mut svg, y_low, y_high);
        let (left, right, _, bottom) = area();
        let slot = (right - left) / self.categories.len().max(1) as f64;
        let bar = slot * 0.8 / self.groups.len().max(1) as f64;
        for (c, name) in self.categories.iter().enumerate() {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
                left + slot * (c as f64 + 0.5),
                bottom + 18.0,
                escape(name)
            );
        }
        let mut entries = Vec::new();
        for (g, (name, values)) in self.groups.iter().enumerate() {
            let colour = PALETTE[g % PALETTE.len()];
            for (c, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
                let x0 = left + slot * c as f64 + slot * 0.1 + bar * g as f64;
                let (top, base) = (y(v.max(y_low)).min(y(0.0)), y(v.max(y_low)).max(y(0.0)));
                let _ = write!(
                    svg,
                    r#"<rect class="series" x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>{}: {}</title></rect>"#,
                    bar * 0.92,
                    (base - top).max(0.5),
                    escape(name),
                    trim(*v)
                );
            }
            entries.push((name.clone(), colour, false));
        }
        let _ = write!(svg, r##"<line x1="{left}" x2="{right}" y1="{b:.1}" y2="{b:.1}" stroke="#888"/>"##, b = y(0.0));
        legend(&mut svg, &entries);
        svg.push_str("</svg>");
        svg
    }
}

impl Heatmap {
    /// The chart as SVG text: cells shaded from white (lowest) to the palette's blue (highest), the value written
    /// in each cell when there is room.
    pub fn to_svg(&self) -> String {
        let mut svg = open(&self.id, &self.title, &self.x_label, &self.y_label);
        let (left, right, top, bottom) = area();
        let right = right - 70.0;
        let (n_rows, n_cols) = (self.rows.len().max(1), self.columns.len().max(1));
        let (w, h) = ((right - left) / n_cols as f64, (bottom - top) / n_rows as f64);
        let finite = || self.cells.iter().flatten().copied().filter(|v| v.is_finite());
        let low = finite().fold(f64::INFINITY, f64::min);
        let high = finite().fold(f64::NEG_INFINITY, f64::max);
        let span = if high > low { high - low } else { 1.0 };
        let shade = |v: f64| {
            let t = ((v - low) / span).clamp(0.0, 1.0);
            let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
            format!("#{:02x}{:02x}{:02x}", mix(255.0, 0.0), mix(255.0, 114.0), mix(255.0, 178.0))
        };
        for (r, row) in self.cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate().filter(|(_, v)| v.is_finite()) {
                let (x0, y0) = (left + w * c as f64, top + h * r as f64);
                let _ = write!(
                    svg,
                    r#"<rect class="series" x="{x0:.1}" y="{y0:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}, {}: {}</title></rect>"#,
                    w + 0.3,
                    h + 0.3,
                    shade(*v),
                    escape(&self.rows[r]),
                    escape(&self.columns[c]),
                    trim(*v)
                );
                if w >= 34.0 && h >= 16.0 {
                    let ink = if (v - low) / span > 0.55 { "#fff" } else { "#222" };
                    let _ = write!(
                        svg,
                        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="10" fill="{ink}">{}</text>"#,
                        x0 + w / 2.0,
                        y0 + h / 2.0 + 3.5,
                        format_cell(*v)
                    );
                }
            }
        }
        let every = |n: usize| n.div_ceil(12).max(1);
        for (c, name) in self.columns.iter().enumerate().step_by(every(n_cols)) {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
                left + w * (c as f64 + 0.5),
                bottom + 16.0,
                escape(name)
            );
        }
        for (r, name) in self.rows.iter().enumerate().step_by(every(n_rows)) {
            let _ = write!(
                svg,
                r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
                left - 6.0,
                top + h * (r as f64 + 0.5) + 4.0,
                escape(name)
            );
        }
        // The colour scale.
        let scale_x = right + 24.0;
        for k in 0..20 {
            let v = high - span * k as f64 / 19.0;
            let _ = write!(
                svg,
                r#"<rect x="{scale_x}" y="{:.1}" width="14" height="{:.1}" fill="{}"/>"#,
                top + (bottom - top) * k as f64 / 20.0,
                (bottom - top) / 20.0 + 0.5,
                shade(v)
            );
        }
        let _ = write!(
            svg,
            r##"<text x="{lx}" y="{ty}" fill="#555">{hi}</text><text x="{lx}" y="{by}" fill="#555">{lo}</text><text x="{lx}" y="{my}" fill="#555" font-size="10">{vl}</text>"##,
            lx = scale_x + 18.0,
            ty = top + 10.0,
            by = bottom,
            my = top + (bottom - top) / 2.0,
            hi = format_cell(high),
            lo = format_cell(low),
            vl = escape(&self.value_label)
        );
        svg.push_str("</svg>");
        svg
    }
}

/// A cell value in two significant decimals.
fn format_cell(value: f64) -> String {
    if value.abs() >= 100.0 { format!("{value:.0}") } else { format!("{value:.2}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(ticks(0.0, 1.0, 4), vec![0.0, 0.5, 1.0]);
        let t = ticks(3.0, 78.0, 8);
        assert_eq!((t[0], t[t.len() - 1], t[1] - t[0]), (10.0, 70.0, 10.0));
        assert_eq!(ticks(5.0, 5.0, 5), vec![5.0]);
    }

    #[test]
    fn labels_and_text_are_safe() {
        assert_eq!(label(12_500.0), "12.5k");
        assert_eq!(label(0.25), "0.25");
        assert_eq!(label(-0.0), "0");
        assert_eq!(escape("a < b & \"c\""), "a &lt; b &amp; &quot;c&quot;");
    }

    #[test]
    fn charts_hold_their_series() {
        let chart = LineChart {
            id: "t".into(),
            title: "T <1>".into(),
            x_label: "week".into(),
            y_label: "purchases".into(),
            series: vec![
                Series { name: "actual".into(), points: vec![(0.0, 1.0), (1.0, 3.0)], style: Style::Line },
                Series { name: "model".into(), points: vec![(0.0, 1.5), (1.0, f64::NAN)], style: Style::Dashed },
            ],
            marker: Some((0.5, "calibration end".into())),
        };
        let svg = chart.to_svg();
        assert_eq!(svg.matches(r#"class="series""#).count(), 2);
        assert!(svg.contains("T &lt;1&gt;") && svg.contains("calibration end") && !svg.contains("NaN"));
        let bars = BarChart {
            id: "b".into(),
            title: "b".into(),
            x_label: "decile".into(),
            y_label: "value".into(),
            categories: vec!["1".into(), "2".into()],
            groups: vec![("model".into(), vec![2.0, 1.0]), ("simple".into(), vec![1.0, 0.5])],
        };
        assert_eq!(bars.to_svg().matches("<rect class=\"series\"").count(), 4);
        let map = Heatmap {
            id: "h".into(),
            title: "h".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            columns: vec!["0".into(), "1".into()],
            rows: vec!["a".into()],
            cells: vec![vec![0.0, 1.0]],
            value_label: "P".into(),
        };
        let svg = map.to_svg();
        assert!(svg.contains("#ffffff") && svg.contains("#0072b2"), "both ends of the scale");
    }
}
