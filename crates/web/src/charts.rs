//! Server-rendered SVG charts: an indicator's values against its target, and sparklines.
//! Plain SVG strings (no script), escaped text, sized by viewBox so they scale on phones.

use crate::view::escape;

/// Colours by status, the same everywhere: met/on track green, off track/not met red, no data grey.
pub fn status_colour(status: &str) -> &'static str {
    match status {
        "met" | "on_track" => "#1a7f37",
        "off_track" | "not_met" => "#cf222e",
        _ => "#8c959f",
    }
}

struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    w: f64,
    h: f64,
    pad: f64,
}

impl Frame {
    fn new(points: &[(f64, f64)], w: f64, h: f64, pad: f64, percent: bool) -> Option<Frame> {
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (x, y) in points {
            x0 = x0.min(*x);
            x1 = x1.max(*x);
            y0 = y0.min(*y);
            y1 = y1.max(*y);
        }
        if points.is_empty() || !x0.is_finite() || !y0.is_finite() {
            return None;
        }
        if (x1 - x0).abs() < f64::EPSILON {
            x0 -= 1.0;
            x1 += 1.0;
        }
        // Some headroom so lines do not touch the frame; a share's axis stays within 0–100 %.
        let span = (y1 - y0).abs().max(y1.abs() * 0.05).max(1.0);
        let (mut lo, mut hi) = (y0 - span * 0.1, y1 + span * 0.1);
        if percent {
            lo = if y0 >= 0.0 { lo.max(0.0) } else { lo };
            hi = if y1 <= 100.0 { hi.min(100.0) } else { hi };
        }
        if (hi - lo).abs() < f64::EPSILON {
            (lo, hi) = (lo - 1.0, hi + 1.0);
        }
        Some(Frame {
            x0,
            x1,
            y0: lo,
            y1: hi,
            w,
            h,
            pad,
        })
    }

    fn x(&self, v: f64) -> f64 {
        self.pad + (v - self.x0) / (self.x1 - self.x0) * (self.w - 2.0 * self.pad)
    }

    fn y(&self, v: f64) -> f64 {
        self.h - self.pad - (v - self.y0) / (self.y1 - self.y0) * (self.h - 2.0 * self.pad)
    }

