//! JSON of a table (an array of objects keyed as the CSV header, raw numbers, null for empty
//! cells), or of a document without one (its sentences and tables, figures for people).

use serde_json::{Map, Value as Json, json};

use super::csv::{Value, fields, value};
use super::{Block, Document, Table};

fn rows(t: &Table) -> Json {
    let fields = fields(t);
    let rows = t
        .rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            for f in &fields {
                let v = match value(f, r) {
                    Value::Number(v) => json!(v),
                    Value::Text(s) => json!(s),
                    Value::Nothing => Json::Null,
                };
                o.insert(f.name.clone(), v);
            }
            Json::Object(o)
        })
        .collect();
    Json::Array(rows)
}

pub fn json(t: &Table) -> String {
    serde_json::to_string_pretty(&rows(t)).expect("JSON of values") + "\n"
}

/// A document as JSON: its sentences in order and its tables as rows.
pub fn document(doc: &Document) -> String {
    let mut lines = Vec::new();
    let mut tables = Vec::new();
    for b in &doc.blocks {
        match b {
            Block::Title(s) | Block::Heading(s) | Block::Subheading(s) | Block::Paragraph(s) => {
                lines.push(json!(s))
            }
            Block::Note(s) => lines.push(json!(s)),
            Block::List(items) => lines.extend(items.iter().map(|s| json!(s))),
            Block::Table(t) | Block::Details { table: t, .. } => tables.push(rows(t)),
            Block::Figure { .. } => {}
        }
    }
    serde_json::to_string_pretty(&json!({ "text": lines, "tables": tables }))
        .expect("JSON of values")
        + "\n"
}
