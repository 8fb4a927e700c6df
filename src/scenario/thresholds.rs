//! Threshold files: a control rule stated as data, and the small engine that applies one to a
//! chip. The named vintages are `policy::classify`'s; a file is how an analyst states a rule
//! that is not (yet) law: a deployment-oriented DRAM bandwidth line, a moved TPP line. The
//! shipped files `data/scenarios/2022-10.toml` and `2023-10.toml` state the vintages' own
//! lines, and a test holds the engine to `classify` on every chip of the database.
//!
//! Format, version 1 (TOML; unknown keys are refused):
//!
//! ```toml
//! version = 1                     # required; this chipbench reads version 1
//! name = "2023-10 plus a DRAM line"
//! date = "2025-04"                # YYYY-MM: the scenario's default --as-of
//! source = "..."                  # optional: where the lines come from
//! description = "..."             # optional
//! combine = "any"                 # "any" (default): caught by any clause; "all": by every one
//! licence_letters = ["nvidia-h20"] # optional: chips caught by letter whatever the clauses say
//!
//! [[clause]]                      # a chip meets a clause when it meets every line in it
//! name = "3A090.a.2"
//! datacenter_only = true          # optional: only parts designed or marketed for datacenters
//! tpp = 1600                      # TPP at or above
//! performance_density = 5.92      # TPP per mm^2 of applicable die area, at or above
//! dram_bandwidth_gbps = 1400      # total DRAM bandwidth at or above, GB/s
//! memory_bandwidth_density = 2.0  # DRAM bandwidth per mm^2 of logic die, GB/s/mm^2, at or above
//! interconnect_gbps = 600         # aggregate bidirectional scale-up bandwidth at or above, GB/s
//! ```
//!
//! Every threshold is a positive number and a clause names at least one. A figure a chip lacks
//! (a die area, an interconnect) leaves a line unknown; a clause or a rule that an unknown
//! line could decide is undetermined, as `classify` says of the vintages. TPP is computed with
//! TF32 as 19 and as 32 bits; where the two answers differ, TF32 decides and the answer is
//! undetermined. `memory_bandwidth_density` here is chip-level (DRAM bandwidth over logic die
//! area): 3A090.c's own density is per HBM stack, a figure the chip table does not hold.

use serde::{Deserialize, Serialize};

use super::ScenarioError;
use super::month::Month;
use crate::policy::{Chip, Database};
use crate::quantity::Unit;

/// The version of the format this chipbench reads.
pub const VERSION: i64 = 1;

/// A figure a threshold is drawn on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Tpp,
    PerformanceDensity,
    DramBandwidthGbps,
    MemoryBandwidthDensity,
    InterconnectGbps,
}

impl Field {
    pub const ALL: [Field; 5] = [
        Field::Tpp,
        Field::PerformanceDensity,
        Field::DramBandwidthGbps,
        Field::MemoryBandwidthDensity,
        Field::InterconnectGbps,
    ];

    /// The key in a threshold file and in `--sweep`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Tpp => "tpp",
            Field::PerformanceDensity => "performance_density",
            Field::DramBandwidthGbps => "dram_bandwidth_gbps",
            Field::MemoryBandwidthDensity => "memory_bandwidth_density",
            Field::InterconnectGbps => "interconnect_gbps",
        }
    }

    /// The figure in words.
    pub fn label(self) -> &'static str {
        match self {
            Field::Tpp => "TPP",
            Field::PerformanceDensity => "performance density",
            Field::DramBandwidthGbps => "DRAM bandwidth",
            Field::MemoryBandwidthDensity => "memory bandwidth density",
            Field::InterconnectGbps => "interconnect",
        }
    }

    /// The unit thresholds of this figure are written in; empty for TPP and performance
    /// density, which have none.
    pub fn unit(self) -> &'static str {
        match self {
            Field::Tpp | Field::PerformanceDensity => "",
            Field::DramBandwidthGbps | Field::InterconnectGbps => "GB/s",
            Field::MemoryBandwidthDensity => "GB/s/mm^2",
        }
    }

    /// A value of this figure for people, with its unit.
    pub fn show(self, v: f64) -> String {
        let number = match self {
            Field::Tpp | Field::DramBandwidthGbps | Field::InterconnectGbps => format!("{v:.0}"),
            Field::PerformanceDensity | Field::MemoryBandwidthDensity => format!("{v:.2}"),
        };
        match self.unit() {
            "" => number,
            unit => format!("{number} {unit}"),
        }
    }

    /// A threshold of this figure as a quantity in its base unit, where the view layer has a
    /// unit for it (none for GB/s per mm^2).
    pub fn quantity(self, v: f64) -> Option<(f64, Unit)> {
        match self {
            Field::Tpp => Some((v, Unit::Tpp)),
            Field::PerformanceDensity => Some((v, Unit::TppPerMm2)),
            Field::DramBandwidthGbps | Field::InterconnectGbps => {
                Some((v * 1e9, Unit::BytePerSecond))
            }
            Field::MemoryBandwidthDensity => None,
        }
    }
}

