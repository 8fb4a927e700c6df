//! Numbers that carry their unit.
//!
//! A figure travels from the model to the page as a [`Quantity`]: a value in its unit's base
//! (FLOP/s, bytes/s, seconds, USD, GPU-hours, ...), so that no code matches on a unit string
//! and every output picks its own rendering. People get a scale and rounding that suit the
//! figure ([`Quantity::human`]), or one scale for a whole table column ([`Scale::for_column`]);
//! CSV and JSON get the raw number in the base unit, which the column name states
//! ([`Unit::key`]). Ratios and shares are quantities too, so that they never print in
//! e-notation and a small one never reads as zero.

use serde::Serialize;

/// What a number measures, in its base unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Floating-point (or integer) operations per second.
    FlopPerSecond,
    BytePerSecond,
    Second,
    Flop,
    Byte,
    Usd,
    UsdPerGpuHour,
    UsdPerMillionTokens,
    GpuHours,
    Days,
    Tokens,
    TokensPerSecond,
    /// A plain count (GPUs, parameters, sequences, runs).
    Count,
    /// One figure over another ("0.24x").
    Ratio,
    /// A part of a whole, as a fraction (shown as a percentage).
    Share,
    /// Total Processing Performance (3A090): dense TOPS x bit length, no unit of its own.
    Tpp,
    /// Performance density: TPP per mm^2 of logic die.
    TppPerMm2,
    /// A coefficient of variation, as a fraction (shown as a percentage).
    Cv,
}

impl Unit {
    /// The base unit as CSV and JSON name it, the suffix of a column key:
    /// `median_s`, `throughput_flop_per_s`.
    pub fn key(self) -> &'static str {
        match self {
            Unit::FlopPerSecond => "flop_per_s",
            Unit::BytePerSecond => "byte_per_s",
            Unit::Second => "s",
            Unit::Flop => "flop",
            Unit::Byte => "byte",
            Unit::Usd => "usd",
            Unit::UsdPerGpuHour => "usd_per_gpu_hour",
            Unit::UsdPerMillionTokens => "usd_per_m_tokens",
            Unit::GpuHours => "gpu_hours",
            Unit::Days => "days",
            Unit::Tokens => "tokens",
            Unit::TokensPerSecond => "tokens_per_s",
            Unit::Count => "count",
            Unit::Ratio => "ratio",
            Unit::Share => "fraction",
            Unit::Tpp => "tpp",
            Unit::TppPerMm2 => "tpp_per_mm2",
            Unit::Cv => "cv",
        }
    }

    /// The scales people read this unit in, largest first; the last one is the base.
    fn scales(self) -> &'static [Scale] {
        match self {
            Unit::FlopPerSecond => &FLOP_RATE,
            Unit::BytePerSecond => &BYTE_RATE,
            Unit::Second => &SECONDS,
            Unit::Byte => &BYTES,
            Unit::Usd => &DOLLARS,
            Unit::UsdPerGpuHour => &[PER_GPU_HOUR],
            Unit::UsdPerMillionTokens => &[PER_M_TOKENS],
            Unit::GpuHours => &GPU_HOURS,
            Unit::Tokens => &TOKENS,
            Unit::TokensPerSecond => &TOKEN_RATE,
            Unit::Count => &COUNT,
            Unit::Days => &[DAYS],
            Unit::Flop => &[FLOP],
            Unit::Ratio => &[RATIO],
            Unit::Share | Unit::Cv => &[PERCENT],
            Unit::Tpp | Unit::TppPerMm2 => &[PLAIN],
        }
    }
}

const fn s(factor: f64, suffix: &'static str, style: Style) -> Scale {
    Scale {
        factor,
        suffix,
        style,
    }
}

use Style::{After, Money, Plain, Spaced};

