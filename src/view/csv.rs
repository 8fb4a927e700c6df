//! CSV of a table: one row per row, raw numbers in the base unit its header names, one unit
//! per column (a column of mixed units splits into one per unit), ranges in three columns,
//! empty cells empty, and no text cell a spreadsheet would run as a formula.

use super::{Cell, Table};
use crate::quantity::Unit;
use crate::text::csv_safe;

/// A raw number as CSV and JSON write it: plain decimals in the usual range, e-notation for
/// the very large and very small, never rounded.
pub(super) fn raw(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e15).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// The machine columns of one table column: (name, unit it holds, which end of a range).
pub(super) struct Field {
    pub name: String,
    pub column: usize,
    pub unit: Option<Unit>,
    pub end: End,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    Central,
    Low,
    High,
}

/// `key` with its unit: `median_s`; a key that already names its unit, or a plain count
/// (`runs`, `gpus`), stays as it is.
fn name(key: &str, unit: Unit) -> String {
    let u = unit.key();
    if unit == Unit::Count || key == u || key.ends_with(&format!("_{u}")) {
        key.to_string()
    } else {
        format!("{key}_{u}")
    }
}

/// Every machine column of `t`, in order.
pub(super) fn fields(t: &Table) -> Vec<Field> {
    let mut out = Vec::new();
    for (i, col) in t.columns.iter().enumerate() {
        let mut units: Vec<(Unit, bool)> = Vec::new();
        for r in &t.rows {
            let found = match &r[i] {
                Cell::Num(q) => Some((q.unit, false)),
                Cell::Range(_, u) => Some((*u, true)),
                _ => None,
            };
            if let Some((u, range)) = found {
                match units.iter_mut().find(|(v, _)| *v == u) {
                    Some(entry) => entry.1 |= range,
                    None => units.push((u, range)),
                }
            }
        }
        if units.is_empty() {
            out.push(Field {
                name: col.key.to_string(),
                column: i,
                unit: None,
                end: End::Central,
            });
        }
        for (u, range) in units {
            let base = name(col.key, u);
            let ends: &[(End, &str)] = if range {
                &[(End::Central, ""), (End::Low, "_low"), (End::High, "_high")]
            } else {
                &[(End::Central, "")]
            };
            for (end, suffix) in ends {
                out.push(Field {
                    name: format!("{base}{suffix}"),
                    column: i,
                    unit: Some(u),
                    end: *end,
                });
            }
        }
    }
    out
}

/// The value of `f` in `row`: a number, text, or nothing.
pub(super) enum Value<'a> {
    Number(f64),
    Text(&'a str),
    Nothing,
}

pub(super) fn value<'a>(f: &Field, row: &'a [Cell]) -> Value<'a> {
    match (&row[f.column], f.unit) {
        (Cell::Text(s), None) => Value::Text(s),
        (Cell::Num(q), Some(u)) if q.unit == u => Value::Number(q.value),
        (Cell::Range(s, u), Some(v)) if *u == v => Value::Number(match f.end {
            End::Central => s.central,
            End::Low => s.low,
            End::High => s.high,
        }),
        _ => Value::Nothing,
    }
}

pub fn csv(t: &Table) -> String {
    let fields = fields(t);
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let record = |w: &mut ::csv::Writer<Vec<u8>>, cells: Vec<String>| {
        w.write_record(&cells).expect("in-memory CSV");
    };
    record(&mut w, fields.iter().map(|f| f.name.clone()).collect());
    for r in &t.rows {
        let cells = fields
            .iter()
            .map(|f| match value(f, r) {
                Value::Number(v) => raw(v),
                Value::Text(s) => csv_safe(s),
                Value::Nothing => String::new(),
            })
            .collect();
        record(&mut w, cells);
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8 CSV")
}
