//! The ECCN 3A090 rule vintages and the classification they give a chip.
//!
//! - `2022-10` (87 FR 62186): aggregate interconnect >= 600 GB/s AND TPP >= 4800.
//! - `2023-10` (88 FR 73458, the default): TPP and performance density thresholds, the
//!   not-datacenter note, and License Exception NAC/ACA eligibility.
//! - `2024-12` (89 FR 96790): adds 3A090.c for HBM with memory bandwidth density > 2 GB/s/mm^2
//!   (which excludes HBM co-packaged with a logic IC; the IC is classified by TPP/PD).
//! - `2026-01` (91 FR 1684): not a new classification but a licence-review policy for exports
//!   from the United States to China and Macau: case-by-case instead of a presumption of denial
//!   for chips that meet its conditions. The chip is classified as under `2024-12`, and the
//!   conditions are listed as met, not met or unknown ([`LicenceReview`]).
//!
//! Legal figures come from datasheet peaks only; a measured rate is never passed off as TPP.
//! Nothing here is an official determination ([`DISCLAIMER`]).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::spec::{LicenceLetter, Precision, Spec, Tpp};
use crate::quantity::{Quantity, Unit};

/// The last line of every classification chipbench prints.
pub const DISCLAIMER: &str =
    "Computed from public datasheets by chipbench; not an official determination.";

/// The thresholds of ECCN 3A090 and of the January 2026 licence-review policy, named once:
/// the rules below and the report's charts draw the same lines.
pub mod thresholds {
    /// 3A090.a.1 (and the 2022 rule's TPP line).
    pub const TPP_A: f64 = 4800.0;
    /// The lowest TPP 3A090 reaches (3A090.a.2 and 3A090.b.2).
    pub const TPP_FLOOR: f64 = 1600.0;
    /// 3A090.b.1's TPP line.
    pub const TPP_B1: f64 = 2400.0;
    /// Performance density of 3A090.a.2.
    pub const PD_A: f64 = 5.92;
    /// Performance density of 3A090.b.1.
    pub const PD_B1: f64 = 1.6;
    /// Performance density of 3A090.b.2.
    pub const PD_B2: f64 = 3.2;
    /// The 2022 rule's aggregate interconnect line, GB/s.
    pub const INTERCONNECT_2022_GBPS: f64 = 600.0;
    /// The 2024-12 HBM note: a stack above this memory bandwidth density (GB/s/mm^2) is
    /// 3A090.c; License Exception HBM covers stacks below the second figure.
    pub(super) const HBM_DENSITY: f64 = 2.0;
    pub(super) const HBM_EXCEPTION_DENSITY: f64 = 3.3;
    /// The January 2026 policy's ceilings: TPP and total DRAM bandwidth (GB/s), both strictly
    /// below.
    pub(crate) const REVIEW_TPP: f64 = 21000.0;
    pub(super) const REVIEW_DRAM_GBPS: f64 = 6500.0;
}

use thresholds::{
    HBM_DENSITY, HBM_EXCEPTION_DENSITY, INTERCONNECT_2022_GBPS, PD_A, PD_B1, PD_B2,
    REVIEW_DRAM_GBPS, REVIEW_TPP, TPP_A, TPP_B1, TPP_FLOOR,
};

/// What a chip outside 3A090 may still be subject to.
const OUTSIDE_NOTE: &str = "other controls may still apply: licence requirements imposed by \
     letter, end-use and end-user rules, the Entity List";

/// A rule vintage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rule {
    #[serde(rename = "2022-10")]
    Oct2022,
    #[serde(rename = "2023-10")]
    Oct2023,
    #[serde(rename = "2024-12")]
    Dec2024,
    #[serde(rename = "2026-01")]
    Jan2026,
}

impl Rule {
    pub const ALL: [Rule; 4] = [Rule::Oct2022, Rule::Oct2023, Rule::Dec2024, Rule::Jan2026];

