//! The HTML report: one self-contained file (inline CSS and SVG, no scripts, no network), every
//! piece of text from result files escaped.

use super::formats::{of_copy, summary_lines};
use super::model::Report;
use super::plots;
use super::table::duration;
use crate::policy::Database;

/// Escapes text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}\
th{background:#f3f3f3}td.n{text-align:right}figure{margin:1em 0}.note{color:#555;font-size:13px}";

pub fn render(db: &Database, report: &Report) -> String {
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>chipbench report</title>\
         <style>{STYLE}</style></head><body>\n<h1>chipbench report</h1>\n<p class=\"note\">Measured \
         throughput of WGSL kernels (checked against CPU references in the same run), beside datasheet \
         peaks and vendor libraries measured on the same machine. Export-control figures are \
         computations from public datasheets, not official determinations.</p>\n"
    );
    for d in &report.devices {
        h.push_str(&format!(
            "<section class=\"device\"><h2>{}</h2>\n<p>Chip: {}. Runs: {}.{}</p>\n",
            esc(&d.device),
            esc(d
                .chip_name
                .as_deref()
                .unwrap_or("no entry in the chip database")),
            d.runs,
            if d.contributors.is_empty() {
                String::new()
            } else {
                format!(" Contributed by: {}.", esc(&d.contributors.join(", ")))
            }
        ));
        h.push_str("<table><tr><th>source</th><th>workload</th><th>variant</th><th>shape</th><th>median</th>\
                    <th>spread (min..max, cv)</th><th>throughput</th><th>of datasheet</th><th>of copy</th><th>vs vendor</th></tr>\n");
        for r in &d.rows {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}..{}, {:.1}%</td>\
                 <td class=\"n\">{:.2} {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                esc(&r.source),
                esc(&r.workload),
                esc(&r.variant),
                esc(&r.shape),
                duration(r.median_ns),
                duration(r.min_ns),
                duration(r.max_ns),
                r.cv * 100.0,
                r.value,
                r.unit,
                r.utilization.map_or("-".into(), |u| format!("{:.1}%", u * 100.0)),
                of_copy(r),
                match (&r.vendor_variant, r.vendor_ratio) {
                    (Some(v), Some(x)) => format!("{x:.2}x {}", esc(v)),
                    _ => "-".into(),
                }
            ));
        }
        h.push_str("</table>\n");
        for line in summary_lines(d) {
            h.push_str(&format!("<p>{}</p>\n", esc(&line)));
        }
        h.push_str(&format!(
            "<figure class=\"roofline\">{}</figure>\n",
            plots::roofline(d)
        ));
        if !d.cost.is_empty() {
            h.push_str(&format!(
                "<figure class=\"cost\">{}</figure>\n",
                plots::cost_chart(d)
            ));
        }
        h.push_str("</section>\n");
    }
    h.push_str(&format!(
        "<section><h2>Export-control plane</h2><figure class=\"plane\">{}</figure>\
         <p class=\"note\">Chips without a published die area cannot be placed on this plane.</p></section>\n",
        plots::tpp_plane(db, &report.devices)
    ));
    if !report.skipped.is_empty() {
        h.push_str("<section><h2>Files left out</h2><ul>");
        for (f, why) in &report.skipped {
            h.push_str(&format!("<li>{}: {}</li>", esc(f), esc(why)));
        }
        h.push_str("</ul></section>\n");
    }
    h.push_str("</body></html>\n");
    h
}
