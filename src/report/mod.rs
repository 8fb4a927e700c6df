//! Human-readable views of results. Today: the terminal table `run` prints.

pub mod table;