    pub fn name(self) -> &'static str {
        match self {
            Rule::Oct2022 => "2022-10",
            Rule::Oct2023 => "2023-10",
            Rule::Dec2024 => "2024-12",
            Rule::Jan2026 => "2026-01",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Rule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        crate::input::named("rule vintage", s, &Rule::ALL, Rule::name)
    }
}

/// The outcome classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Class {
    #[serde(rename = "3A090.a")]
    A,
    #[serde(rename = "3A090.b")]
    B,
    /// Meets neither 3A090.a nor 3A090.b. Other controls may still apply.
    #[serde(rename = "outside-3A090")]
    Outside,
    #[serde(rename = "undetermined")]
    Undetermined,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::A => "3A090.a",
            Class::B => "3A090.b",
            Class::Outside => "outside-3A090",
            Class::Undetermined => "undetermined",
        }
    }

    /// Higher is more controlled; for the monotonicity property.
    pub fn severity(self) -> u8 {
        match self {
            Class::Outside => 0,
            Class::Undetermined => 1,
            Class::B => 2,
            Class::A => 3,
        }
    }
}

/// One classification step: class, clause and why.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    class: Class,
    clause: Option<&'static str>,
    why: String,
}

fn outcome(class: Class, clause: Option<&'static str>, why: String) -> Outcome {
    Outcome { class, clause, why }
}

/// The 2023 thresholds for a chip designed or marketed for datacenters.
fn datacenter_2023(tpp: f64, pd: Option<f64>) -> Outcome {
    if tpp >= TPP_A {
        return outcome(
            Class::A,
            Some("3A090.a.1"),
            format!("TPP {tpp:.0} >= {TPP_A}"),
        );
    }
    if tpp < TPP_FLOOR {
        return outcome(
            Class::Outside,
            None,
            format!("TPP {tpp:.0} < {TPP_FLOOR}, below every 3A090 threshold"),
        );
    }
    let Some(pd) = pd else {
        return outcome(
            Class::Undetermined,
            None,
            format!(
                "TPP {tpp:.0} is between {TPP_FLOOR} and {TPP_A}, where performance density decides, \
                 and the die area is unknown"
            ),
        );
    };
    if pd >= PD_A {
        outcome(
            Class::A,
            Some("3A090.a.2"),
            format!("TPP {tpp:.0} >= {TPP_FLOOR} and PD {pd:.2} >= {PD_A}"),
        )
    } else if (TPP_B1..TPP_A).contains(&tpp) && pd >= PD_B1 {
        outcome(
            Class::B,
            Some("3A090.b.1"),
            format!("{TPP_B1} <= TPP {tpp:.0} < {TPP_A} and {PD_B1} <= PD {pd:.2} < {PD_A}"),
        )
    } else if pd >= PD_B2 {
        outcome(
            Class::B,
            Some("3A090.b.2"),
            format!("TPP {tpp:.0} >= {TPP_FLOOR} and {PD_B2} <= PD {pd:.2} < {PD_A}"),
        )
    } else {
        outcome(
            Class::Outside,
            None,
            format!("TPP {tpp:.0} with PD {pd:.2} meets neither 3A090.a nor 3A090.b"),
        )
    }
}

/// The 2023 rule including the note for items not designed or marketed for datacenters.
fn rule_2023(tpp: f64, pd: Option<f64>, datacenter: bool) -> Outcome {
    if datacenter {
        datacenter_2023(tpp, pd)
    } else if tpp >= TPP_A {
        outcome(
            Class::A,
            Some("3A090.a.1"),
            format!("TPP {tpp:.0} >= {TPP_A}; the not-datacenter note does not apply at this TPP"),
        )
    } else {
        outcome(
            Class::Outside,
            None,
            format!(
                "not designed or marketed for datacenters and TPP {tpp:.0} < {TPP_A}: excluded by \
                 the note to 3A090"
            ),
        )
    }
}

