//! Human-readable views of results: the terminal table `run` prints, and `chipbench report` in
//! table, Markdown, CSV, JSON and self-contained HTML (with SVG plots), one module per concern.

pub mod formats;
pub mod html;
pub mod model;
pub mod plots;
pub mod summary;
pub mod table;
