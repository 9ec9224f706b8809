//! Canonical printing: ASCII operators, one space between tokens, numbers in
//! their shortest exact form (`92.5`, `100`, `0.39`), so that
//! `parse(&t.to_string()) == Ok(t)` for every target the parser accepts.

use std::fmt::{self, Display, Formatter};

use super::{Op, Part, RankBound, Target, TrendDirection, Unit};

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Unit {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for Target {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Target::Compare { op, value, unit } => {
                write!(f, "{op} {}", number(*value))?;
                write_unit(f, *unit)
            }
            Target::Eliminate => f.write_str("eliminate"),
            Target::Reduce {
                percent,
                baseline_year,
            } => write!(f, "reduce {} % vs {baseline_year}", number(*percent)),
            Target::Path { anchors, unit } => {
                f.write_str("path ")?;
                for (i, a) in anchors.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" -> ")?;
                    }
                    write!(f, "{}: {}", a.year, number(a.value))?;
                }
                write_unit(f, *unit)
            }
            Target::Trend { direction, years } => {
                let dir = match direction {
                    TrendDirection::Up => "up",
                    TrendDirection::Down => "down",
                };
                let word = if *years == 1 { "year" } else { "years" };
                write!(f, "trend {dir} {years} {word}")
            }
            Target::Rank { bound, peers } => {
                match bound {
                    RankBound::AtMost(n) => write!(f, "rank <= {n}")?,
                    RankBound::Leading => f.write_str("rank leading")?,
                }
                write!(f, " among {}", quoted(peers))
            }
            Target::Benchmark { op, name } => write!(f, "{op} benchmark {}", quoted(name)),
            Target::Qualitative { description } => {
                write!(f, "qualitative {}", quoted(description))
            }
            Target::All(parts) => write_group(f, "all", parts),
            Target::Any(parts) => write_group(f, "any", parts),
        }
    }
}

/// Shortest decimal text that reads back as the same f64; never uses an
/// exponent, so the parser's `digits.digits` grammar always accepts it.
pub(crate) fn number(v: f64) -> String {
    format!("{v}")
}

fn write_unit(f: &mut Formatter<'_>, unit: Option<Unit>) -> fmt::Result {
    match unit {
        Some(u) => write!(f, " {u}"),
        None => Ok(()),
    }
}

fn write_group(f: &mut Formatter<'_>, keyword: &str, parts: &[Part]) -> fmt::Result {
    write!(f, "{keyword}(")?;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        f.write_str(&part.label)?;
        if let Some(name) = &part.name {
            write!(f, " {}", quoted(name))?;
        }
        write!(f, ": {}", part.target)?;
    }
    f.write_str(")")
}

/// `"…"` with `\` and `"` escaped.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    /// Canonical strings print back unchanged.
    #[test]
    fn canonical_strings_are_fixed_points() {
        for s in [
            ">= 96 %",
            "> 30 %",
            "<= 56 dB(A)",
            "= 100 %",
            "< 0.39",
            ">= 92.5 %",
            ">= 1 count",
            "= -5 t",
            ">= 0.000001 mg/L",
            "eliminate",
            "reduce 14.8 % vs 2010",
            "path 2013: 108 -> 2016: 95 ug/m3",
            "path 2013: 108 -> 2014: 108 -> 2016: 95",
            "trend up 3 years",
            "trend down 1 year",
            "rank <= 10 among \"全国同等城市\"",
            "rank leading among \"全国同级城市\"",
            "< benchmark \"全国平均水平\"",
            "qualitative \"a \\\"quoted\\\" \\\\ text\"",
            "all(regional \"区域环境噪声\": <= 56 dB(A); road: <= 68 dB(A))",
            "any(a: >= 1 count; b: all(c: eliminate; d: trend up 2 years))",
        ] {
            let printed = parse(s).map(|t| t.to_string());
            assert_eq!(printed.as_deref(), Ok(s));
        }
    }

    #[test]
    fn sloppy_input_prints_canonically() {
        let cases = [
            ("≥96％", ">= 96 %"),
            ("  >=   92.50 %  ", ">= 92.5 %"),
            ("=100.0%", "= 100 %"),
            ("<= 035 µg/m³", "<= 35 ug/m3"),
            (
                "path 2013：108 ug/m3 → 2016：95 ug/m3",
                "path 2013: 108 -> 2016: 95 ug/m3",
            ),
            (
                "all( a : ≥1个 ； b : ≥1个 ； )",
                "all(a: >= 1 count; b: >= 1 count)",
            ),
            (
                "rank<=10 among “全国同等城市”",
                "rank <= 10 among \"全国同等城市\"",
            ),
        ];
        for (input, canonical) in cases {
            let printed = parse(input).map(|t| t.to_string());
            assert_eq!(printed.as_deref(), Ok(canonical), "input {input:?}");
        }
    }
}