impl std::str::FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> Result<Field, String> {
        crate::input::named("threshold field", s, &Field::ALL, Field::key)
    }
}

/// One line: a figure at or above a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Line {
    pub field: Field,
    pub at_least: f64,
}

/// Lines a chip must meet together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clause {
    pub name: String,
    pub lines: Vec<Line>,
    /// Only parts designed or marketed for datacenters.
    pub datacenter_only: bool,
}

/// How a rule's clauses combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    Any,
    All,
}

/// A rule read from a threshold file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub name: String,
    pub date: Month,
    pub source: Option<String>,
    pub description: Option<String>,
    pub combine: Combine,
    pub clauses: Vec<Clause>,
    /// Chips caught by letter.
    pub licence_letters: Vec<String>,
    /// Where the rule was read from.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileV1 {
    version: i64,
    name: String,
    date: String,
    source: Option<String>,
    description: Option<String>,
    combine: Option<Combine>,
    #[serde(default)]
    clause: Vec<ClauseV1>,
    #[serde(default)]
    licence_letters: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClauseV1 {
    name: String,
    #[serde(default)]
    datacenter_only: bool,
    tpp: Option<f64>,
    performance_density: Option<f64>,
    dram_bandwidth_gbps: Option<f64>,
    memory_bandwidth_density: Option<f64>,
    interconnect_gbps: Option<f64>,
}

impl ClauseV1 {
    /// The clause, or what is wrong with it, its name given; `earlier` are the file's clauses
    /// before it.
    fn checked(&self, earlier: &[Clause]) -> Result<Clause, String> {
        let at = |what: &str| format!("clause {:?}: {what}", self.name);
        if self.name.trim().is_empty() {
            return Err("clause: a clause needs a name".into());
        }
        if earlier.iter().any(|k| k.name == self.name) {
            return Err(at("name: given twice"));
        }
        let lines = self.lines();
        if lines.is_empty() {
            return Err(at("names no threshold"));
        }
        for l in &lines {
            crate::input::positive("it", l.at_least).map_err(|e| {
                at(&format!(
                    "{}: {}",
                    l.field.key(),
                    e.trim_start_matches("it ")
                ))
            })?;
        }
        Ok(Clause {
            name: self.name.clone(),
            lines,
            datacenter_only: self.datacenter_only,
        })
    }

    fn lines(&self) -> Vec<Line> {
        [
            (Field::Tpp, self.tpp),
            (Field::PerformanceDensity, self.performance_density),
            (Field::DramBandwidthGbps, self.dram_bandwidth_gbps),
            (Field::MemoryBandwidthDensity, self.memory_bandwidth_density),
            (Field::InterconnectGbps, self.interconnect_gbps),
        ]
        .into_iter()
        .filter_map(|(field, v)| v.map(|at_least| Line { field, at_least }))
        .collect()
    }
}

