//! Where rows go: one small writer per format behind one trait, each writing as rows come
//! (nothing held but a buffer), raw numbers as the shortest decimal that reads back as the same
//! double, text cells CSV-safe in CSV and escaped in JSON.

use std::io::{self, BufWriter, Write};

use super::columns::Value;
use crate::text::csv_safe;

/// A table being written, one row at a time.
pub trait Sink {
    /// Writes one row: a value per column, in the columns' order.
    fn row(&mut self, values: &[Value]) -> io::Result<()>;
    /// Writes what is buffered and the file's end; the file is complete after it.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// CSV with a header row; empty cells for nothing. Rows are encoded here rather than through
/// the `csv` crate's writer: numbers never need quoting, so each is formatted straight into the
/// buffer (ryu and itoa, the shortest form that reads back as the same value), and each text
/// column keeps its last text encoded (formula-safe, quoted where it holds a comma, quote or
/// line break) while it repeats, as a run's id does on each of its samples. The samples table
/// is millions of rows; this is where an export's writing time goes.
pub struct Csv<W: Write> {
    out: BufWriter<W>,
    /// Each column's last text and its encoded form.
    last: Vec<(String, Vec<u8>)>,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W, names: &[&str]) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 16, out);
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            out.write_all(&encode(name))?;
        }
        out.write_all(b"\n")?;
        Ok(Csv {
            out,
            last: vec![Default::default(); names.len()],
        })
    }
}

/// A text cell as CSV writes it: formula-safe, then quoted (quotes doubled) where it holds a
/// comma, a quote or a line break.
fn encode(text: &str) -> Vec<u8> {
    let safe = csv_safe(text);
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\"")).into_bytes()
    } else {
        safe.into_bytes()
    }
}

impl<W: Write> Sink for Csv<W> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        let out = &mut self.out;
        for (i, (v, last)) in values.iter().zip(&mut self.last).enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            match v {
                Value::Text(s) => {
                    if last.0 != *s {
                        *last = (s.to_string(), encode(s));
                    }
                    out.write_all(&last.1)?;
                }
                Value::Int(x) => out.write_all(itoa::Buffer::new().format(*x).as_bytes())?,
                Value::Real(x) => out.write_all(ryu::Buffer::new().format(*x).as_bytes())?,
                Value::Bool(b) => out.write_all(if *b { b"true" } else { b"false" })?,
                Value::Null => {}
            }
        }
        out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

/// JSON Lines: one object per row, keys the column names, null for nothing.
pub struct Jsonl<W: Write> {
    out: BufWriter<W>,
    /// Each column's key, quoted, with its colon: `"median_s":`.
    keys: Vec<String>,
}

impl<W: Write> Jsonl<W> {
    pub fn new(out: W, names: &[&str]) -> Self {
        Jsonl {
            out: BufWriter::with_capacity(1 << 16, out),
            keys: names
                .iter()
                .map(|n| format!("{}:", serde_json::Value::from(*n)))
                .collect(),
        }
    }
}

impl<W: Write> Sink for Jsonl<W> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        let out = &mut self.out;
        for (i, (key, v)) in self.keys.iter().zip(values).enumerate() {
            out.write_all(if i == 0 { b"{" } else { b"," })?;
            out.write_all(key.as_bytes())?;
            match v {
                Value::Text(s) => serde_json::to_writer(&mut *out, s.as_ref())?,
                Value::Int(x) => write!(out, "{x}")?,
                Value::Real(x) => serde_json::to_writer(&mut *out, x)?,
                Value::Bool(b) => write!(out, "{b}")?,
                Value::Null => out.write_all(b"null")?,
            }
        }
        out.write_all(b"}\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn row() -> Vec<Value<'static>> {
        vec![
            Value::Text(Cow::Borrowed("=1+1")),
            Value::Real(-0.5),
            Value::Int(-3),
            Value::Null,
            Value::Bool(true),
            Value::Real(1e-7),
        ]
    }

    #[test]
    fn csv_quotes_formulas_and_keeps_numbers_raw() {
        let mut buf = Vec::new();
        let mut s: Box<dyn Sink> =
            Box::new(Csv::new(&mut buf, &["a", "b", "c", "d", "e", "f"]).unwrap());
        s.row(&row()).unwrap();
        s.finish().unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(text, "a,b,c,d,e,f\n'=1+1,-0.5,-3,,true,1e-7\n");
        // Text that would break the row is quoted, quotes doubled; it reads back whole.
        let mut buf = Vec::new();
        let mut s: Box<dyn Sink> = Box::new(Csv::new(&mut buf, &["t", "n"]).unwrap());
        for t in ["a,\"b\"\nc", "plain", "plain"] {
            s.row(&[Value::Text(Cow::Borrowed(t)), Value::Real(2.5)])
                .unwrap();
        }
        s.finish().unwrap();
        let mut read = csv::Reader::from_reader(buf.as_slice());
        let rows: Vec<Vec<String>> = read
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(
            rows,
            [["a,\"b\"\nc", "2.5"], ["plain", "2.5"], ["plain", "2.5"]]
        );
    }

    #[test]
    fn jsonl_escapes_text_and_writes_null() {
        let mut buf = Vec::new();
        let mut s: Box<dyn Sink> = Box::new(Jsonl::new(&mut buf, &["a", "b", "c", "d", "e", "f"]));
        let mut r = row();
        r[0] = Value::Text(Cow::Borrowed("\"q\"\n"));
        s.row(&r).unwrap();
        s.finish().unwrap();
        let line: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(
            line,
            serde_json::json!({"a": "\"q\"\n", "b": -0.5, "c": -3, "d": null, "e": true, "f": 1e-7})
        );
    }
}
