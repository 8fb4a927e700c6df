//! One render layer. A command's view builds typed rows once, as a [`Document`] of headings,
//! sentences and [`Table`]s whose cells keep their numbers as [`Quantity`]s; each format
//! renders the same document: an aligned terminal table, Markdown, CSV, JSON and HTML. People
//! get units and rounding (one scale per table column); CSV and JSON get raw numbers in the
//! base unit their column names, empty cells empty.

mod csv;
mod html;
mod json;
mod markdown;
pub(crate) mod svg;
mod text;

use crate::quantity::{Quantity, Scale, Span, Unit};

pub use html::html;
pub use text::table as text_table;

/// The formats every view renders to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    Markdown,
    Csv,
    Json,
    /// One self-contained page.
    Html,
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing to show: "-" for people, an empty cell in CSV, null in JSON.
    Empty,
    Text(String),
    Num(Quantity),
    /// A central figure with its range.
    Range(Span, Unit),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub(crate) fn num(value: f64, unit: Unit) -> Cell {
        Cell::Num(Quantity::new(value, unit))
    }

    /// A figure where there is one.
    pub(crate) fn opt(value: Option<f64>, unit: Unit) -> Cell {
        value.map_or(Cell::Empty, |v| Cell::num(v, unit))
    }

    /// The unit of a number or range.
    fn unit(&self) -> Option<Unit> {
        match self {
            Cell::Num(q) => Some(q.unit),
            Cell::Range(_, u) => Some(*u),
            _ => None,
        }
    }

    /// The cell for people, numbers at `scale` where one is chosen for their column.
    fn human(&self, scale: Option<Scale>) -> String {
        match (self, scale) {
            (Cell::Empty, _) => "-".to_string(),
            (Cell::Text(s), _) => s.clone(),
            (Cell::Num(q), Some(s)) => q.human_at(s),
            (Cell::Num(q), None) => q.human(),
            (Cell::Range(r, u), _) => r.human(*u),
        }
    }

    fn is_number(&self) -> bool {
        matches!(self, Cell::Num(_) | Cell::Range(..))
    }
}

/// A column: its key for CSV and JSON (snake case; the unit is appended there) and its label
/// for people.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub key: &'static str,
    pub label: String,
}

/// Rows of typed cells under named columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with columns `(key, label)`.
    pub fn new(columns: &[(&'static str, &str)]) -> Table {
        Table {
            columns: columns
                .iter()
                .map(|(key, label)| Column {
                    key,
                    label: label.to_string(),
                })
                .collect(),
            rows: Vec::new(),
        }
    }

    /// An empty table for people only (no machine keys), with these column labels.
    pub(crate) fn labelled(labels: Vec<String>) -> Table {
        Table {
            columns: labels
                .into_iter()
                .map(|label| Column { key: "", label })
                .collect(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row per column");
        self.rows.push(row);
    }

    /// The same rows without the columns whose key is in `keys`.
    pub fn without(&self, keys: &[&str]) -> Table {
        let keep: Vec<bool> = self
            .columns
            .iter()
            .map(|c| !keys.contains(&c.key))
            .collect();
        let pick = |cells: &[Cell]| -> Vec<Cell> {
            cells
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(c, _)| c.clone())
                .collect()
        };
        Table {
            columns: self
                .columns
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(c, _)| c.clone())
                .collect(),
            rows: self.rows.iter().map(|r| pick(r)).collect(),
        }
    }

    /// The rows for which `keep` holds.
    pub fn filtered(&self, keep: impl Fn(&[Cell]) -> bool) -> Table {
        Table {
            columns: self.columns.clone(),
            rows: self.rows.iter().filter(|r| keep(r)).cloned().collect(),
        }
    }

    /// The column whose key is `key`.
    pub fn column(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// Each column's units with their scale (chosen once over the column's figures, so that
    /// it reads in one unit), and whether the column holds figures (aligned right for people).
    fn scales(&self) -> Vec<(Vec<(Unit, Scale)>, bool)> {
        (0..self.columns.len())
            .map(|i| {
                let mut units: Vec<Unit> = Vec::new();
                for r in &self.rows {
                    if let Some(u) = r[i].unit().filter(|u| !units.contains(u)) {
                        units.push(u);
                    }
                }
                let scales = units
                    .into_iter()
                    .map(|u| {
                        let values = self.rows.iter().filter_map(|r| match &r[i] {
                            Cell::Num(q) if q.unit == u => Some(q.value),
                            Cell::Range(s, v) if *v == u => Some(s.high),
                            _ => None,
                        });
                        (u, Scale::for_column(u, values))
                    })
                    .collect();
                let numeric = self.rows.iter().any(|r| r[i].is_number())
                    && self
                        .rows
                        .iter()
                        .all(|r| r[i].is_number() || r[i] == Cell::Empty);
                (scales, numeric)
            })
            .collect()
    }

    /// The table for people: its headers (a column of one unit names it once there), every
    /// cell, and which columns are figures.
    pub(crate) fn human(&self) -> (Vec<String>, Vec<Vec<String>>, Vec<bool>) {
        let scales = self.scales();
        let words: Vec<Option<&str>> = scales
            .iter()
            .map(|(s, _)| match s.as_slice() {
                [(_, scale)] => scale.words(),
                _ => None,
            })
            .collect();
        let headers = self
            .columns
            .iter()
            .zip(&words)
            .map(|(c, w)| match w {
                Some(w) => format!("{} ({w})", c.label),
                None => c.label.clone(),
            })
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&scales)
                    .zip(&words)
                    .map(|((c, (s, _)), w)| {
                        let scale = c
                            .unit()
                            .and_then(|u| s.iter().find(|(v, _)| *v == u).map(|(_, s)| *s));
                        match (c, scale, w) {
                            (Cell::Num(q), Some(scale), Some(_)) => q.bare(scale),
                            (Cell::Range(r, u), Some(scale), Some(_)) => r.bare(*u, scale),
                            _ => c.human(scale.filter(|s| s.shared())),
                        }
                    })
                    .collect()
            })
            .collect();
        (headers, rows, scales.into_iter().map(|(_, n)| n).collect())
    }
}