fn rule_2022(tpp: f64, interconnect: Option<f64>) -> Outcome {
    if tpp < TPP_A {
        return outcome(Class::Outside, None, format!("TPP {tpp:.0} < {TPP_A}"));
    }
    match interconnect {
        Some(i) if i >= INTERCONNECT_2022_GBPS => outcome(
            Class::A,
            Some("3A090.a.1"),
            format!(
                "TPP {tpp:.0} >= {TPP_A} and interconnect {i:.0} GB/s >= {INTERCONNECT_2022_GBPS}"
            ),
        ),
        Some(i) => outcome(
            Class::Outside,
            None,
            format!(
                "TPP {tpp:.0} >= {TPP_A} but interconnect {i:.0} GB/s < {INTERCONNECT_2022_GBPS}"
            ),
        ),
        None => outcome(
            Class::Undetermined,
            None,
            format!(
                "TPP {tpp:.0} >= {TPP_A} and the interconnect bandwidth, which decides, is unknown"
            ),
        ),
    }
}

/// Applies `rule` to a TPP, resolving an unknown datacenter flag when both answers agree.
fn apply(rule: Rule, spec: &Spec, tpp: f64, pd: Option<f64>) -> Outcome {
    if rule == Rule::Oct2022 {
        return rule_2022(tpp, spec.interconnect_gbps);
    }
    match spec.datacenter {
        Some(dc) => rule_2023(tpp, pd, dc),
        None => {
            let (yes, no) = (rule_2023(tpp, pd, true), rule_2023(tpp, pd, false));
            if (yes.class, yes.clause) == (no.class, no.clause) {
                outcome(
                    yes.class,
                    yes.clause,
                    format!("{} (whether or not designed for datacenters)", yes.why),
                )
            } else {
                outcome(
                    Class::Undetermined,
                    None,
                    format!(
                        "depends on whether it is designed or marketed for datacenters: if so, \
                         {} ({}); if not, {} ({})",
                        yes.class.name(),
                        yes.why,
                        no.class.name(),
                        no.why
                    ),
                )
            }
        }
    }
}

/// How far a chip is from one TPP threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Headroom {
    pub tpp_threshold: f64,
    /// TPP over the threshold.
    pub ratio: f64,
    /// The largest dense 16-bit rate, in TFLOP/s, whose TPP stays under the threshold.
    pub max_dense_16bit_tflops: f64,
    /// The same for 8-bit, in TOPS.
    pub max_dense_8bit_tops: f64,
}

/// The HBM control's view of a co-packaged stack (2024-12 and later).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HbmNote {
    pub memory_bandwidth_density: f64,
    /// A stack sold on its own above 2 GB/s/mm^2 is 3A090.c.
    pub stack_is_3a090c: bool,
    /// License Exception HBM covers 3A090.c stacks below 3.3 GB/s/mm^2.
    pub license_exception_hbm: bool,
    pub note: String,
}

/// Everything `classify` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub rule: Rule,
    /// TPP with TF32 counted as 19 bits (its input bit length).
    pub tpp: f64,
    /// TPP with TF32 counted as 32 bits.
    pub tpp_tf32_as_32: f64,
    pub argmax_precision: Precision,
    pub argmax_peak: f64,
    pub performance_density: Option<f64>,
    pub datacenter: Option<bool>,
    pub classification: Class,
    pub clause: Option<&'static str>,
    pub nac_eligible: bool,
    pub explanation: String,
    pub tf32: String,
    /// The January 2026 licence-review policy's conditions for this chip (2026-01 only).
    pub licence_review: Option<LicenceReview>,
    /// A licence requirement imposed on this chip by letter, where there is one.
    pub licence_letter: Option<LicenceLetter>,
    pub hbm: Option<HbmNote>,
    pub headroom: Vec<Headroom>,
    pub nearest_threshold: f64,
}

impl Rule {
    /// The TPP thresholds this rule draws (2026-01: those of 3A090 and the licence policy's).
    fn tpp_thresholds(self) -> &'static [f64] {
        match self {
            Rule::Oct2022 => &[TPP_A],
            Rule::Oct2023 | Rule::Dec2024 => &[TPP_FLOOR, TPP_B1, TPP_A],
            Rule::Jan2026 => &[TPP_FLOOR, TPP_B1, TPP_A, REVIEW_TPP],
        }
    }
}

