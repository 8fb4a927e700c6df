//! Calendar months (YYYY-MM): the date a scenario is set at, a rule's date, the month a chip
//! went on sale. A month is as fine as the public record of chip launches and rules gets.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::policy::Chip;

/// One calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: u16,
    month: u8,
}

impl Month {
    /// December of `year`: when a chip known only by its year counts as on sale.
    pub fn december(year: u32) -> Option<Month> {
        Some(Month {
            year: u16::try_from(year).ok()?,
            month: 12,
        })
    }
}

impl FromStr for Month {
    type Err = String;

    /// `YYYY-MM`, or the month of a `YYYY-MM-DD` date.
    fn from_str(s: &str) -> Result<Month, String> {
        let bad = || format!("{s:?} is not a month: give YYYY-MM, e.g. 2023-10");
        let t = s.trim();
        let head = t
            .get(..7)
            .filter(|_| t.len() == 7 || t.len() == 10)
            .ok_or_else(bad)?;
        let (y, m) = head.split_once('-').ok_or_else(bad)?;
        let all_digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if y.len() != 4 || m.len() != 2 || !all_digits(y) || !all_digits(m) {
            return Err(bad());
        }
        let (year, month): (u16, u8) =
            (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&month) || !(1990..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// When `chip` went on sale: its `released` month, else December of its `year` (the second
/// part says the month was inferred), else unknown.
pub fn on_sale(chip: &Chip) -> Result<Option<(Month, bool)>, String> {
    if let Some(r) = &chip.released {
        let m: Month = r
            .month
            .parse()
            .map_err(|e| format!("{}: released.month: {e}", chip.id))?;
        return Ok(Some((m, false)));
    }
    Ok(chip.year.and_then(Month::december).map(|m| (m, true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_order_and_print() {
        let a: Month = "2022-10".parse().unwrap();
        let b: Month = "2023-03-21".parse().unwrap();
        assert!(a < b);
        assert_eq!(b.to_string(), "2023-03");
        assert_eq!(Month::december(2024).unwrap().to_string(), "2024-12");
        for bad in [
            "2023",
            "2023-13",
            "23-10",
            "2023-1",
            "2023-10-1",
            "abcd-ef",
            "",
            "1800-01",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
    }
}
