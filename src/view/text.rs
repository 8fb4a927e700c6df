//! A document as aligned text for a terminal: labels left, figures right, two spaces between
//! columns, each column's figures in one scale.

use super::{Block, Document, Table};

/// `rows` under `header`, each column as wide as its widest cell; `right` aligns a column to
/// the right.
pub(crate) fn aligned(header: &[String], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .zip(right)
            .map(|((c, &w), &r)| {
                if r {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header)];
    out.extend(rows.iter().map(|r| line(r)));
    out.join("\n") + "\n"
}

pub fn table(t: &Table) -> String {
    let (headers, rows, right) = t.human();
    aligned(&headers, &rows, &right)
}

pub fn text(doc: &Document) -> String {
    let mut out = String::new();
    for b in &doc.blocks {
        match b {
            Block::Title(s) | Block::Paragraph(s) | Block::Note(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Block::Heading(s) => {
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(s);
                out.push('\n');
            }
            Block::Subheading(s) => {
                out.push_str(&format!("{s}:\n"));
            }
            Block::List(items) => {
                for i in items {
                    out.push_str(&format!("  {i}\n"));
                }
            }
            Block::Table(t) => out.push_str(&table(t)),
            Block::Details { summary, table: t } => {
                out.push_str(&format!("{summary}:\n"));
                out.push_str(&table(t));
            }
            Block::Figure { .. } => {}
        }
    }
    out
}
