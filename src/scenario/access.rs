//! What a rule leaves a buyer: for every chip, what the rule does to it (free, controlled,
//! licensed case by case, undetermined) and whether this buyer can get it at the scenario's
//! date, with the assumption that makes it available. A named vintage is `policy::classify`'s;
//! a threshold file is the engine's ([`super::thresholds`]).

use std::path::Path;

use serde::Serialize;

use super::ScenarioError;
use super::month::{self, Month};
use super::thresholds::{Figures, Thresholds, Tri};
use crate::policy::{Chip, ChipError, Class, Database, Rule, classify, rules::ReviewPolicy};

/// The country of the buyer `--restricted` means: China, in Country Group D:5, whom every rule
/// vintage restricts.
pub const RESTRICTED_COUNTRY: &str = "CN";

/// The lines of the 2022 rule and of the 2023 rule (which 2024-12 keeps for chips), as the
/// engine reads them: what a sweep of a named vintage moves.
const LINES_2022: &str = include_str!("../../data/scenarios/2022-10.toml");
const LINES_2023: &str = include_str!("../../data/scenarios/2023-10.toml");

/// A rule: a named vintage, or a threshold file.
#[derive(Debug, Clone, PartialEq)]
pub enum Controls {
    Vintage(Rule),
    Thresholds(Thresholds),
}

impl Controls {
    /// A vintage's name or a threshold file's path; `field` is the option it came from.
    pub fn parse(s: &str, field: &'static str, db: &Database) -> Result<Controls, ScenarioError> {
        if let Ok(r) = s.parse::<Rule>() {
            return Ok(Controls::Vintage(r));
        }
        if !s.ends_with(".toml") && !s.contains('/') {
            return Err(ScenarioError::Input {
                field,
                why: format!(
                    "unknown rule vintage {s:?}; known: {}, or a threshold file (.toml, data/scenarios/)",
                    Rule::ALL.map(Rule::name).join(", ")
                ),
            });
        }
        let bytes =
            crate::model::read_regular(Path::new(s)).map_err(|why| ScenarioError::File {
                path: s.to_string(),
                why,
            })?;
        let text = String::from_utf8(bytes).map_err(|_| ScenarioError::File {
            path: s.to_string(),
            why: "not UTF-8 text".into(),
        })?;
        Ok(Controls::Thresholds(Thresholds::parse(&text, s, db)?))
    }

    pub fn name(&self) -> String {
        match self {
            Controls::Vintage(r) => r.name().to_string(),
            Controls::Thresholds(t) => format!("{} ({})", t.name, t.file),
        }
    }

    /// The rule's date: a vintage's month, a file's `date`.
    pub fn date(&self) -> Month {
        match self {
            Controls::Vintage(r) => r.name().parse().expect("vintage names are months"),
            Controls::Thresholds(t) => t.date,
        }
    }

    /// What the rule is and where it comes from, in a sentence.
    pub fn citation(&self) -> String {
        use crate::policy::rules::thresholds as th;
        match self {
            Controls::Vintage(Rule::Oct2022) => format!(
                "87 FR 62186 (October 2022): aggregate interconnect of {} GB/s or more and TPP of {} or more",
                th::INTERCONNECT_2022_GBPS,
                th::TPP_A
            ),
            Controls::Vintage(Rule::Oct2023) => "88 FR 73458 (in force 2023-11-17): TPP and \
                performance density, the note on parts not designed for datacenters"
                .into(),
            Controls::Vintage(Rule::Dec2024) => "89 FR 96790 (2024-12): the 2023 lines, plus \
                3A090.c for HBM stacks sold on their own (no chip's class changes)"
                .into(),
            Controls::Vintage(Rule::Jan2026) => "91 FR 1684 (in force 2026-01-15): 3A090 as \
                amended through 2024-12, and case-by-case review of exports from the US to China \
                of chips under its TPP and DRAM bandwidth ceilings that were commercially \
                available in the US"
                .into(),
            Controls::Thresholds(t) => [t.description.as_deref(), t.source.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" Source: "),
        }
    }