const FLOP_RATE: [Scale; 5] = [
    s(1e12, "TFLOP/s", Spaced),
    s(1e9, "GFLOP/s", Spaced),
    s(1e6, "MFLOP/s", Spaced),
    s(1e3, "kFLOP/s", Spaced),
    s(1.0, "FLOP/s", Spaced),
];
const BYTE_RATE: [Scale; 4] = [
    s(1e9, "GB/s", Spaced),
    s(1e6, "MB/s", Spaced),
    s(1e3, "kB/s", Spaced),
    s(1.0, "B/s", Spaced),
];
const SECONDS: [Scale; 4] = [
    s(1.0, "s", Spaced),
    s(1e-3, "ms", Spaced),
    s(1e-6, "us", Spaced),
    s(1e-9, "ns", Spaced),
];
const BYTES: [Scale; 5] = [
    s(1e12, "TB", Spaced),
    s(1e9, "GB", Spaced),
    s(1e6, "MB", Spaced),
    s(1e3, "kB", Spaced),
    s(1.0, "B", Spaced),
];
const DOLLARS: [Scale; 4] = [
    s(1e9, "B", Money),
    s(1e6, "M", Money),
    s(1e3, "k", Money),
    s(1.0, "", Money),
];
const GPU_HOURS: [Scale; 4] = [
    s(1e9, "B GPU-hours", After),
    s(1e6, "M GPU-hours", After),
    s(1e3, "k GPU-hours", After),
    s(1.0, " GPU-hours", After),
];
const TOKENS: [Scale; 5] = [
    s(1e12, "T tokens", After),
    s(1e9, "B tokens", After),
    s(1e6, "M tokens", After),
    s(1e3, "k tokens", After),
    s(1.0, " tokens", After),
];
const TOKEN_RATE: [Scale; 3] = [
    s(1e6, "M tokens/s", After),
    s(1e3, "k tokens/s", After),
    s(1.0, " tokens/s", After),
];
const COUNT: [Scale; 5] = [
    s(1e12, "T", After),
    s(1e9, "B", After),
    s(1e6, "M", After),
    s(1e3, "k", After),
    s(1.0, "", After),
];
const PER_GPU_HOUR: Scale = s(1.0, "/GPU-hour", Money);
const PER_M_TOKENS: Scale = s(1.0, "/M tokens", Money);
const DAYS: Scale = s(1.0, "days", Spaced);
const FLOP: Scale = s(1.0, "FLOP", Spaced);
const RATIO: Scale = s(1.0, "x", After);
const PERCENT: Scale = s(0.01, "%", After);
const PLAIN: Scale = s(1.0, "", Plain);

/// How a scaled number and its suffix are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// "153.9 TFLOP/s"
    Spaced,
    /// "2.59M GPU-hours", "0.24x", "16.3%"
    After,
    /// "$5.18M", "$2.00/GPU-hour"
    Money,
    /// "15831"
    Plain,
}

/// A unit at one scale: the factor its figures are divided by and the suffix they take.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    factor: f64,
    suffix: &'static str,
    style: Style,
}

impl Scale {
    /// The scale that suits `v` in `unit`: the largest at which it reads 1 or more; a count
    /// below ten thousand reads in full ("4096 tokens", not "4.10k").
    pub fn of(unit: Unit, v: f64) -> Scale {
        let scales = unit.scales();
        let counted = matches!(
            unit,
            Unit::Count | Unit::Tokens | Unit::GpuHours | Unit::TokensPerSecond
        );
        if counted && v.abs() < 1e4 {
            return scales[scales.len() - 1];
        }
        scales
            .iter()
            .find(|s| v.abs() >= s.factor)
            .copied()
            .unwrap_or(scales[scales.len() - 1])
    }

    /// One scale for a column of figures in `unit`: the one that suits the largest, so that
    /// the column reads in one unit.
    pub(crate) fn for_column(unit: Unit, values: impl IntoIterator<Item = f64>) -> Scale {
        let largest = values
            .into_iter()
            .filter(|v| v.is_finite())
            .map(f64::abs)
            .fold(0.0, f64::max);
        Scale::of(unit, largest)
    }

