//! Text chipbench writes into documents it does not control the layout of: Markdown cells and
//! CSV cells a spreadsheet opens. A leaf module, so that the dataset index, the reports and
//! `compare` escape the same way.

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A cell that a spreadsheet would not run as a formula: one starting with `=`, `+`, `-`, `@`
/// (or a tab or carriage return) gets a leading single quote.
pub(crate) fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_safe("=1+1"), "'=1+1");
        assert_eq!(csv_safe("+x"), "'+x");
        assert_eq!(csv_safe("-x"), "'-x");
        assert_eq!(csv_safe("@x"), "'@x");
        assert_eq!(csv_safe("matmul"), "matmul");
    }

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\n<c>"), "a\\|b &lt;c&gt;");
        assert_eq!(md_cell("x\\"), "x\\\\");
    }
}