/// Whether one condition holds for a chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Met {
    Met,
    NotMet,
    /// The datasheet cannot say (an exporter's certification, a missing figure).
    Unknown,
}

impl Met {
    pub fn name(self) -> &'static str {
        match self {
            Met::Met => "met",
            Met::NotMet => "not met",
            Met::Unknown => "unknown",
        }
    }

    fn of(b: Option<bool>) -> Met {
        match b {
            Some(true) => Met::Met,
            Some(false) => Met::NotMet,
            None => Met::Unknown,
        }
    }
}

/// One condition of the January 2026 licence-review policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub condition: String,
    pub status: Met,
    pub detail: String,
}

/// The January 2026 licence-review policy (91 FR 1684, in force 2026-01-15) applied to one
/// chip: exports from the United States to China and Macau of chips below its ceilings that
/// were commercially available in the US when it was published are reviewed case by case,
/// instead of under a presumption of denial, when the exporter also certifies its conditions.
/// A licence is still required; reexports and in-country transfers stay under a presumption of
/// denial.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LicenceReview {
    pub policy: ReviewPolicy,
    pub conditions: Vec<Condition>,
    /// The tariff band of the proclamation of 2026-01-14 the chip falls in, if any.
    pub tariff: Option<String>,
    /// DRAM bandwidth over the policy's ceiling.
    pub bandwidth_ratio: Option<f64>,
    pub source: &'static str,
}

/// What the January 2026 policy gives a chip's exports to China and Macau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewPolicy {
    /// Reviewed case by case, if the exporter meets the transaction conditions.
    CaseByCase,
    /// A chip-side condition is not met.
    PresumptionOfDenial,
    /// The chip is outside 3A090.
    NotApplicable,
    /// The classification is undetermined.
    UndeterminedClass,
    /// A figure the conditions need is unknown.
    UndeterminedFigure,
}

impl ReviewPolicy {
    /// A table cell: "case-by-case", "presumption of denial", "not applicable", "undetermined".
    pub fn short(self) -> &'static str {
        match self {
            ReviewPolicy::CaseByCase => "case-by-case",
            ReviewPolicy::PresumptionOfDenial => "presumption of denial",
            ReviewPolicy::NotApplicable => "not applicable",
            ReviewPolicy::UndeterminedClass | ReviewPolicy::UndeterminedFigure => "undetermined",
        }
    }

    /// The policy in a sentence.
    pub fn long(self) -> &'static str {
        match self {
            ReviewPolicy::CaseByCase => {
                "case-by-case review, if the exporter meets the transaction conditions"
            }
            ReviewPolicy::PresumptionOfDenial => "presumption of denial (a condition is not met)",
            ReviewPolicy::NotApplicable => "not applicable: the chip is outside 3A090",
            ReviewPolicy::UndeterminedClass => "undetermined: the chip's classification is unknown",
            ReviewPolicy::UndeterminedFigure => "undetermined (a figure is unknown)",
        }
    }
}

const REVIEW_SOURCE: &str = "91 FR 1684 (FR Doc 2026-00789, RIN 0694-AK43), in force 2026-01-15";

/// Proclamation 11002 of 2026-01-14 (Section 232; CBP CSMS #67400472): a 25% duty from
/// 2026-01-15 on logic ICs with TPP and total DRAM bandwidth (GB/s) strictly inside either band.
const TARIFF_BANDS: [((f64, f64), (f64, f64)); 2] = [
    ((14000.0, 17500.0), (4500.0, 5000.0)),
    ((20800.0, 21100.0), (5800.0, 6200.0)),
];