impl Thresholds {
    /// The rule in `text`, read from `file`; every problem names the file and the field.
    pub fn parse(text: &str, file: &str, db: &Database) -> Result<Thresholds, ScenarioError> {
        let bad = |why: String| ScenarioError::File {
            path: file.to_string(),
            why,
        };
        let toml_error = |e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            bad(match line {
                Some(l) => format!("line {l}: {}", e.message().trim()),
                None => e.message().trim().to_string(),
            })
        };
        let table: toml::Table = toml::from_str(text).map_err(toml_error)?;
        match table.get("version") {
            None => {
                return Err(bad(
                    "version: missing; this chipbench reads version 1".into()
                ));
            }
            Some(toml::Value::Integer(VERSION)) => {}
            Some(v) => {
                return Err(bad(format!(
                    "version: {v}; this chipbench reads version {VERSION}"
                )));
            }
        }
        let f: FileV1 = toml::from_str(text).map_err(toml_error)?;
        debug_assert_eq!(f.version, VERSION);
        let date = f.date.parse().map_err(|e| bad(format!("date: {e}")))?;
        let mut clauses = Vec::new();
        for c in &f.clause {
            let clause = c.checked(&clauses).map_err(bad)?;
            clauses.push(clause);
        }
        for id in &f.licence_letters {
            db.get(id)
                .map_err(|e| bad(format!("licence_letters: {e}")))?;
        }
        if clauses.is_empty() && f.licence_letters.is_empty() {
            return Err(bad(
                "no clause and no licence letter: the rule would catch nothing".into(),
            ));
        }
        Ok(Thresholds {
            name: f.name,
            date,
            source: f.source,
            description: f.description,
            combine: f.combine.unwrap_or(Combine::Any),
            clauses,
            licence_letters: f.licence_letters,
            file: file.to_string(),
        })
    }

    /// The rule with its highest line on `field` moved to `at`, in every clause that draws it
    /// there; a rule with no line on `field` gets one, as a clause of its own.
    pub fn moved(&self, field: Field, at: f64) -> Thresholds {
        let top = self
            .clauses
            .iter()
            .flat_map(|c| &c.lines)
            .filter(|l| l.field == field)
            .map(|l| l.at_least)
            .max_by(f64::total_cmp);
        let mut out = self.clone();
        match top {
            Some(top) => {
                for l in out.clauses.iter_mut().flat_map(|c| &mut c.lines) {
                    if l.field == field && l.at_least == top {
                        l.at_least = at;
                    }
                }
            }
            None => out.clauses.push(Clause {
                name: format!("{} line", field.label()),
                lines: vec![Line {
                    field,
                    at_least: at,
                }],
                datacenter_only: false,
            }),
        }
        out
    }

    /// Whether this rule catches a chip with `figures`.
    pub fn catch(&self, chip: &str, figures: &Figures) -> Catch {
        if self
            .licence_letters
            .iter()
            .any(|c| c.eq_ignore_ascii_case(chip))
        {
            return Catch {
                caught: Tri::Yes,
                clause: Some("licence letter".into()),
                why: format!("named in {}'s licence letters", self.name),
            };
        }
        let (a, b) = (self.apply(figures, 0), self.apply(figures, 1));
        if (a.caught, &a.clause) == (b.caught, &b.clause) {
            return a;
        }
        Catch {
            caught: Tri::Unknown,
            clause: None,
            why: format!(
                "TF32's bit length decides: as 19 bits, {}; as 32 bits, {}",
                a.why, b.why
            ),
        }
    }

    /// The rule with TPP taken with TF32 as 19 bits (`tf32` 0) or 32 bits (1).
    fn apply(&self, f: &Figures, tf32: usize) -> Catch {
        let results: Vec<(Tri, &Clause)> =
            self.clauses.iter().map(|c| (c.meets(f, tf32), c)).collect();
        let find = |t: Tri| results.iter().find(|(r, _)| *r == t).map(|(_, c)| *c);
        let caught = match self.combine {
            Combine::Any => Tri::any(results.iter().map(|(r, _)| *r)),
            Combine::All => Tri::all(results.iter().map(|(r, _)| *r)),
        };
        let (clause, why) = match (caught, self.combine) {
            (Tri::Yes, Combine::Any) => {
                let c = find(Tri::Yes).expect("a clause holds");
                (Some(c.name.clone()), c.describe(f, tf32))
            }
            (Tri::Yes, Combine::All) => (
                Some("every clause".to_string()),
                results
                    .iter()
                    .map(|(_, c)| c.describe(f, tf32))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            (Tri::No, Combine::All) => {
                let c = find(Tri::No).expect("a clause fails");
                (
                    None,
                    format!("{} does not hold ({})", c.name, c.describe(f, tf32)),
                )
            }
            (Tri::No, Combine::Any) => (None, format!("meets no clause ({})", f.describe(tf32))),
            (Tri::Unknown, _) => {
                let c = find(Tri::Unknown).expect("a clause is unknown");
                (
                    None,
                    format!("{} could decide, and {}", c.name, c.unknowns(f)),
                )
            }
        };
        Catch {
            caught,
            clause,
            why,
        }
    }
}

impl Clause {
    fn meets(&self, f: &Figures, tf32: usize) -> Tri {
        let dc = self.datacenter_only.then(|| Tri::of(f.datacenter));
        Tri::all(
            self.lines
                .iter()
                .map(|l| Tri::of(f.value(l.field, tf32).map(|v| v >= l.at_least)))
                .chain(dc),
        )
    }