    /// The rule as the engine states it, for a sweep to move: a file as it is; 2022-10, 2023-10
    /// and 2024-12 through the shipped files of their lines. 2026-01 is a licence-review
    /// policy over the 2024-12 lines, with conditions no threshold moves.
    pub fn lines(&self, db: &Database) -> Result<Thresholds, ScenarioError> {
        let shipped = |text: &str, file: &str| Thresholds::parse(text, file, db);
        match self {
            Controls::Thresholds(t) => Ok(t.clone()),
            Controls::Vintage(Rule::Oct2022) => shipped(LINES_2022, "data/scenarios/2022-10.toml"),
            Controls::Vintage(Rule::Oct2023 | Rule::Dec2024) => {
                shipped(LINES_2023, "data/scenarios/2023-10.toml")
            }
            Controls::Vintage(Rule::Jan2026) => Err(ScenarioError::Input {
                field: "sweep",
                why: "2026-01 is a licence-review policy over the 2024-12 lines: sweep --rule 2024-12 or a threshold file".into(),
            }),
        }
    }

    /// What the rule does to `chip`; `grant` says whether licences reviewed case by case are
    /// granted.
    pub fn rule_on(&self, chip: &Chip, figures: &Figures, grant: bool) -> Ruling {
        match self {
            Controls::Vintage(r) => vintage(*r, chip, figures, grant),
            Controls::Thresholds(t) => Ruling::of(t, chip, figures),
        }
    }
}

/// What a rule does to a chip, whoever buys it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Control {
    /// Not caught.
    Free,
    /// Caught, and reviewed case by case (91 FR 1684) with the licence assumed granted.
    Licensed,
    /// Caught: a licence is required and not assumed.
    Controlled,
    /// A figure the rule needs is unknown, or TF32's bit length decides.
    Undetermined,
}

impl Control {
    pub fn name(self) -> &'static str {
        match self {
            Control::Free => "free",
            Control::Licensed => "licensed case by case",
            Control::Controlled => "controlled",
            Control::Undetermined => "undetermined",
        }
    }

    /// Whether a buyer the rule restricts can get the chip.
    fn open(self) -> bool {
        matches!(self, Control::Free | Control::Licensed)
    }
}

/// A rule's verdict on one chip, with the clause and the reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ruling {
    pub control: Control,
    pub clause: Option<String>,
    pub why: String,
}

impl Ruling {
    /// The engine's verdict under the lines of `t`.
    pub fn of(t: &Thresholds, chip: &Chip, figures: &Figures) -> Ruling {
        let c = t.catch(&chip.id, figures);
        Ruling {
            control: match c.caught {
                Tri::Yes => Control::Controlled,
                Tri::No => Control::Free,
                Tri::Unknown => Control::Undetermined,
            },
            clause: c.clause,
            why: c.why,
        }
    }
}

/// A named vintage's verdict: `classify`'s class, a licence letter dated by the vintage's
/// month, and the 2026 review policy.
fn vintage(rule: Rule, chip: &Chip, f: &Figures, grant: bool) -> Ruling {
    let letter = chip.licence_letter.as_ref().filter(|l| {
        l.date
            .parse::<Month>()
            .is_ok_and(|d| d <= Controls::Vintage(rule).date())
    });
    if let Some(l) = letter {
        return Ruling {
            control: Control::Controlled,
            clause: Some("licence letter".into()),
            why: format!("a licence required by letter of {} ({})", l.date, l.source),
        };
    }
    let v = classify(&chip.spec(), rule);
    let figures = match (rule, v.performance_density) {
        (Rule::Oct2022, _) => format!(
            "TPP {:.0}, interconnect {}",
            v.tpp,
            chip.interconnect_gbps
                .map_or("unknown".to_string(), |g| format!("{g:.0} GB/s"))
        ),
        (_, Some(pd)) => format!("TPP {:.0}, performance density {pd:.2}", v.tpp),
        (_, None) => format!("TPP {:.0}", v.tpp),
    };
    let (control, why) = match v.classification {
        Class::A | Class::B => {
            let review = v.licence_review.as_ref().map(|r| r.policy);
            if review == Some(ReviewPolicy::CaseByCase) && grant {
                (
                    Control::Licensed,
                    format!(
                        "{} under {rule} ({figures}); exports reviewed case by case under 91 FR 1684, the licence assumed granted",
                        v.class_short()
                    ),
                )
            } else {
                (
                    Control::Controlled,
                    format!("{} under {rule} ({figures})", v.class_short()),
                )
            }
        }
        Class::Outside => (
            Control::Free,
            format!("outside 3A090 under {rule} ({figures})"),
        ),
        Class::Undetermined => (
            Control::Undetermined,
            format!(
                "undetermined under {rule} ({figures}): {}",
                undetermined_by(rule, chip, f)
            ),
        ),
    };
    Ruling {
        control,
        clause: v.clause.map(String::from),
        why,
    }
}