/// `tpp` is (TF32 as 19 bits, TF32 as 32 bits): where the two fall on either side of a line,
/// that condition is unknown.
fn licence_review(spec: &Spec, (tpp, tpp32): (f64, f64), class: Class) -> LicenceReview {
    let bw = spec.memory_bandwidth_gbps;
    let conditions = review_conditions(spec, (tpp, tpp32));
    let chip_side = &conditions[..3];
    let policy = if class == Class::Undetermined {
        ReviewPolicy::UndeterminedClass
    } else if class == Class::Outside {
        ReviewPolicy::NotApplicable
    } else if chip_side.iter().any(|c| c.status == Met::NotMet) {
        ReviewPolicy::PresumptionOfDenial
    } else if chip_side.iter().all(|c| c.status == Met::Met) {
        ReviewPolicy::CaseByCase
    } else {
        ReviewPolicy::UndeterminedFigure
    };
    LicenceReview {
        policy,
        conditions,
        tariff: bw.and_then(|b| tariff_band(tpp, tpp32, b)),
        bandwidth_ratio: bw.map(|b| b / REVIEW_DRAM_GBPS),
        source: REVIEW_SOURCE,
    }
}

/// The policy's conditions: the three a datasheet shows (TPP, DRAM bandwidth, US
/// availability), then the four that are the exporter's.
fn review_conditions(spec: &Spec, (tpp, tpp32): (f64, f64)) -> Vec<Condition> {
    let bw = spec.memory_bandwidth_gbps;
    let exporter = |condition: &str| Condition {
        condition: condition.to_string(),
        status: Met::Unknown,
        detail: "the exporter's to certify or arrange; no datasheet shows it".to_string(),
    };
    vec![
        Condition {
            condition: format!("TPP below {}", Quantity::new(REVIEW_TPP, Unit::Tpp).human()),
            status: Met::of(
                ((tpp < REVIEW_TPP) == (tpp32 < REVIEW_TPP)).then_some(tpp < REVIEW_TPP),
            ),
            detail: if tpp32 == tpp {
                format!("TPP {tpp:.0}")
            } else {
                format!("TPP {tpp:.0} with TF32 as 19 bits, {tpp32:.0} as 32 bits")
            },
        },
        Condition {
            condition: format!(
                "total DRAM bandwidth below {}",
                Quantity::new(REVIEW_DRAM_GBPS * 1e9, Unit::BytePerSecond).human()
            ),
            status: Met::of(bw.map(|b| b < REVIEW_DRAM_GBPS)),
            detail: bw.map_or("bandwidth unknown".to_string(), |b| format!("{b:.0} GB/s")),
        },
        Condition {
            condition: "commercially available in the United States when the rule was published"
                .to_string(),
            status: Met::of(spec.us_commercial),
            detail: match spec.us_commercial {
                Some(true) => "sold in the US".to_string(),
                Some(false) => {
                    "not a US product (made for China or sold outside the US)".to_string()
                }
                None => "not recorded in the chip database".to_string(),
            },
        },
        exporter(
            "exporter certifications: sufficient US supply, no diversion of foundry capacity \
             from US customers, not barred by end-use or end-user controls",
        ),
        exporter(
            "recipient security: know-your-customer procedures against unauthorised remote access",
        ),
        exporter("independent third-party testing in the United States before export"),
        exporter("shipments to China and Macau at most 50% of those to US customers"),
    ]
}

/// The Section 232 tariff band a chip of TPP `tpp` (or `tpp32`) and `bw` GB/s falls in.
fn tariff_band(tpp: f64, tpp32: f64, bw: f64) -> Option<String> {
    TARIFF_BANDS
        .iter()
        .find(|((t0, t1), (b0, b1))| {
            [tpp, tpp32].iter().any(|&t| t > *t0 && t < *t1) && bw > *b0 && bw < *b1
        })
        .map(|((t0, t1), (b0, b1))| {
            format!(
                "inside the 25% Section 232 band TPP {t0:.0}-{t1:.0} with {b0:.0}-{b1:.0} \
                 GB/s (Proclamation 11002 of 2026-01-14, on imports into the US)"
            )
        })
}

