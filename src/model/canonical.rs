//! Canonical JSON, the text a result's content id hashes: object keys sorted, no whitespace,
//! integers as digits, every other number as the hex of its IEEE-754 bits (`0x3ff0000000000000`
//! for 1.0), strings escaped as serde_json does, the top-level `id` left out.
//!
//! Decimal forms are not unique across languages (two 17-digit strings can name the same
//! double, and Python and Rust break that tie differently); the bits are, so files written
//! elsewhere (benches/vendor_reference.py, in Python) carry ids chipbench can check. The text is
//! written straight from serde (no JSON tree, which makes validating a dataset several times
//! faster); a reference implementation over `serde_json::Value` in the tests pins it down.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Writes the canonical form of `value`, leaving out the top-level key `skip`: the reference
/// definition, which the serializer below must match.
#[cfg(test)]
fn canonical(value: &Value, skip: Option<&str>, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().filter(|k| Some(k.as_str()) != skip).collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                canonical(&map[k], None, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, None, out);
            }
            out.push(']');
        }
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => push_display(out, u),
            (_, Some(i), _) => push_display(out, i),
            (_, _, Some(f)) => float(f, out),
            _ => push_display(out, n),
        },
        Value::String(s) => json_string(s, out),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
    }
}

fn push_display(out: &mut String, v: impl fmt::Display) {
    let _ = write!(out, "{v}");
}

fn float(f: f64, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bits = f.to_bits();
    let mut buf = *b"0x0000000000000000";
    for (i, b) in buf[2..].iter_mut().enumerate() {
        *b = HEX[((bits >> ((15 - i) * 4)) & 0xf) as usize];
    }
    out.push_str(std::str::from_utf8(&buf).expect("ASCII"));
}

/// A JSON string literal, escaped as serde_json (and Python's json with ensure_ascii off) do.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    if !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => push_display(out, format_args!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 (hex) of the canonical form of `value` without its `id`.
#[cfg(test)]
fn id_of(value: &Value) -> String {
    let mut text = String::with_capacity(64 << 10);
    canonical(value, Some("id"), &mut text);
    sha256_hex(&text)
}

/// Canonical JSON of any serialisable value, written straight from serde (no `Value` tree):
/// the same text as [`canonical`] on `serde_json::to_value(x)`, with the top-level `id` left out.
pub(crate) fn id_of_serialize<T: serde::Serialize>(x: &T) -> Result<String, String> {
    let mut out = String::with_capacity(64 << 10);
    x.serialize(Canon {
        out: &mut out,
        top: true,
    })
    .map_err(|e| e.0)?;
    Ok(sha256_hex(&out))
}

#[derive(Debug)]
struct SerError(String);

impl fmt::Display for SerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SerError {}

impl serde::ser::Error for SerError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        SerError(msg.to_string())
    }
}

struct Canon<'a> {
    out: &'a mut String,
    /// The root object: its `id` is left out.
    top: bool,
}

/// An object being written: its members' values go straight into `out` after `start`, and
/// are put in key order when the object closes.
struct Members<'a> {
    out: &'a mut String,
    top: bool,
    start: usize,
    /// (key, range of its value in `out`)
    members: Vec<(Cow<'static, str>, std::ops::Range<usize>)>,
    key: Option<String>,
}

struct Elements<'a> {
    out: &'a mut String,
    first: bool,
}

fn child<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, SerError> {
    let mut s = String::new();
    v.serialize(Canon {
        out: &mut s,
        top: false,
    })?;
    Ok(s)
}

impl<'a> serde::Serializer for Canon<'a> {
    type Ok = ();
    type Error = SerError;
    type SerializeSeq = Elements<'a>;
    type SerializeTuple = Elements<'a>;
    type SerializeTupleStruct = Elements<'a>;
    type SerializeTupleVariant = serde::ser::Impossible<(), SerError>;
    type SerializeMap = Members<'a>;
    type SerializeStruct = Members<'a>;
    type SerializeStructVariant = serde::ser::Impossible<(), SerError>;

