//! Charts as inline SVG, rendered on the server: horizontal bars (long
//! Chinese labels fit) and a line over a few points. Every bar and point is
//! a link to the list behind it. No JavaScript, no fonts or files fetched.

use std::fmt::Write;

use yunwei_core::home::{Chart, ChartKind, Point};

/// Width of every chart in SVG units (it scales to its frame).
const WIDTH: f64 = 520.0;
/// The label column of a bar chart.
const LABEL_W: f64 = 190.0;
/// The value column after a bar.
const VALUE_W: f64 = 76.0;
const BAR_H: f64 = 26.0;
const GAP: f64 = 8.0;

/// Escapes text for an SVG text node or attribute.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Cuts a label to `n` characters, with an ellipsis.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// The chart as an `<svg>` element (or a line of text when it has no data).
pub fn svg(c: &Chart) -> String {
    if c.points.is_empty() {
        return "<p class=\"hint\">暂无数据</p>".to_string();
    }
    match c.kind {
        ChartKind::Bar => bars(c),
        ChartKind::Line => line(c),
    }
}

fn max_of(c: &Chart) -> f64 {
    if c.percent {
        1.0
    } else {
        c.points
            .iter()
            .map(|p| p.value)
            .fold(0.0, f64::max)
            .max(1.0)
    }
}

fn bars(c: &Chart) -> String {
    let n = c.points.len() as f64;
    let height = n * (BAR_H + GAP) + GAP;
    let span = WIDTH - LABEL_W - VALUE_W;
    let max = max_of(c);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart bar\" id=\"chart-{id}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{title}\" xmlns=\"http://www.w3.org/2000/svg\">",
        id = esc(&c.id),
        title = esc(&c.title),
    );
    for (i, p) in c.points.iter().enumerate() {
        let y = GAP + i as f64 * (BAR_H + GAP);
        let w = (p.value / max).clamp(0.0, 1.0) * span;
        let _ = write!(
            s,
            "<a href=\"{href}\" class=\"chart-link\"><title>{label}：{text}</title>\
             <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{short}</text>\
             <rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{w:.1}\" height=\"{BAR_H}\" rx=\"3\" class=\"chart-bar\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" class=\"chart-value\">{text}</text></a>",
            href = esc(&p.link),
            label = esc(&p.label),
            text = esc(&p.text),
            short = esc(&cut(&p.label, 10)),
            lx = LABEL_W - 8.0,
            ty = y + BAR_H * 0.72,
            vx = LABEL_W + w + 6.0,
        );
    }
    s.push_str("</svg>");
    s
}

fn line(c: &Chart) -> String {
    let height = 220.0;
    let (left, right, top, bottom) = (56.0, 40.0, 24.0, 40.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = max_of(c);
    let n = c.points.len();
    let x_of = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |p: &Point| top + plot_h * (1.0 - (p.value / max).clamp(0.0, 1.0));
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg class=\"chart line\" id=\"chart-{id}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{title}\" xmlns=\"http://www.w3.org/2000/svg\">",
        id = esc(&c.id),
        title = esc(&c.title),
    );
    // Axis: the bottom and the top value.
    let top_label = if c.percent {
        "100%".to_string()
    } else {
        format!("{max}")
    };
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{yb}\" x2=\"{xr}\" y2=\"{yb}\" class=\"chart-axis\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{xr}\" y2=\"{top}\" class=\"chart-grid\"/>\
         <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{top_label}</text>\
         <text x=\"{lx}\" y=\"{yb}\" text-anchor=\"end\" class=\"chart-label\">0</text>",
        yb = top + plot_h,
        xr = WIDTH - right,
        lx = left - 6.0,
        ty = top + 4.0,
    );
    let path: Vec<String> = c
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", x_of(i), y_of(p)))
        .collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" class=\"chart-line\" fill=\"none\"/>",
        path.join(" ")
    );
    for (i, p) in c.points.iter().enumerate() {
        let (x, y) = (x_of(i), y_of(p));
        let _ = write!(
            s,
            "<a href=\"{href}\" class=\"chart-link\"><title>{label}：{text}</title>\
             <circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" class=\"chart-dot\"/>\
             <text x=\"{x:.1}\" y=\"{vy:.1}\" text-anchor=\"middle\" class=\"chart-value\">{text}</text>\
             <text x=\"{x:.1}\" y=\"{ly:.1}\" text-anchor=\"middle\" class=\"chart-label\">{label}</text></a>",
            href = esc(&p.link),
            label = esc(&p.label),
            text = esc(&p.text),
            vy = (y - 9.0).max(10.0),
            ly = height - 12.0,
        );
    }
    s.push_str("</svg>");
    s
}