/// What leaves a vintage's class undetermined for `chip`.
fn undetermined_by(rule: Rule, chip: &Chip, f: &Figures) -> String {
    let mut out = Vec::new();
    if f.tpp[0] != f.tpp[1] {
        out.push("TF32's bit length");
    }
    if rule == Rule::Oct2022 && chip.interconnect_gbps.is_none() {
        out.push("the unknown interconnect");
    }
    if rule != Rule::Oct2022 && chip.die_area_mm2.is_none() {
        out.push("the unknown die area");
    }
    if rule != Rule::Oct2022 && chip.datacenter.is_none() {
        out.push("whether it is designed for datacenters");
    }
    format!("{} decides", out.join(" or "))
}

/// Who buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Buyer {
    /// A buyer in China ([`RESTRICTED_COUNTRY`]), whom the rules restrict.
    pub restricted: bool,
    /// Whether licences reviewed case by case under 91 FR 1684 are granted.
    pub case_by_case_granted: bool,
}

/// Whether the buyer can get a chip at the scenario's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Available,
    NotAvailable,
    NotOnSale,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::NotAvailable => "not available",
            Status::NotOnSale => "not on sale yet",
        }
    }
}

/// One chip for one buyer under one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Access {
    pub chip: String,
    /// The month it went on sale; `on_sale_inferred` when only its year is known.
    pub on_sale: Option<Month>,
    pub on_sale_inferred: bool,
    pub ruling: Ruling,
    pub status: Status,
    /// The assumption that makes it available, or why it is not.
    pub why: String,
}

impl Access {
    pub fn available(&self) -> bool {
        self.status == Status::Available
    }
}

/// A part designed and made in the restricted buyer's country: bought at home, it is not an
/// export under the rule.
pub fn domestic(chip: &Chip) -> bool {
    chip.origin
        .as_ref()
        .is_some_and(|o| o.designed == RESTRICTED_COUNTRY && o.made == RESTRICTED_COUNTRY)
}

/// When `chip` went on sale, or the chip database's problem with its entry.
pub fn on_sale(chip: &Chip) -> Result<Option<(Month, bool)>, ScenarioError> {
    month::on_sale(chip).map_err(|e| ScenarioError::Chip(ChipError::Data(e)))
}

/// `chip` for `buyer` at `as_of` under `ruling`; `sale` is [`on_sale`]'s answer.
pub fn access(
    chip: &Chip,
    sale: Option<(Month, bool)>,
    ruling: Ruling,
    buyer: Buyer,
    as_of: Month,
) -> Access {
    let (status, why) = match sale {
        Some((m, inferred)) if m > as_of => (
            Status::NotOnSale,
            format!(
                "on sale from {m}{}",
                if inferred {
                    " (its year only: counted from December)"
                } else {
                    ""
                }
            ),
        ),
        _ if !buyer.restricted => (Status::Available, "a buyer no rule restricts".to_string()),
        _ if chip.cloud_only.is_some() => (
            Status::NotAvailable,
            format!(
                "{}: a restricted buyer can buy none (renting one abroad is remote access, outside this arithmetic)",
                chip.cloud_only.as_deref().unwrap_or_default()
            ),
        ),
        _ if domestic(chip) => (
            Status::Available,
            format!(
                "domestic supply: designed and made in {RESTRICTED_COUNTRY} and bought there, not an export under the rule (the rule's lines: {})",
                ruling.control.name()
            ),
        ),
        _ if ruling.control.open() => (Status::Available, ruling.why.clone()),
        _ => (Status::NotAvailable, ruling.why.clone()),
    };
    Access {
        chip: chip.id.clone(),
        on_sale: sale.map(|(m, _)| m),
        on_sale_inferred: sale.is_some_and(|(_, i)| i),
        ruling,
        status,
        why,
    }
}

/// How a chip's treatment under the scenario's rule differs from the baseline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    Unchanged,
    /// Open to a restricted buyer under the baseline, closed under the scenario.
    NewlyCaught,
    /// Closed under the baseline, open under the scenario.
    NewlyReleased,
    /// Undetermined under one of the two.
    Undetermined,
}

impl Change {
    pub fn of(scenario: Control, baseline: Control) -> Change {
        if scenario == Control::Undetermined || baseline == Control::Undetermined {
            return if scenario == baseline {
                Change::Unchanged
            } else {
                Change::Undetermined
            };
        }
        match (baseline.open(), scenario.open()) {
            (true, false) => Change::NewlyCaught,
            (false, true) => Change::NewlyReleased,
            _ => Change::Unchanged,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Change::Unchanged => "",
            Change::NewlyCaught => "newly caught",
            Change::NewlyReleased => "newly released",
            Change::Undetermined => "undetermined in one",
        }
    }
}
