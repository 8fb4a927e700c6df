//! Human-readable views of results: the terminal table `run` prints, and `chipbench report`
//! (its model, its document for every format, the headline and the SVG plots), one module per
//! concern.

pub mod model;
pub mod plots;
pub mod summary;

pub mod table;
pub mod view;