    /// The unit's words a column header carries when its cells leave them out: "TFLOP/s",
    /// "GPU-hours"; none where the cells keep theirs ("x", "%", "$") or have none.
    pub fn words(self) -> Option<&'static str> {
        match self.style {
            Style::Spaced => Some(self.suffix),
            Style::After => {
                let w = self.suffix.trim_start_matches(['k', 'M', 'B', 'T']).trim();
                (!w.is_empty() && w != "x" && w != "%").then_some(w)
            }
            Style::Money | Style::Plain => None,
        }
    }

    /// What a figure at this scale is divided by.
    pub fn factor(self) -> f64 {
        self.factor
    }

    /// Whether a column shows every figure at this one scale: units spoken with their scale
    /// (TFLOP/s, ms, GB) do; counts, money and hours take their own k, M or B per figure.
    pub fn shared(self) -> bool {
        self.style == Style::Spaced
    }
}

/// A number in its unit's base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantity {
    pub value: f64,
    pub unit: Unit,
}

impl Quantity {
    pub const fn new(value: f64, unit: Unit) -> Quantity {
        Quantity { value, unit }
    }

    /// The figure for people, at the scale that suits it.
    pub(crate) fn human(self) -> String {
        self.human_at(Scale::of(self.unit, self.value))
    }

    /// The figure for a table cell whose header carries the unit's words: "153.9", "259k".
    pub(crate) fn bare(self, column: Scale) -> String {
        let scale = if column.shared() {
            column
        } else {
            Scale::of(self.unit, self.value)
        };
        strip_unit(self.human_at(scale), scale)
    }

    /// The figure for people at `scale` (one chosen for a column).
    pub(crate) fn human_at(self, scale: Scale) -> String {
        let v = self.value;
        if !v.is_finite() {
            return "-".to_string();
        }
        match self.unit {
            Unit::Ratio => return ratio(v),
            Unit::Share | Unit::Cv => return share(v),
            Unit::Flop => return format!("{v:.2e} FLOP"),
            // Whole numbers, as the rules state them; three figures below 100 (a CPU adapter's
            // bit-weighted throughput is a fraction of one).
            Unit::Tpp => {
                return format!("{v:.*}", if v.abs() < 100.0 { decimals(v, 3) } else { 0 });
            }
            Unit::TppPerMm2 => return format!("{v:.2}"),
            _ => {}
        }
        let x = v / scale.factor;
        let digits = match self.unit {
            // Money below a thousand reads in cents; other scaled counts in 3 figures.
            Unit::Usd | Unit::UsdPerGpuHour if scale.factor == 1.0 => 2,
            Unit::UsdPerMillionTokens => decimals(x, 3).max(2),
            Unit::Count | Unit::Tokens | Unit::GpuHours | Unit::TokensPerSecond | Unit::Usd => {
                if scale.factor == 1.0 && (x.fract() == 0.0 || x.abs() >= 1000.0) {
                    0
                } else {
                    decimals(x, 3)
                }
            }
            Unit::Days => decimals(x, 3).min(1),
            // Four figures, three below one (a figure in a column scaled for larger ones).
            _ => decimals(x, if x.abs() < 1.0 { 3 } else { 4 }),
        };
        let number = format!("{x:.digits$}");
        match scale.style {
            Style::Spaced => format!("{number} {}", scale.suffix),
            Style::After => format!("{number}{}", scale.suffix),
            Style::Money if number.starts_with('-') => {
                format!("-${}{}", &number[1..], scale.suffix)
            }
            Style::Money => format!("${number}{}", scale.suffix),
            Style::Plain => number,
        }
    }
}

/// Decimal places that show `x` to `significant` figures, at most six.
fn decimals(x: f64, significant: i32) -> usize {
    if x == 0.0 {
        return 0;
    }
    let magnitude = x.abs().log10().floor() as i32;
    (significant - 1 - magnitude).clamp(0, 6) as usize
}