    fn polyline(&self, pts: &[(f64, f64)]) -> String {
        pts.iter()
            .map(|(x, y)| format!("{:.1},{:.1}", self.x(*x), self.y(*y)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A small trend line for dashboards (values by year), coloured by status.
pub fn sparkline(values: &[(i32, f64)], status: &str) -> String {
    let pts: Vec<(f64, f64)> = values.iter().map(|(x, y)| (f64::from(*x), *y)).collect();
    let Some(f) = Frame::new(&pts, 120.0, 32.0, 3.0, false) else {
        return r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 32" class="spark" aria-hidden="true"><line x1="3" y1="16" x2="117" y2="16" stroke="#d0d7de" stroke-dasharray="3 3"/></svg>"##.to_string();
    };
    let colour = status_colour(status);
    let last = pts
        .last()
        .map(|(x, y)| (f.x(*x), f.y(*y)))
        .unwrap_or_default();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 32" class="spark" aria-hidden="true"><polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/><circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{colour}"/></svg>"##,
        f.polyline(&pts),
        last.0,
        last.1
    )
}

/// One series on a chart.
pub struct Series<'a> {
    pub label: &'a str,
    pub points: Vec<(i32, f64)>,
    pub colour: &'a str,
    pub dashed: bool,
}

/// A line chart of actual values against target lines, with year labels and a legend.
pub fn line_chart(title: &str, unit: &str, series: &[Series<'_>]) -> String {
    let all: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|(x, y)| (f64::from(*x), *y)))
        .collect();
    let (w, h, pad) = (640.0, 280.0, 40.0);
    let Some(f) = Frame::new(&all, w, h, pad, unit.trim() == "%") else {
        return String::new();
    };
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" aria-label="{}" font-family="PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif" font-size="12">"##,
        escape(title)
    );
    out.push_str(&format!(
        r##"<rect x="{pad}" y="{pad}" width="{}" height="{}" fill="#fff" stroke="#d0d7de"/>"##,
        w - 2.0 * pad,
        h - 2.0 * pad
    ));
    // Year ticks.
    let (first, last) = (f.x0.ceil() as i32, f.x1.floor() as i32);
    for year in first..=last {
        let x = f.x(f64::from(year));
        out.push_str(&format!(r##"<line x1="{x:.1}" x2="{x:.1}" y1="{:.1}" y2="{:.1}" stroke="#eaeef2"/><text x="{x:.1}" y="{:.1}" text-anchor="middle" fill="#57606a">{year}</text>"##, pad, h - pad, h - pad + 16.0));
    }
    // Value ticks: bottom, middle, top.
    for v in [f.y0, (f.y0 + f.y1) / 2.0, f.y1] {
        out.push_str(&format!(
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="#57606a">{}</text>"##,
            pad - 4.0,
            f.y(v) + 4.0,
            trim_number(v)
        ));
    }
    if !unit.is_empty() {
        out.push_str(&format!(
            r##"<text x="{pad}" y="{:.1}" fill="#57606a">{}</text>"##,
            pad - 8.0,
            escape(unit)
        ));
    }
    for (i, s) in series.iter().enumerate() {
        let pts: Vec<(f64, f64)> = s.points.iter().map(|(x, y)| (f64::from(*x), *y)).collect();
        if pts.is_empty() {
            continue;
        }
        let dash = if s.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        out.push_str(&format!(
            r##"<polyline fill="none" stroke="{}" stroke-width="2.5"{dash} points="{}"/>"##,
            s.colour,
            f.polyline(&pts)
        ));
        if !s.dashed {
            for (x, y) in &pts {
                out.push_str(&format!(
                    r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"><title>{}: {}</title></circle>"##,
                    f.x(*x),
                    f.y(*y),
                    s.colour,
                    *x as i32,
                    trim_number(*y)
                ));
            }
        }
        // Legend along the top right.
        let lx = w - pad - 150.0;
        let ly = 14.0 + 14.0 * i as f64;
        out.push_str(&format!(
            r##"<line x1="{lx}" x2="{}" y1="{ly}" y2="{ly}" stroke="{}" stroke-width="2.5"{dash}/><text x="{}" y="{:.1}" fill="#1f2328">{}</text>"##,
            lx + 18.0,
            s.colour,
            lx + 24.0,
            ly + 4.0,
            escape(s.label)
        ));
    }
    out.push_str("</svg>");
    out
}

/// 92.5 → "92.5", 108 → "108", 0.39 → "0.39".
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_places_the_last_point_and_colours_by_status() {
        let s = sparkline(&[(2013, 108.0), (2014, 104.0), (2015, 101.0)], "off_track");
        assert!(s.contains("#cf222e") && s.contains("<polyline") && s.contains("<circle"));
        // Empty data is a dashed placeholder, not a panic.
        assert!(sparkline(&[], "no_data").contains("stroke-dasharray"));
        assert!(sparkline(&[(2015, 5.0)], "met").contains("#1a7f37"));
    }

    #[test]
    fn chart_escapes_labels_and_draws_each_series() {
        let c = line_chart(
            "PM2.5 <x>",
            "ug/m3",
            &[
                Series {
                    label: "实际值",
                    points: vec![(2013, 108.0), (2015, 101.0)],
                    colour: "#0969da",
                    dashed: false,
                },
                Series {
                    label: "目标 & 路径",
                    points: vec![(2013, 108.0), (2016, 95.0)],
                    colour: "#1a7f37",
                    dashed: true,
                },
            ],
        );
        assert!(c.contains("PM2.5 &lt;x&gt;") && c.contains("目标 &amp; 路径"));
        assert_eq!(c.matches("<polyline").count(), 2);
        assert!(c.contains(">2014<") && c.contains(">2016<"));
        assert_eq!(trim_number(92.5), "92.5");
        assert_eq!(trim_number(108.0), "108");
        assert!(line_chart("x", "", &[]).is_empty());
    }
}
