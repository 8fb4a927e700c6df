//! Parquet through the Apache `parquet` crate's column writers (no Arrow, no compression codecs:
//! the crate without its default features builds in a fraction of the time). Rows are
//! gathered column by column into a row group of about a million values
//! ([`VALUES_PER_GROUP`]), which is written and dropped when full, so memory holds one row
//! group, never the table. Every column is
//! optional (a null is a missing value); text is UTF-8 `STRING`, counts `INT64`, figures
//! `DOUBLE`, flags `BOOLEAN`; repeated text (run ids, device names) is dictionary-encoded.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::{ColumnPath, Type};

use super::columns::{Kind, Value};
use super::sink::Sink;

/// Values per row group (rows times columns): large enough for good encoding and few groups,
/// small enough that a group stays in tens of megabytes, whatever the table's width.
const VALUES_PER_GROUP: usize = 1 << 20;

/// The key-value metadata entry that marks a file as a chipbench export (its value: the
/// table), so that a later export may replace it.
const MARK: &str = "chipbench.export";

/// Whether the file at `path` is a Parquet file this export wrote for `table`.
pub fn marked(path: &Path, table: &str) -> bool {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let Ok(reader) = crate::model::io::open_regular(path).map(SerializedFileReader::new) else {
        return false;
    };
    reader.is_ok_and(|r| {
        r.metadata()
            .file_metadata()
            .key_value_metadata()
            .is_some_and(|kv| {
                kv.iter()
                    .any(|e| e.key == MARK && e.value.as_deref() == Some(table))
            })
    })
}

/// One column's values of the row group being gathered.
enum Values {
    Text(Vec<ByteArray>),
    Int(Vec<i64>),
    Real(Vec<f64>),
    Bool(Vec<bool>),
}

struct Gathered {
    values: Values,
    /// 1 where the row has a value, 0 where it is null.
    defined: Vec<i16>,
    /// The last text written, reused (a reference count, no copy) when the next is the same.
    last: Option<ByteArray>,
}

/// A Parquet file being written.
pub struct Parquet<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    columns: Vec<Gathered>,
    rows: usize,
    rows_per_group: usize,
}

fn error(e: ParquetError) -> io::Error {
    io::Error::other(e.to_string())
}

impl<W: Write + Send> Parquet<W> {
    /// A Parquet file of the table `table` with these columns, marked as chipbench's.
    pub fn new(out: W, table: &str, columns: &[(&str, Kind)]) -> io::Result<Self> {
        let fields = columns
            .iter()
            .map(|&(name, kind)| {
                let (physical, logical) = match kind {
                    Kind::Text => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                    Kind::Int => (Physical::INT64, None),
                    Kind::Real => (Physical::DOUBLE, None),
                    Kind::Bool => (Physical::BOOLEAN, None),
                };
                Type::primitive_type_builder(name, physical)
                    .with_repetition(Repetition::OPTIONAL)
                    .with_logical_type(logical)
                    .build()
                    .map(Arc::new)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(error)?;
        let schema = Type::group_type_builder(table)
            .with_fields(fields)
            .build()
            .map_err(error)?;
        // Figures rarely repeat: a dictionary of them would be built only to be dropped.
        let properties = columns
            .iter()
            .filter(|(_, kind)| *kind == Kind::Real)
            .fold(WriterProperties::builder(), |b, (name, _)| {
                b.set_column_dictionary_enabled(ColumnPath::from(*name), false)
            })
            .set_created_by(format!("chipbench {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![KeyValue::new(MARK.into(), table.to_string())]))
            .build();
        let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(properties))
            .map_err(error)?;
        let columns: Vec<Gathered> = columns
            .iter()
            .map(|&(_, kind)| Gathered {
                values: match kind {
                    Kind::Text => Values::Text(Vec::new()),
                    Kind::Int => Values::Int(Vec::new()),
                    Kind::Real => Values::Real(Vec::new()),
                    Kind::Bool => Values::Bool(Vec::new()),
                },
                defined: Vec::new(),
                last: None,
            })
            .collect();
        Ok(Parquet {
            writer,
            rows: 0,
            rows_per_group: (VALUES_PER_GROUP / columns.len().max(1)).max(1024),
            columns,
        })
    }

    /// Writes the rows gathered as one row group and empties the buffers.
    fn flush(&mut self) -> io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let mut group = self.writer.next_row_group().map_err(error)?;
        for c in &mut self.columns {
            let mut w = group.next_column().map_err(error)?.ok_or_else(|| {
                io::Error::other("Parquet schema has fewer columns than the table")
            })?;
            let defined = Some(c.defined.as_slice());
            let written = match (w.untyped(), &mut c.values) {
                (ColumnWriter::ByteArrayColumnWriter(w), Values::Text(v)) => {
                    w.write_batch(v, defined, None)
                }
                (ColumnWriter::Int64ColumnWriter(w), Values::Int(v)) => {
                    w.write_batch(v, defined, None)
                }
                (ColumnWriter::DoubleColumnWriter(w), Values::Real(v)) => {
                    w.write_batch(v, defined, None)
                }
                (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => {
                    w.write_batch(v, defined, None)
                }
                _ => Err(ParquetError::General("a column of another type".into())),
            };
            written.map_err(error)?;
            w.close().map_err(error)?;
            c.defined.clear();
            match &mut c.values {
                Values::Text(v) => v.clear(),
                Values::Int(v) => v.clear(),
                Values::Real(v) => v.clear(),
                Values::Bool(v) => v.clear(),
            }
        }
        group.close().map_err(error)?;
        self.rows = 0;
        Ok(())
    }
}

impl Gathered {
    /// Adds one value; a value of another type than the column's is written as null.
    fn push(&mut self, v: &Value) {
        let defined = match (&mut self.values, v) {
            (Values::Text(out), Value::Text(s)) => {
                let reused = self.last.as_ref().filter(|l| l.data() == s.as_bytes());
                let bytes = reused
                    .cloned()
                    .unwrap_or_else(|| ByteArray::from(s.as_ref()));
                self.last = Some(bytes.clone());
                out.push(bytes);
                true
            }
            (Values::Int(out), Value::Int(x)) => {
                out.push(*x);
                true
            }
            (Values::Real(out), Value::Real(x)) => {
                out.push(*x);
                true
            }
            (Values::Bool(out), Value::Bool(b)) => {
                out.push(*b);
                true
            }
            _ => false,
        };
        self.defined.push(i16::from(defined));
    }
}

impl<W: Write + Send> Sink for Parquet<W> {
    fn row(&mut self, values: &[Value]) -> io::Result<()> {
        for (c, v) in self.columns.iter_mut().zip(values) {
            c.push(v);
        }
        self.rows += 1;
        if self.rows == self.rows_per_group {
            self.flush()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush()?;
        self.writer.into_inner().map_err(error)?.flush()
    }
}
