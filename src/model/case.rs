//! What a record measured, as one typed key: the workload, its shape and its precision (the
//! case, which two kernels or two runs can share), and the source and variant that measured
//! it. Standing, reports and `compare` pair records by these keys; shapes order by their
//! numbers, so m=16 comes before m=100.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::kinds::Precision;
use super::result::{Source, WorkloadRecord};

/// A problem size: named dimensions. Matrix dimensions read and sort as m, n, k; the rest
/// alphabetically.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Shape(pub BTreeMap<String, u64>);

impl Shape {
    /// The dimensions in reading order: m, n, k, then the rest alphabetically (the map's
    /// own order), without allocating: shapes key the maps every reader groups cases by.
    pub(crate) fn dims(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        const MATRIX: [&str; 3] = ["m", "n", "k"];
        let matrix = MATRIX.into_iter().filter_map(|d| self.0.get_key_value(d));
        let rest = self.0.iter().filter(|(k, _)| !MATRIX.contains(&k.as_str()));
        matrix.chain(rest).map(|(k, v)| (k.as_str(), *v))
    }
}

impl Ord for Shape {
    fn cmp(&self, other: &Self) -> Ordering {
        self.dims().cmp(other.dims())
    }
}

impl PartialOrd for Shape {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.dims().enumerate() {
            let gap = if i == 0 { "" } else { " " };
            write!(f, "{gap}{k}={v}")?;
        }
        Ok(())
    }
}

/// One case: what two kernels or two runs measure alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Case {
    pub workload: String,
    pub shape: Shape,
    /// Inputs and accumulator: an f16-accumulating kernel is not set against one that
    /// accumulates in f32.
    pub precision: Precision,
}

/// A case as one kernel of one source measured it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CaseKey {
    pub source: Source,
    pub variant: String,
    pub case: Case,
}

impl WorkloadRecord {
    pub fn case(&self) -> Case {
        Case {
            workload: self.workload.clone(),
            shape: Shape(self.shape.clone()),
            precision: self.precision,
        }
    }

    /// This record's key in a file of `source`.
    pub fn key(&self, source: Source) -> CaseKey {
        CaseKey {
            source,
            variant: self.variant.clone(),
            case: self.case(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[(&str, u64)]) -> Shape {
        Shape(dims.iter().map(|(k, v)| (k.to_string(), *v)).collect())
    }

    #[test]
    fn shapes_read_m_n_k_and_sort_by_number() {
        let a = shape(&[("k", 8192), ("m", 16), ("n", 8192)]);
        let b = shape(&[("k", 8192), ("m", 100), ("n", 8192)]);
        let c = shape(&[("k", 8192), ("m", 2048), ("n", 8192)]);
        assert_eq!(a.to_string(), "m=16 n=8192 k=8192");
        let mut v = vec![c.clone(), a.clone(), b.clone()];
        v.sort();
        assert_eq!(v, vec![a, b, c]);
        assert_eq!(shape(&[("s", 4), ("b", 1)]).to_string(), "b=1 s=4");
    }
}
