//! Pure-Rust reader of the scalars in TensorBoard event files.
//!
//! An event file is a sequence of TFRecords:
//! `u64 length (LE) | u32 masked CRC32C of the length bytes | data | u32 masked CRC32C of data`,
//! where each `data` is a serialized `tensorflow.Event` protobuf. Only the fields needed for scalars
//! are decoded (field numbers from tensorflow/core/util/event.proto and framework/summary.proto):
//!
//! - `Event`: `int64 step = 2`, `Summary summary = 5`
//! - `Summary`: `repeated Value value = 1`
//! - `Summary.Value`: `string tag = 1`, `float simple_value = 2`
//!
//! Values without `simple_value` (histograms, images, TF2 tensor-encoded scalars) are skipped.

use std::fs;
use std::io;
use std::path::Path;

/// One scalar read from an event file: (tag, step, value).
pub type EventScalar = (String, i64, f32);

/// Reads the scalars of every event file (a file whose name contains `tfevents`) directly in
/// `dir`, files in name order (that is, creation time), records in file order.
///
/// Both CRCs of every record are checked: a mismatch is an [`io::ErrorKind::InvalidData`] error.
/// An incomplete record at the end of a file (a writer still running, or killed) is ignored, as
/// TensorBoard does.
pub fn read_scalars(dir: &Path) -> io::Result<Vec<EventScalar>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().contains("tfevents") && entry.file_type()?.is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let data = fs::read(&path)?;
        let bad = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        for record in records(&data).map_err(bad)? {
            event_scalars(record, &mut out).map_err(bad)?;
        }
    }
    Ok(out)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// The masked CRC32C of TFRecord framing.
fn masked_crc32c(data: &[u8]) -> u32 {
    crc32c::crc32c(data).rotate_right(15).wrapping_add(0xa282_ead8)
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Splits a TFRecord file into its records' data, checking both CRCs.
fn records(file: &[u8]) -> io::Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    while file.len() - pos >= 12 {
        let len_bytes = &file[pos..pos + 8];
        if masked_crc32c(len_bytes) != le_u32(&file[pos + 8..pos + 12]) {
            return Err(invalid(format!("record at byte {pos}: length CRC mismatch")));
        }
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let start = pos + 12;
        let end = match usize::try_from(len).ok().and_then(|l| start.checked_add(l)) {
            Some(end) if end.checked_add(4).is_some_and(|e| e <= file.len()) => end,
            _ => break, // incomplete last record
        };
        let data = &file[start..end];
        if masked_crc32c(data) != le_u32(&file[end..end + 4]) {
            return Err(invalid(format!("record at byte {pos}: data CRC mismatch")));
        }
        out.push(data);
        pos = end + 4;
    }
    Ok(out)
}

/// A protobuf field value, by wire type.
enum Field<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Iterates over the (field number, value) pairs of one protobuf message.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Fields { buf, pos: 0 }
    }

    fn varint(&mut self) -> io::Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let &b = self.buf.get(self.pos).ok_or_else(|| invalid("truncated varint"))?;
            self.pos += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid("varint longer than 10 bytes"))
    }

    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| invalid("truncated field"))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn next_field(&mut self) -> io::Result<Option<(u64, Field<'a>)>> {
        if self.pos == self.buf.len() {
            return Ok(None);
        }
        let key = self.varint()?;
        let value = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Field::Fixed64
            }
            2 => {
                let n = usize::try_from(self.varint()?).map_err(|_| invalid("field too long"))?;
                Field::Bytes(self.take(n)?)
            }
            5 => Field::Fixed32(le_u32(self.take(4)?)),
            w => return Err(invalid(format!("unsupported wire type {w}"))),
        };
        Ok(Some((key >> 3, value)))
    }
}