/// The outcome under both TF32 bit lengths: the same where they agree, else undetermined
/// with both named; and the sentence on what TF32's length did.
fn tf32_outcome(rule: Rule, spec: &Spec, t19: &Tpp, t32: &Tpp) -> (Outcome, String) {
    let o19 = apply(rule, spec, t19.value, spec.density(t19.value));
    let o32 = apply(rule, spec, t32.value, spec.density(t32.value));
    if t32.value == t19.value {
        (o19, "TF32's bit length changes nothing here".to_string())
    } else if (o19.class, o19.clause) == (o32.class, o32.clause) {
        let same = format!(
            "TF32 counted as 32 bits gives TPP {:.0} (argmax {}); the classification is the same",
            t32.value, t32.argmax
        );
        (o19, same)
    } else {
        let why = format!(
            "TF32's bit length decides: as 19 bits, {} ({}); as 32 bits, TPP {:.0} gives {} ({})",
            o19.class.name(),
            o19.why,
            t32.value,
            o32.class.name(),
            o32.why
        );
        (
            outcome(Class::Undetermined, None, why),
            "TF32's bit length decides the classification".to_string(),
        )
    }
}

/// The 2024-12 HBM note on a co-packaged stack of `density` GB/s/mm^2.
fn hbm_note(rule: Rule, density: Option<f64>) -> Option<HbmNote> {
    match (rule, density) {
        (Rule::Dec2024 | Rule::Jan2026, Some(d)) => Some(HbmNote {
            memory_bandwidth_density: d,
            stack_is_3a090c: d > HBM_DENSITY,
            license_exception_hbm: d > HBM_DENSITY && d < HBM_EXCEPTION_DENSITY,
            note: "3A090.c covers HBM stacks; HBM co-packaged with a logic IC is excluded and the \
                   IC is classified by TPP and performance density"
                .to_string(),
        }),
        _ => None,
    }
}

/// How far `tpp` is from each TPP threshold of `rule`, and the nearest one.
fn headroom(rule: Rule, tpp: f64) -> (Vec<Headroom>, f64) {
    let headroom: Vec<Headroom> = rule
        .tpp_thresholds()
        .iter()
        .map(|&th| Headroom {
            tpp_threshold: th,
            ratio: tpp / th,
            max_dense_16bit_tflops: th / 16.0,
            max_dense_8bit_tops: th / 8.0,
        })
        .collect();
    let nearest = headroom
        .iter()
        .min_by(|a, b| a.ratio.ln().abs().total_cmp(&b.ratio.ln().abs()))
        .map_or(TPP_A, |h| h.tpp_threshold);
    (headroom, nearest)
}

/// The verdict in one explanation: TPP and where it comes from, density, the rule's outcome
/// and what follows from it.
fn explanation(rule: Rule, t19: &Tpp, pd: Option<f64>, o: &Outcome, nac: bool) -> String {
    let mut why = format!(
        "TPP {:.0} from {} ({} x {} bits)",
        t19.value,
        t19.argmax,
        t19.argmax_peak,
        t19.argmax.bits(19)
    );
    match pd {
        Some(pd) => why.push_str(&format!(", performance density {pd:.2} per mm^2")),
        None => why.push_str(", performance density unknown (no die area)"),
    }
    let under = if rule == Rule::Jan2026 {
        "Under 3A090 as amended through 2024-12".to_string()
    } else {
        format!("Under the {rule} rule")
    };
    why.push_str(&format!(". {under}: {}", o.why));
    if let Some(clause) = o.clause {
        why.push_str(&format!(", so {clause}"));
    }
    if nac {
        why.push_str("; eligible for License Exception NAC/ACA");
    }
    if o.class == Class::Outside {
        why.push_str(&format!("; outside 3A090, though {OUTSIDE_NOTE}"));
    }
    why.push('.');
    why
}