    /// "3A090.a.2: TPP 4992 >= 1600, performance density 6.04 >= 5.92, designed for datacenters".
    fn describe(&self, f: &Figures, tf32: usize) -> String {
        let mut parts: Vec<String> = self
            .lines
            .iter()
            .map(|l| {
                let v = f
                    .value(l.field, tf32)
                    .map_or("unknown".to_string(), |v| l.field.show(v));
                format!("{} {v} >= {}", l.field.label(), l.field.show(l.at_least))
            })
            .collect();
        if self.datacenter_only {
            parts.push("a datacenter part".into());
        }
        format!("{}: {}", self.name, parts.join(", "))
    }

    /// What the clause needs that the chip's entry lacks.
    fn unknowns(&self, f: &Figures) -> String {
        let mut out: Vec<&str> = self
            .lines
            .iter()
            .filter(|l| f.value(l.field, 0).is_none())
            .map(|l| f.missing(l.field))
            .collect();
        if self.datacenter_only && f.datacenter.is_none() {
            out.push("whether it is designed for datacenters");
        }
        out.dedup();
        format!("{} unknown", out.join(" and "))
    }
}

/// A three-valued answer: a figure a line needs may be unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    pub fn of(b: Option<bool>) -> Tri {
        match b {
            Some(true) => Tri::Yes,
            Some(false) => Tri::No,
            None => Tri::Unknown,
        }
    }

    /// Yes when any is, no when all are.
    fn any(xs: impl Iterator<Item = Tri>) -> Tri {
        xs.fold(Tri::No, |acc, x| match (acc, x) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::No,
        })
    }

    /// No when any is, yes when all are.
    fn all(xs: impl Iterator<Item = Tri>) -> Tri {
        xs.fold(Tri::Yes, |acc, x| match (acc, x) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Unknown, _) | (_, Tri::Unknown) => Tri::Unknown,
            _ => Tri::Yes,
        })
    }
}

/// Whether a rule catches a chip, by which clause, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catch {
    pub caught: Tri,
    pub clause: Option<String>,
    pub why: String,
}

/// The figures a rule reads off one chip, computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    /// TPP with TF32 as 19 and as 32 bits.
    pub tpp: [f64; 2],
    pub die_area_mm2: Option<f64>,
    pub dram_gbps: Option<f64>,
    pub interconnect_gbps: Option<f64>,
    pub datacenter: Option<bool>,
}

impl Figures {
    /// The figures of `chip` (a shipped chip: its spec is valid and has a peak).
    pub fn of(chip: &Chip) -> Figures {
        let spec = chip.spec();
        let tpp = |bits| spec.tpp(bits).map_or(0.0, |t| t.value);
        Figures {
            tpp: [tpp(19), tpp(32)],
            die_area_mm2: chip.die_area_mm2,
            dram_gbps: chip.memory_bandwidth_gbps,
            interconnect_gbps: chip.interconnect_gbps,
            datacenter: chip.datacenter,
        }
    }

    /// The value of `field`, TPP with TF32 as 19 bits (`tf32` 0) or 32 bits (1).
    pub fn value(&self, field: Field, tf32: usize) -> Option<f64> {
        let tpp = self.tpp[tf32];
        match field {
            Field::Tpp => Some(tpp),
            Field::PerformanceDensity => self.die_area_mm2.map(|a| tpp / a),
            Field::DramBandwidthGbps => self.dram_gbps,
            Field::MemoryBandwidthDensity => {
                self.dram_gbps.zip(self.die_area_mm2).map(|(b, a)| b / a)
            }
            Field::InterconnectGbps => self.interconnect_gbps,
        }
    }

