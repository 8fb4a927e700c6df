//! Text chipbench writes into documents it does not control the layout of: Markdown cells.
//! A leaf module, so that the dataset index and the reports escape the same way.

/// Escapes text for a Markdown table cell.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(md_cell("a|b\n<c>"), "a\\|b &lt;c&gt;");
        assert_eq!(md_cell("x\\"), "x\\\\");
    }
}
