//! A document as one self-contained HTML page (inline CSS and SVG, no scripts, no network).
//! The page is a maud template, which escapes every value it interpolates, so text from result
//! files cannot become markup; only SVG charts (drawn and escaped by the report's chart builder) go in raw.

use maud::{DOCTYPE, Markup, PreEscaped, html as page};

use super::{Block, Document, Table};

/// The page style. Charts fill the column, but keep at least 600 px on a phone and scroll
/// sideways there, so that their text stays legible.
pub(crate) const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
table{border-collapse:collapse;font-size:13px;margin:1em 0;max-width:100%}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}\
th{background:#f3f3f3}td.n{text-align:right;white-space:nowrap}figure{margin:1em 0;overflow-x:auto}.note{color:#555;font-size:13px}\
td{white-space:nowrap}th{overflow-wrap:normal}svg{width:100%;min-width:600px;height:auto}.scroll{overflow-x:auto}\
.headline{background:#f6f8fa;border-left:4px solid #0072b2;padding:.3em 1em}.headline p{margin:.4em 0}";

fn table(t: &Table) -> Markup {
    let (headers, rows, right) = t.human();
    page! {
        div.scroll {
            table {
                tr { @for h in &headers { th { (h) } } }
                @for r in &rows {
                    tr {
                        @for (cell, n) in r.iter().zip(&right) {
                            @if *n { td.n { (cell) } } @else { td { (cell) } }
                        }
                    }
                }
            }
        }
    }
}

fn block(b: &Block) -> Markup {
    page! {
        @match b {
            Block::Title(s) => h1 { (s) },
            Block::Heading(s) => h2 { (s) },
            Block::Subheading(s) => h3 { (s) },
            Block::Paragraph(s) => p { (s) },
            Block::Note(s) => p.note { (s) },
            Block::List(items) => div.headline { @for i in items { p { (i) } } },
            Block::Table(t) => (table(t)),
            Block::Details { summary, table: t } => details { summary { (summary) } (table(t)) },
            Block::Figure { class, svg } => figure class=(class) {
                @match svg {
                    Ok(svg) => (PreEscaped(svg)),
                    Err(why) => p { "chart not drawn: " (why) },
                }
            },
        }
    }
}

/// The page for `doc`, titled `title`.
pub fn html(doc: &Document, title: &str) -> String {
    let markup = page! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                @for b in &doc.blocks { (block(b)) }
            }
        }
    };
    markup.into_string() + "\n"
}