    /// The entry's figure that `field` needs and lacks.
    fn missing(&self, field: Field) -> &'static str {
        match field {
            Field::Tpp => "TPP",
            Field::PerformanceDensity => "the die area",
            Field::DramBandwidthGbps => "the DRAM bandwidth",
            Field::MemoryBandwidthDensity if self.dram_gbps.is_none() => "the DRAM bandwidth",
            Field::MemoryBandwidthDensity => "the die area",
            Field::InterconnectGbps => "the interconnect bandwidth",
        }
    }

    /// The chip's figures in a few words: "TPP 2368, performance density 2.91, DRAM 4000 GB/s".
    fn describe(&self, tf32: usize) -> String {
        [
            Field::Tpp,
            Field::PerformanceDensity,
            Field::DramBandwidthGbps,
            Field::InterconnectGbps,
        ]
        .into_iter()
        .filter_map(|k| {
            self.value(k, tf32)
                .map(|v| format!("{} {}", k.label(), k.show(v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Database {
        Database::load().unwrap()
    }

    fn parse(text: &str) -> Result<Thresholds, String> {
        Thresholds::parse(text, "x.toml", &db()).map_err(|e| e.to_string())
    }

    const HEAD: &str = "version = 1\nname = \"t\"\ndate = \"2025-04\"\n";

    #[test]
    fn kleene_logic_keeps_unknowns_honest() {
        use Tri::*;
        assert_eq!(Tri::any([No, Unknown, Yes].into_iter()), Yes);
        assert_eq!(Tri::any([No, Unknown].into_iter()), Unknown);
        assert_eq!(Tri::all([Yes, Unknown, No].into_iter()), No);
        assert_eq!(Tri::all([Yes, Unknown].into_iter()), Unknown);
        assert_eq!(Tri::all(std::iter::empty()), Yes);
    }

    #[test]
    fn a_line_on_a_missing_figure_is_unknown_unless_another_decides() {
        let t = parse(&format!(
            "{HEAD}[[clause]]\nname = \"a\"\ntpp = 4800\ninterconnect_gbps = 600\n"
        ))
        .unwrap();
        let mut f = Figures {
            tpp: [5000.0; 2],
            die_area_mm2: None,
            dram_gbps: None,
            interconnect_gbps: None,
            datacenter: None,
        };
        let c = t.catch("x", &f);
        assert_eq!(c.caught, Tri::Unknown);
        assert!(
            c.why.contains("interconnect bandwidth unknown"),
            "{}",
            c.why
        );
        f.tpp = [4000.0; 2];
        assert_eq!(t.catch("x", &f).caught, Tri::No);
        // TF32 deciding: the two TPPs fall on either side of the line.
        f.tpp = [4000.0, 5000.0];
        f.interconnect_gbps = Some(900.0);
        let c = t.catch("x", &f);
        assert_eq!(c.caught, Tri::Unknown);
        assert!(c.why.starts_with("TF32's bit length decides"), "{}", c.why);
    }

    #[test]
    fn moving_a_line_moves_the_highest_and_adds_one_where_there_is_none() {
        let t = parse(&format!(
            "{HEAD}[[clause]]\nname = \"a\"\ntpp = 4800\n[[clause]]\nname = \"b\"\ntpp = 1600\nperformance_density = 5.92\n"
        ))
        .unwrap();
        let m = t.moved(Field::Tpp, 3000.0);
        assert_eq!(m.clauses[0].lines[0].at_least, 3000.0);
        assert_eq!(m.clauses[1].lines[0].at_least, 1600.0);
        let d = t.moved(Field::DramBandwidthGbps, 2000.0);
        assert_eq!(d.clauses.len(), 3);
        assert_eq!(
            d.clauses[2].lines,
            [Line {
                field: Field::DramBandwidthGbps,
                at_least: 2000.0
            }]
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_field_named() {
        let cases = [
            (
                "version = 2\nname = \"t\"\ndate = \"2025-04\"\n",
                "version: 2; this chipbench reads version 1",
            ),
            ("name = \"t\"\ndate = \"2025-04\"\n", "version: missing"),
            (
                &format!("{HEAD}[[clause]]\nname = \"a\"\ntpp = -5\n"),
                "clause \"a\": tpp: must be a positive number, got -5",
            ),
            (
                &format!("{HEAD}[[clause]]\nname = \"a\"\ntpp = 4800\nflops = 3\n"),
                "unknown field `flops`",
            ),
            (
                &format!("{HEAD}colour = \"red\"\n[[clause]]\nname = \"a\"\ntpp = 1\n"),
                "unknown field `colour`",
            ),
            (
                &format!("{HEAD}[[clause]]\nname = \"a\"\n"),
                "clause \"a\": names no threshold",
            ),
            (HEAD, "no clause and no licence letter"),
            (
                &format!("{HEAD}licence_letters = [\"nvidia-h21\"]\n"),
                "licence_letters: unknown chip \"nvidia-h21\"",
            ),
            (
                "version = 1\nname = \"t\"\ndate = \"April\"\n[[clause]]\nname = \"a\"\ntpp = 1\n",
                "date: \"April\" is not a month",
            ),
            (
                &format!(
                    "{HEAD}[[clause]]\nname = \"a\"\ntpp = 1\n[[clause]]\nname = \"a\"\ntpp = 2\n"
                ),
                "given twice",
            ),
            ("version = 1\nname = ", "x.toml: line 2"),
        ];
        for (text, want) in cases {
            let e = parse(text).unwrap_err();
            assert!(
                e.starts_with("x.toml: ") && e.contains(want),
                "{text:?}: {e}"
            );
        }
    }
}
