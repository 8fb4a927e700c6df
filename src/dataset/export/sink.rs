//! Where rows go: one small writer per format behind one trait, each writing as rows come
//! (nothing held but a buffer), raw numbers as Rust prints them (the shortest decimal that
//! reads back as the same double), text cells CSV-safe in CSV and escaped in JSON.

use std::fmt::Write as _;
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

/// CSV with a header row; empty cells for nothing.
pub struct Csv<W: Write> {
    out: csv::Writer<W>,
    number: String,
    /// Each column's last text and its safe form, reused while the text repeats (a run's id
    /// on each of its samples).
    last: Vec<(String, String)>,
}

impl<W: Write> Csv<W> {
    pub fn new(out: W, names: &[&str]) -> io::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(names)?;
        Ok(Csv {
            out,
            number: String::new(),
            last: vec![Default::default(); names.len()],
        })
    }
}

impl<W: Write> Sink for Csv<W> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        for (v, last) in values.iter().zip(&mut self.last) {
            self.number.clear();
            match v {
                Value::Text(s) => {
                    if last.0 != *s {
                        *last = (s.to_string(), csv_safe(s));
                    }
                    self.out.write_field(&last.1)?;
                    continue;
                }
                Value::Int(x) => write!(self.number, "{x}").expect("to a String"),
                Value::Real(x) => write!(self.number, "{x}").expect("to a String"),
                Value::Bool(b) => self.number.push_str(if *b { "true" } else { "false" }),
                Value::Null => {}
            }
            self.out.write_field(&self.number)?;
        }
        self.out.write_record(None::<&[u8]>)?;
        Ok(())
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
        assert_eq!(text, "a,b,c,d,e,f\n'=1+1,-0.5,-3,,true,0.0000001\n");
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