/// A ratio for people: two decimals from 0.1 up, three below, "<0.01x" under that; never in
/// e-notation and never "0.00x".
pub fn ratio(x: f64) -> String {
    if !x.is_finite() {
        "-".to_string()
    } else if x >= 100.0 {
        format!("{x:.0}x")
    } else if x >= 0.1 {
        format!("{x:.2}x")
    } else if x >= 0.01 {
        format!("{x:.3}x")
    } else if x > 0.0 {
        "<0.01x".to_string()
    } else {
        format!("{x:.2}x")
    }
}

/// A share (a fraction) as a percentage: one decimal from 1% up, two below, "<0.01%" under that.
pub fn share(x: f64) -> String {
    let pct = x * 100.0;
    if !pct.is_finite() {
        "-".to_string()
    } else if pct.abs() >= 1.0 || pct == 0.0 {
        format!("{pct:.1}%")
    } else if pct.abs() >= 0.01 {
        format!("{pct:.2}%")
    } else {
        "<0.01%".to_string()
    }
}

/// "1 run", "2 runs": a count and a noun that agrees with it.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A central figure with the low and high ends of its range, in one unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    pub central: f64,
    pub low: f64,
    pub high: f64,
}

impl Span {
    pub fn exact(v: f64) -> Span {
        Span {
            central: v,
            low: v,
            high: v,
        }
    }

    /// `f` applied to each end; a decreasing `f` swaps them.
    pub fn map(self, f: impl Fn(f64) -> f64) -> Span {
        let (a, b) = (f(self.low), f(self.high));
        Span {
            central: f(self.central),
            low: a.min(b),
            high: a.max(b),
        }
    }

    /// Whether `v` lies within the range, ends included.
    pub fn holds(self, v: f64) -> bool {
        (self.low..=self.high).contains(&v)
    }

    /// "259k (186k to 406k)": a range in a table cell whose header carries the unit's words.
    pub(crate) fn bare(self, unit: Unit, column: Scale) -> String {
        let q = |v: f64| Quantity::new(v, unit).bare(column);
        if self.low == self.high && self.low == self.central {
            return q(self.central);
        }
        format!("{} ({} to {})", q(self.central), q(self.low), q(self.high))
    }

    /// "2.59M GPU-hours (2.59M to 3.81M)", or the central figure alone when the range is a
    /// point.
    pub(crate) fn human(self, unit: Unit) -> String {
        let central = Quantity::new(self.central, unit).human();
        if self.low == self.high && self.low == self.central {
            return central;
        }
        let scale = Scale::of(unit, self.central);
        let bare = |v: f64| strip_unit(Quantity::new(v, unit).human_at(scale), scale);
        format!("{central} ({} to {})", bare(self.low), bare(self.high))
    }
}