/// One part of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// The document's title.
    Title(String),
    Heading(String),
    Subheading(String),
    /// A sentence or a few, on their own line.
    Paragraph(String),
    /// Lines read as a list (a headline, a checklist).
    List(Vec<String>),
    Table(Table),
    /// A table people open on request (collapsed in HTML).
    Details {
        summary: String,
        table: Table,
    },
    /// An SVG chart, or why it could not be drawn (HTML only).
    Figure {
        class: &'static str,
        svg: Result<String, String>,
    },
    /// A side remark in smaller print.
    Note(String),
}

/// What a view says, in the order it says it, and its rows for machines: the table CSV and
/// JSON carry (one row per item, raw numbers).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    pub blocks: Vec<Block>,
    /// The rows for CSV and JSON.
    pub data: Option<Table>,
}

impl Document {
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }

    pub fn paragraph(&mut self, s: impl Into<String>) {
        self.blocks.push(Block::Paragraph(s.into()));
    }
}

/// `doc` in `format`. CSV and JSON carry the document's data table; a document without one
/// gives JSON of its sentences and tables and no CSV.
pub fn render(doc: &Document, format: Format) -> String {
    match format {
        Format::Table => text::text(doc),
        Format::Markdown => markdown::markdown(doc),
        Format::Csv => doc.data.as_ref().map(csv::csv).unwrap_or_default(),
        Format::Json => match &doc.data {
            Some(t) => json::json(t),
            None => json::document(doc),
        },
        Format::Html => html(doc, "chipbench"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(&[
            ("case", "case"),
            ("median", "median"),
            ("throughput", "throughput"),
        ]);
        t.push(vec![
            Cell::text("matmul"),
            Cell::num(7.145e-3, Unit::Second),
            Cell::num(153.894e12, Unit::FlopPerSecond),
        ]);
        t.push(vec![
            Cell::text("=copy"),
            Cell::num(505.85e-6, Unit::Second),
            Cell::num(4245.3e9, Unit::BytePerSecond),
        ]);
        t.push(vec![Cell::text("gemv"), Cell::Empty, Cell::Empty]);
        t
    }

    #[test]
    fn people_get_one_scale_per_column_and_unit() {
        let (headers, rows, numeric) = table().human();
        // One unit in a column: named once in its header.
        assert_eq!(headers, ["case", "median (ms)", "throughput"]);
        assert_eq!(rows[0][1], "7.145");
        assert_eq!(rows[1][1], "0.506");
        // Two units in a column: each cell keeps its own.
        assert_eq!(rows[0][2], "153.9 TFLOP/s");
        assert_eq!(rows[1][2], "4245 GB/s");
        assert_eq!(rows[2][1], "-");
        assert_eq!(numeric, vec![false, true, true]);
    }

    #[test]
    fn machines_get_raw_numbers_one_unit_per_column() {
        let csv = csv::csv(&table());
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("case,median_s,throughput_flop_per_s,throughput_byte_per_s")
        );
        assert_eq!(lines.next(), Some("matmul,0.007145,153894000000000,"));
        // A formula-like text cell is defused; numbers stay numbers.
        assert_eq!(lines.next(), Some("'=copy,0.00050585,,4245300000000"));
        assert_eq!(lines.next(), Some("gemv,,,"));
        let json: serde_json::Value = serde_json::from_str(&json::json(&table())).unwrap();
        assert_eq!(json[0]["throughput_flop_per_s"], 153.894e12);
        assert_eq!(json[1]["throughput_byte_per_s"], 4245.3e9);
        assert!(json[2]["median_s"].is_null());
        assert_eq!(json[1]["case"], "=copy");
    }

    #[test]
    fn ranges_take_three_columns_in_csv() {
        let mut t = Table::new(&[("hours", "GPU-hours")]);
        t.push(vec![Cell::Range(
            Span {
                central: 2.0,
                low: 1.0,
                high: 3.0,
            },
            Unit::GpuHours,
        )]);
        assert_eq!(
            csv::csv(&t),
            "hours_gpu_hours,hours_gpu_hours_low,hours_gpu_hours_high\n2,1,3\n"
        );
    }
}