/// Appends the simple-value scalars of one serialized `Event` to `out`.
fn event_scalars(event: &[u8], out: &mut Vec<EventScalar>) -> io::Result<()> {
    let mut step = 0i64;
    let mut summaries = Vec::new();
    let mut fields = Fields::new(event);
    while let Some((number, value)) = fields.next_field()? {
        match (number, value) {
            (2, Field::Varint(v)) => step = v as i64, // int64: negative values are 10-byte varints
            (5, Field::Bytes(b)) => summaries.push(b),
            (2 | 5, _) => return Err(invalid("Event: unexpected wire type")),
            _ => {}
        }
    }
    for summary in summaries {
        let mut fields = Fields::new(summary);
        while let Some((number, value)) = fields.next_field()? {
            match (number, value) {
                (1, Field::Bytes(v)) => {
                    if let Some((tag, value)) = summary_value(v)? {
                        out.push((tag, step, value));
                    }
                }
                (1, _) => return Err(invalid("Summary: unexpected wire type")),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Decodes (tag, simple_value) from a serialized `Summary.Value`, if it has a simple value.
fn summary_value(value: &[u8]) -> io::Result<Option<(String, f32)>> {
    let (mut tag, mut simple) = (String::new(), None);
    let mut fields = Fields::new(value);
    while let Some((number, v)) = fields.next_field()? {
        match (number, v) {
            (1, Field::Bytes(b)) => {
                tag = String::from_utf8(b.to_vec()).map_err(|_| invalid("Summary.Value: tag is not UTF-8"))?
            }
            (2, Field::Fixed32(bits)) => simple = Some(f32::from_bits(bits)),
            (1 | 2, _) => return Err(invalid("Summary.Value: unexpected wire type")),
            _ => {}
        }
    }
    Ok(simple.map(|v| (tag, v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a varint.
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    fn bytes_field(number: u64, b: &[u8], out: &mut Vec<u8>) {
        varint(number << 3 | 2, out);
        varint(b.len() as u64, out);
        out.extend_from_slice(b);
    }

    fn event(step: i64, tag: &str, value: f32) -> Vec<u8> {
        let mut v = Vec::new();
        bytes_field(1, tag.as_bytes(), &mut v);
        varint(2 << 3 | 5, &mut v);
        v.extend_from_slice(&value.to_le_bytes());
        let mut summary = Vec::new();
        bytes_field(1, &v, &mut summary);
        let mut e = Vec::new();
        varint(1 << 3 | 1, &mut e); // wall_time: double
        e.extend_from_slice(&1.5f64.to_le_bytes());
        varint(2 << 3, &mut e);
        varint(step as u64, &mut e);
        bytes_field(5, &summary, &mut e);
        e
    }

    fn record(data: &[u8]) -> Vec<u8> {
        let len = (data.len() as u64).to_le_bytes();
        let mut r = len.to_vec();
        r.extend_from_slice(&masked_crc32c(&len).to_le_bytes());
        r.extend_from_slice(data);
        r.extend_from_slice(&masked_crc32c(data).to_le_bytes());
        r
    }

    #[test]
    fn masked_crc_matches_tensorflow() {
        // crc32c("123456789") = 0xE3069283 (the standard check value).
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        assert_eq!(masked_crc32c(b"123456789"), 0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8));
    }

    #[test]
    fn decodes_events_and_skips_incomplete_tail() {
        let mut file = record(&event(7, "loss/value", 0.25));
        file.extend(record(&event(-3, "a", -1.0)));
        let mut out = Vec::new();
        for r in records(&file).unwrap() {
            event_scalars(r, &mut out).unwrap();
        }
        assert_eq!(out, vec![("loss/value".to_string(), 7, 0.25), ("a".to_string(), -3, -1.0)]);
        // An incomplete last record is ignored.
        let whole = record(&event(8, "b", 2.0));
        for cut in 1..whole.len() {
            let mut f = file.clone();
            f.extend_from_slice(&whole[..cut]);
            assert_eq!(records(&f).unwrap().len(), 2, "cut at {cut}");
        }
    }

    #[test]
    fn detects_both_crc_mismatches() {
        let good = record(&event(1, "t", 1.0));
        let mut bad_len = good.clone();
        bad_len[8] ^= 1;
        let err = records(&bad_len).unwrap_err();
        assert!(err.to_string().contains("length CRC"), "{err}");
        let mut bad_data = good.clone();
        let n = bad_data.len();
        bad_data[n - 6] ^= 1;
        let err = records(&bad_data).unwrap_err();
        assert!(err.to_string().contains("data CRC"), "{err}");
    }

    #[test]
    fn malformed_protobuf_is_an_error_not_a_panic() {
        let e = event(1, "t", 1.0);
        for cut in 0..e.len() {
            let mut out = Vec::new();
            let _ = event_scalars(&e[..cut], &mut out);
        }
        assert!(event_scalars(&[0x80; 11], &mut Vec::new()).is_err());
    }
}