/// A figure without its unit's words, for the ends of a range that follows the central figure:
/// "3.81M" of "3.81M GPU-hours", "200.0" of "200.0 TFLOP/s". A magnitude letter stays.
fn strip_unit(s: String, scale: Scale) -> String {
    let words = match scale.style {
        Style::Spaced => scale.suffix,
        _ => scale.suffix.trim_start_matches(['k', 'M', 'B', 'T']),
    };
    match s.strip_suffix(words) {
        Some(t) if !words.is_empty() => t.trim_end().to_string(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: f64, u: Unit) -> String {
        Quantity::new(v, u).human()
    }

    #[test]
    fn rates_read_in_the_scale_that_suits_them() {
        assert_eq!(q(153.894e12, Unit::FlopPerSecond), "153.9 TFLOP/s");
        assert_eq!(q(63.67e12, Unit::FlopPerSecond), "63.67 TFLOP/s");
        assert_eq!(q(0.0712e12, Unit::FlopPerSecond), "71.20 GFLOP/s");
        assert_eq!(q(4245.3e9, Unit::BytePerSecond), "4245 GB/s");
        assert_eq!(q(0.25e9, Unit::BytePerSecond), "250.0 MB/s");
        assert_eq!(q(537.99e-6, Unit::Second), "538.0 us");
        assert_eq!(q(850e-9, Unit::Second), "850.0 ns");
        assert_eq!(q(3.2, Unit::Second), "3.200 s");
    }

    #[test]
    fn counts_money_and_hours_take_k_m_b() {
        assert_eq!(q(2.589e6, Unit::GpuHours), "2.59M GPU-hours");
        assert_eq!(q(800e3, Unit::GpuHours), "800k GPU-hours");
        assert_eq!(q(2500.0, Unit::GpuHours), "2500 GPU-hours");
        assert_eq!(q(102_874_039e3, Unit::GpuHours), "103B GPU-hours");
        assert_eq!(q(5.18e6, Unit::Usd), "$5.18M");
        assert_eq!(q(145.2e6, Unit::Usd), "$145M");
        assert_eq!(q(3.99, Unit::Usd), "$3.99");
        assert_eq!(q(2.0, Unit::UsdPerGpuHour), "$2.00/GPU-hour");
        assert_eq!(q(405e9, Unit::Count), "405B");
        assert_eq!(q(1.0, Unit::Count), "1");
        assert_eq!(q(14.8e12, Unit::Tokens), "14.8T tokens");
        assert_eq!(q(1850.0, Unit::TokensPerSecond), "1850 tokens/s");
        assert_eq!(q(18500.0, Unit::TokensPerSecond), "18.5k tokens/s");
        assert_eq!(q(4096.0, Unit::Tokens), "4096 tokens");
        assert_eq!(q(3.29e24, Unit::Flop), "3.29e24 FLOP");
    }

    #[test]
    fn ratios_and_shares_never_use_e_notation_or_read_zero() {
        assert_eq!(ratio(4.2135), "4.21x");
        assert_eq!(ratio(0.094), "0.094x");
        assert_eq!(ratio(0.0094), "<0.01x");
        assert_eq!(ratio(0.24), "0.24x");
        assert_eq!(share(0.163), "16.3%");
        assert_eq!(share(0.0042), "0.42%");
        assert_eq!(share(0.000_088), "<0.01%");
        assert_eq!(q(0.338, Unit::Cv), "33.8%");
        // TPP in whole numbers, as the rules state it; a CPU adapter's fraction never reads 0.
        assert_eq!(q(15831.2, Unit::Tpp), "15831");
        assert_eq!(q(0.1989, Unit::Tpp), "0.199");
    }

    #[test]
    fn a_column_reads_in_one_scale() {
        let scale = Scale::for_column(Unit::FlopPerSecond, [153.9e12, 0.07e12]);
        assert_eq!(
            Quantity::new(0.0712e12, Unit::FlopPerSecond).human_at(scale),
            "0.0712 TFLOP/s"
        );
        assert_eq!(
            Quantity::new(153.894e12, Unit::FlopPerSecond).human_at(scale),
            "153.9 TFLOP/s"
        );
    }

    #[test]
    fn spans_name_the_unit_once() {
        let s = Span {
            central: 2.589e6,
            low: 2.589e6,
            high: 3.809e6,
        };
        assert_eq!(s.human(Unit::GpuHours), "2.59M GPU-hours (2.59M to 3.81M)");
        let t = Span {
            central: 18500.0,
            low: 12000.0,
            high: 26000.0,
        };
        assert_eq!(
            t.human(Unit::TokensPerSecond),
            "18.5k tokens/s (12.0k to 26.0k)"
        );
        let d = Span {
            central: 150e12,
            low: 100e12,
            high: 200e12,
        };
        assert_eq!(
            d.human(Unit::FlopPerSecond),
            "150.0 TFLOP/s (100.0 to 200.0)"
        );
        assert_eq!(Span::exact(4.0).human(Unit::Ratio), "4.00x");
        let m = Span {
            central: 5.18e6,
            low: 4e6,
            high: 7e6,
        };
        assert_eq!(m.human(Unit::Usd), "$5.18M ($4.00M to $7.00M)");
    }

    #[test]
    fn plurals_agree() {
        assert_eq!(plural(1, "sequence", "sequences"), "1 sequence");
        assert_eq!(plural(4, "sequence", "sequences"), "4 sequences");
    }
}
