//! A document as one self-contained HTML page (inline CSS and SVG, no scripts, no network).
//! The page is a maud template, which escapes every value it interpolates, so text from result
//! files cannot become markup; only SVG charts (drawn and escaped by the report's chart builder) go in raw.

use maud::{DOCTYPE, Markup, PreEscaped, html as page};

use super::{Block, Document, Table};

/// The page style. Charts fill the column; on a narrow screen each keeps 700 px (its text near
/// the size it was drawn at) and scrolls sideways in its frame under a "scroll sideways" cue,
/// shown up to 732 px (that width plus the body's padding). Every sideways scroller, chart or
/// table, shades an edge while there is more to see past it (white covers that move with the
/// content hide each shade once its edge is reached); its transparent borders stand in for the
/// table's margin so the shade spans the table only. In the page a chart draws on the page's own
/// white, so the shade shows through it; header cells are tinted, not opaque, for the same reason.
/// Phones get smaller headings: a sweep's title is a whole sentence.
pub(crate) const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\
h1{font-size:1.7em;line-height:1.2}\
table{border-collapse:collapse;font-size:13px;margin:0;max-width:100%}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}\
th{background:rgba(0,0,0,.047)}td.n{text-align:right;white-space:nowrap}figure{margin:1em 0}.note{color:#555;font-size:13px}\
td{white-space:nowrap}th{overflow-wrap:normal}svg{display:block;width:100%;min-width:700px;height:auto}.scroll>svg>rect:first-child{fill:none}\
.scroll{overflow-x:auto;background:linear-gradient(to right,#fff 40%,rgba(255,255,255,0)) left/28px 100% no-repeat local,\
linear-gradient(to left,#fff 40%,rgba(255,255,255,0)) right/28px 100% no-repeat local,\
linear-gradient(to right,rgba(0,0,0,.2),rgba(0,0,0,0)) left/12px 100% no-repeat,\
linear-gradient(to left,rgba(0,0,0,.2),rgba(0,0,0,0)) right/12px 100% no-repeat;\
background-clip:padding-box;border:solid transparent;border-width:13px 0}figure>.scroll{border:0}\
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em;background:rgba(0,0,0,.06);padding:0 .2em;border-radius:3px}\
.headline{background:#f6f8fa;border-left:4px solid #0072b2;padding:.3em 1em}.headline p{margin:.4em 0}\
@media (max-width:732px){figure:has(svg)::before{content:\"scroll sideways \u{2192}\";display:block;text-align:right;font-size:12px;color:#666;margin-bottom:2px}}\
@media (max-width:600px){body{margin:1em auto}h1{font-size:1.25em}h2{font-size:1.15em}h3{font-size:1em}\
.headline{padding:.2em .7em}}";

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

/// `s` as escaped text, with each Markdown code span (`like this`) set as `<code>`. A backtick
/// without a partner, or an empty pair, stays as written.
fn inline(s: &str) -> Markup {
    let parts: Vec<&str> = s.split('`').collect();
    page! {
        @for (i, part) in parts.iter().enumerate() {
            @if i % 2 == 0 {
                (part)
            } @else if i + 1 < parts.len() && !part.is_empty() {
                code { (part) }
            } @else if i + 1 < parts.len() {
                "``"
            } @else {
                "`" (part)
            }
        }
    }
}

fn block(b: &Block) -> Markup {
    page! {
        @match b {
            Block::Title(s) => h1 { (inline(s)) },
            Block::Heading(s) => h2 { (inline(s)) },
            Block::Subheading(s) => h3 { (inline(s)) },
            Block::Paragraph(s) => p { (inline(s)) },
            Block::Note(s) => p.note { (inline(s)) },
            Block::List(items) => div.headline { @for i in items { p { (inline(i)) } } },
            Block::Table(t) => (table(t)),
            Block::Details { summary, table: t } => {
                details { summary { (inline(summary)) } (table(t)) }
            },
            Block::Figure { class, svg } => figure class=(class) {
                @match svg {
                    Ok(svg) => div.scroll { (PreEscaped(svg)) },
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

#[cfg(test)]
mod tests {
    use super::inline;

    #[test]
    fn code_spans_become_code_and_stay_escaped() {
        let html = |s: &str| inline(s).into_string();
        assert_eq!(
            html("compare only with `chipbench compare`, then `<script>x</script>`"),
            "compare only with <code>chipbench compare</code>, then \
             <code>&lt;script&gt;x&lt;/script&gt;</code>"
        );
        assert_eq!(html("<b>`a` & `b"), "&lt;b&gt;<code>a</code> &amp; `b");
        assert_eq!(html("no code `` here"), "no code `` here");
        assert_eq!(html("plain"), "plain");
    }
}