    fn serialize_bool(self, v: bool) -> Result<(), SerError> {
        self.out.push_str(if v { "true" } else { "false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), SerError> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), SerError> {
        push_display(self.out, v);
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), SerError> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), SerError> {
        push_display(self.out, v);
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), SerError> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), SerError> {
        // As serde_json: non-finite numbers become null.
        if v.is_finite() {
            float(v, self.out);
        } else {
            self.out.push_str("null");
        }
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), SerError> {
        json_string(v.encode_utf8(&mut [0; 4]), self.out);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), SerError> {
        json_string(v, self.out);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerError> {
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            serde::ser::SerializeSeq::serialize_element(&mut seq, b)?;
        }
        serde::ser::SerializeSeq::end(seq)
    }
    fn serialize_none(self) -> Result<(), SerError> {
        self.out.push_str("null");
        Ok(())
    }
    fn serialize_some<T: serde::Serialize + ?Sized>(self, v: &T) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), SerError> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), SerError> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), SerError> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        self.out.push('{');
        json_string(variant, self.out);
        self.out.push(':');
        self.out.push_str(&child(v)?);
        self.out.push('}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Elements<'a>, SerError> {
        self.out.push('[');
        Ok(Elements {
            out: self.out,
            first: true,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Elements<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Elements<'a>, SerError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, SerError> {
        Err(SerError(
            "tuple variants are not part of the result schema".into(),
        ))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Members<'a>, SerError> {
        let start = self.out.len();
        Ok(Members {
            out: self.out,
            top: self.top,
            start,
            members: Vec::new(),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Members<'a>, SerError> {
        let mut m = self.serialize_map(Some(len))?;
        m.members.reserve(len);
        Ok(m)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, SerError> {
        Err(SerError(
            "struct variants are not part of the result schema".into(),
        ))
    }
}

impl Elements<'_> {
    fn element<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        v.serialize(Canon {
            out: self.out,
            top: false,
        })
    }
    fn close(self) -> Result<(), SerError> {
        self.out.push(']');
        Ok(())
    }
}

impl serde::ser::SerializeSeq for Elements<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.element(v)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeTuple for Elements<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_element<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.element(v)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeTupleStruct for Elements<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.element(v)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl Members<'_> {
    fn member<T: serde::Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        v: &T,
    ) -> Result<(), SerError> {
        if !(self.top && key == "id") {
            let from = self.out.len();
            v.serialize(Canon {
                out: self.out,
                top: false,
            })?;
            let to = self.out.len();
            self.members.push((key, from..to));
        }
        Ok(())
    }
    fn close(mut self) -> Result<(), SerError> {
        self.members.sort_by(|a, b| a.0.cmp(&b.0));
        let values = self.out.split_off(self.start);
        self.out.push('{');
        for (i, (k, range)) in self.members.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            json_string(k, self.out);
            self.out.push(':');
            self.out
                .push_str(&values[range.start - self.start..range.end - self.start]);
        }
        self.out.push('}');
        Ok(())
    }
}

impl serde::ser::SerializeMap for Members<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_key<T: serde::Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        // Keys are strings in this schema; serde_json writes other keys as strings too.
        let k = serde_json::to_value(key).map_err(|e| SerError(e.to_string()))?;
        self.key = Some(match k {
            Value::String(s) => s,
            other => other.to_string(),
        });
        Ok(())
    }
    fn serialize_value<T: serde::Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError("value without a key".into()))?;
        self.member(Cow::Owned(key), v)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

impl serde::ser::SerializeStruct for Members<'_> {
    type Ok = ();
    type Error = SerError;
    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        self.member(Cow::Borrowed(key), v)
    }
    fn end(self) -> Result<(), SerError> {
        self.close()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(v: &Value, skip: Option<&str>) -> String {
        let mut out = String::new();
        canonical(v, skip, &mut out);
        out
    }

    #[test]
    fn keys_sorted_at_every_level_and_id_skipped_at_the_top() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"z":[{"y":1,"x":2}],"c":"s"}}"#).unwrap();
        assert_eq!(
            canon(&v, None),
            r#"{"a":{"c":"s","z":[{"x":2,"y":1}]},"b":1}"#
        );
        assert_eq!(
            canon(&v, Some("b")),
            r#"{"a":{"c":"s","z":[{"x":2,"y":1}]}}"#
        );
        let s = serde_json::json!("q\"\\\n\u{1}é");
        assert_eq!(canon(&s, None), serde_json::to_string(&s).unwrap());
    }

    #[test]
    fn numbers_are_language_neutral() {
        // 21542495.727539062 has two shortest decimal forms; its bits have one.
        let v = serde_json::json!([1.0, -2.5, 21542495.727539062, 7, -3]);
        assert_eq!(
            canon(&v, None),
            "[0x3ff0000000000000,0xc004000000000000,0x41748b65fba40000,7,-3]"
        );
    }

    #[test]
    fn serializer_and_value_give_the_same_text() {
        let v = serde_json::json!({
            "id": "x", "b": [1, 2.5, -3, 1e3, -0.0, 18446744073709551615u64],
            "a": null, "s": {"z": "\u{e9}\"q", "a": [true, false]}
        });
        assert_eq!(id_of_serialize(&v).unwrap(), id_of(&v));
    }
}
