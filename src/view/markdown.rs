//! A document as Markdown: headings, sentences, lists and pipe tables, every cell escaped.

use super::{Block, Document, Table};
use crate::text::md_cell;

fn table(t: &Table) -> String {
    let (headers, rows, right) = t.human();
    let line = |cells: Vec<String>| {
        format!(
            "| {} |\n",
            cells
                .iter()
                .map(|c| md_cell(c))
                .collect::<Vec<_>>()
                .join(" | ")
        )
    };
    let mut out = line(headers);
    out.push_str(&format!(
        "|{}\n",
        right
            .iter()
            .map(|r| if *r { " ---: |" } else { " --- |" })
            .collect::<String>()
    ));
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

pub fn markdown(doc: &Document) -> String {
    let mut parts: Vec<String> = Vec::new();
    for b in &doc.blocks {
        parts.push(match b {
            Block::Title(s) => format!("# {}\n", md_cell(s)),
            Block::Heading(s) => format!("## {}\n", md_cell(s)),
            Block::Subheading(s) => format!("### {}\n", md_cell(s)),
            Block::Paragraph(s) | Block::Note(s) => format!("{}\n", md_cell(s)),
            Block::List(items) => items
                .iter()
                .map(|i| format!("- {}\n", md_cell(i)))
                .collect(),
            Block::Table(t) => table(t),
            Block::Details { summary, table: t } => {
                format!("### {}\n\n{}", md_cell(summary), table(t))
            }
            Block::Figure { .. } => continue,
        });
    }
    parts.join("\n")
}