/// Classifies `spec` under `rule`. The spec must be valid ([`Spec::validate`]).
pub fn classify(spec: &Spec, rule: Rule) -> Verdict {
    let t19 = spec.tpp(19).expect("a validated spec has a peak");
    let t32 = spec.tpp(32).expect("a validated spec has a peak");
    let pd19 = spec.density(t19.value);
    let (o, tf32) = tf32_outcome(rule, spec, &t19, &t32);
    let dc = spec.datacenter;
    let nac_eligible = rule != Rule::Oct2022
        && match o.class {
            Class::A => dc == Some(false),
            Class::B => dc == Some(true),
            _ => false,
        };
    let (headroom, nearest) = headroom(rule, t19.value);
    Verdict {
        rule,
        tpp: t19.value,
        tpp_tf32_as_32: t32.value,
        argmax_precision: t19.argmax,
        argmax_peak: t19.argmax_peak,
        performance_density: pd19,
        datacenter: dc,
        classification: o.class,
        clause: o.clause,
        nac_eligible,
        explanation: explanation(rule, &t19, pd19, &o, nac_eligible),
        tf32,
        licence_review: (rule == Rule::Jan2026)
            .then(|| licence_review(spec, (t19.value, t32.value), o.class)),
        licence_letter: spec.licence_letter.clone(),
        hbm: hbm_note(rule, spec.hbm_density),
        headroom,
        nearest_threshold: nearest,
    }
}

impl Verdict {
    /// The classification as a table cell: the clause where one applies ("3A090.a.1"), else
    /// the class ("outside-3A090").
    pub(crate) fn class_short(&self) -> &'static str {
        self.clause.unwrap_or(self.classification.name())
    }

    /// The classification with its clause: "3A090.a (3A090.a.1)".
    pub(crate) fn class_long(&self) -> String {
        match self.clause {
            Some(c) => format!("{} ({c})", self.classification.name()),
            None => self.classification.name().to_string(),
        }
    }

    /// The verdict in sentences.
    pub(crate) fn to_text(&self) -> String {
        let under = if self.rule == Rule::Jan2026 {
            "3A090 as amended through 2024-12 (the January 2026 licence policy follows)".to_string()
        } else {
            format!("the {} rule", self.rule)
        };
        let mut out = vec![format!("{} under {under}", self.class_long())];
        out.push(self.explanation.clone());
        out.push(self.tf32.clone() + ".");
        if let Some(h) = &self.hbm {
            out.push(format!(
                "HBM at {:.2} GB/s/mm^2: a stack sold on its own {} 3A090.c{}; {}.",
                h.memory_bandwidth_density,
                if h.stack_is_3a090c { "is" } else { "is not" },
                if h.license_exception_hbm {
                    " (License Exception HBM eligible)"
                } else {
                    ""
                },
                h.note
            ));
        }
        if let Some(h) = self
            .headroom
            .iter()
            .find(|h| h.tpp_threshold == self.nearest_threshold)
        {
            out.push(format!(
                "Nearest TPP threshold of the {} rule: {:.0} (this chip: {:.2}x). The largest \
                 dense 16-bit rate that stays under it is {:.1} TFLOP/s, or {:.1} TOPS at 8 bits.",
                self.rule,
                h.tpp_threshold,
                h.ratio,
                h.max_dense_16bit_tflops,
                h.max_dense_8bit_tops
            ));
        }
        if let Some(r) = &self.licence_review {
            out.push(format!(
                "January 2026 licence-review policy for exports from the US to China and Macau \
                 ({}): {}.",
                r.source,
                r.policy.long()
            ));
            for c in &r.conditions {
                out.push(format!(
                    "  [{}] {}: {}",
                    c.status.name(),
                    c.condition,
                    c.detail
                ));
            }
            if let Some(ratio) = r.bandwidth_ratio {
                out.push(format!(
                    "  DRAM bandwidth headroom: {} the {} ceiling.",
                    crate::quantity::ratio(ratio),
                    Quantity::new(REVIEW_DRAM_GBPS * 1e9, Unit::BytePerSecond).human()
                ));
            }
            if let Some(t) = &r.tariff {
                out.push(format!("  Tariff: {t}."));
            }
        }
        if let Some(l) = &self.licence_letter {
            out.push(format!(
                "Licence requirement by letter ({}): {} Source: {}.",
                l.date, l.summary, l.source
            ));
        }
        out.push(DISCLAIMER.to_string());
        out.join("\n") + "\n"
    }
}
