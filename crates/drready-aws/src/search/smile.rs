//! A reader of Smile, the binary JSON OpenSearch and Elasticsearch write their snapshot metadata in
//! (`snap-<uuid>.dat`), into `serde_json::Value`. It follows the Smile format specification of the
//! Jackson project (FasterXML/smile-format-specification, version 1.0.x): header `:)\n` and a flags
//! byte, back-references to shared names and values, zigzag VInts, 7-bit-encoded floats. Raw and
//! 7-bit binary and big numbers are read as null: snapshot metadata holds none that drready reads.

use serde_json::{Map, Number, Value};

/// Where and why a Smile document could not be read.
#[derive(Debug, PartialEq)]
pub struct SmileError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for SmileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Smile at byte {}: {}", self.offset, self.message)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    shared_names: Option<Vec<String>>,
    shared_values: Option<Vec<String>>,
}

/// Shared-string tables are reset when they reach this size.
const SHARED_MAX: usize = 1024;
/// Only strings of at most this many bytes are shared.
const SHARED_LEN: usize = 64;
/// Nesting deeper than this is refused (a malformed or hostile file).
const MAX_DEPTH: usize = 256;

/// Decode one Smile document.
pub fn decode(bytes: &[u8]) -> Result<Value, SmileError> {
    let Some(rest) = bytes.strip_prefix(b":)\n") else {
        return Err(SmileError {
            offset: 0,
            message: "no Smile header".into(),
        });
    };
    let flags = *rest.first().ok_or(SmileError {
        offset: 3,
        message: "the header ends early".into(),
    })?;
    let mut r = Reader {
        bytes,
        at: 4,
        shared_names: (flags & 0x01 != 0).then(Vec::new),
        shared_values: (flags & 0x02 != 0).then(Vec::new),
    };
    r.value(0)
}

impl Reader<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SmileError> {
        Err(SmileError {
            offset: self.at,
            message: message.into(),
        })
    }

    fn byte(&mut self) -> Result<u8, SmileError> {
        match self.bytes.get(self.at) {
            Some(b) => {
                self.at += 1;
                Ok(*b)
            }
            None => self.err("the document ends early"),
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], SmileError> {
        let end = self.at.checked_add(n).filter(|e| *e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => self.err("a string runs past the end"),
        }
    }

    fn text(&mut self, n: usize) -> Result<String, SmileError> {
        let at = self.at;
        let s = self.take(n)?;
        String::from_utf8(s.to_vec()).map_err(|_| SmileError {
            offset: at,
            message: "text is not UTF-8".into(),
        })
    }

    /// Text up to the end-of-string marker 0xFC.
    fn terminated(&mut self) -> Result<String, SmileError> {
        let start = self.at;
        let Some(len) = self.bytes[start..].iter().position(|b| *b == 0xFC) else {
            return self.err("a long string has no end marker");
        };
        let s = self.text(len)?;
        self.at += 1;
        Ok(s)
    }

    /// An unsigned VInt: 7 bits a byte, big-endian; the last byte has its high bit set and 6 bits.
    fn vint(&mut self) -> Result<u64, SmileError> {
        let mut v: u64 = 0;
        for _ in 0..11 {
            let b = self.byte()?;
            if b & 0x80 != 0 {
                return Ok((v << 6) | u64::from(b & 0x3F));
            }
            v = (v << 7) | u64::from(b);
        }
        self.err("a VInt is too long")
    }

    fn zigzag(v: u64) -> i64 {
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    /// `n` bytes of 7 bits each, as an integer (floats are written this way).
    fn seven_bit(&mut self, n: usize) -> Result<u64, SmileError> {
        let mut v: u64 = 0;
        for _ in 0..n {
            v = (v << 7) | u64::from(self.byte()? & 0x7F);
        }
        Ok(v)
    }

    fn remember(table: &mut Option<Vec<String>>, s: &str) {
        if let Some(t) = table {
            if s.len() <= SHARED_LEN {
                if t.len() >= SHARED_MAX {
                    t.clear();
                }
                t.push(s.to_string());
            }
        }
    }

    fn shared(&self, table: &Option<Vec<String>>, i: usize) -> Result<String, SmileError> {
        match table.as_ref().and_then(|t| t.get(i)) {
            Some(s) => Ok(s.clone()),
            None => self.err(format!(
                "a back-reference to shared string {i}, which does not exist"
            )),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, SmileError> {
        if depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        let b = self.byte()?;
        Ok(match b {
            0x01..=0x1F => Value::String(self.shared(&self.shared_values, usize::from(b - 1))?),
            0x20 => Value::String(String::new()),
            0x21 => Value::Null,
            0x22 => Value::Bool(false),
            0x23 => Value::Bool(true),
            0x24 | 0x25 => Value::Number(Self::zigzag(self.vint()?).into()),
            0x28 => {
                let bits = self.seven_bit(5)? as u32;
                Number::from_f64(f64::from(f32::from_bits(bits))).map_or(Value::Null, Value::Number)
            }
            0x29 => {
                let bits = self.seven_bit(10)?;
                Number::from_f64(f64::from_bits(bits)).map_or(Value::Null, Value::Number)
            }
            // Tiny and small ASCII, tiny and small Unicode.
            0x40..=0xBF => {
                let n = match b {
                    0x40..=0x5F => usize::from(b & 0x1F) + 1,
                    0x60..=0x7F => usize::from(b & 0x1F) + 33,
                    0x80..=0x9F => usize::from(b & 0x1F) + 2,
                    _ => usize::from(b & 0x1F) + 34,
                };
                let s = self.text(n)?;
                Self::remember(&mut self.shared_values, &s);
                Value::String(s)
            }
            0xC0..=0xDF => Value::Number(Self::zigzag(u64::from(b & 0x1F)).into()),
            0xE0 | 0xE4 => Value::String(self.terminated()?),
            0xEC..=0xEF => {
                let i = (usize::from(b & 0x03) << 8) | usize::from(self.byte()?);
                Value::String(self.shared(&self.shared_values, i)?)
            }
            0xF8 => {
                let mut items = Vec::new();
                loop {
                    if self.bytes.get(self.at) == Some(&0xF9) {
                        self.at += 1;
                        break Value::Array(items);
                    }
                    items.push(self.value(depth + 1)?);
                }
            }
            0xFA => {
                let mut map = Map::new();
                loop {
                    let k = self.byte()?;
                    let key = match k {
                        0xFB => break Value::Object(map),
                        0x20 => String::new(),
                        0x30..=0x33 => {
                            let i = (usize::from(k & 0x03) << 8) | usize::from(self.byte()?);
                            self.shared(&self.shared_names, i)?
                        }
                        0x34 => {
                            let s = self.terminated()?;
                            Self::remember(&mut self.shared_names, &s);
                            s
                        }
                        0x40..=0x7F => self.shared(&self.shared_names, usize::from(k & 0x3F))?,
                        0x80..=0xBF => {
                            let s = self.text(usize::from(k & 0x3F) + 1)?;
                            Self::remember(&mut self.shared_names, &s);
                            s
                        }
                        0xC0..=0xF7 => {
                            let s = self.text(usize::from(k & 0x3F) + 2)?;
                            Self::remember(&mut self.shared_names, &s);
                            s
                        }
                        _ => return self.err(format!("byte {k:#04x} does not start a name")),
                    };
                    let v = self.value(depth + 1)?;
                    map.insert(key, v);
                }
            }
            _ => return self.err(format!("byte {b:#04x} is a value drready does not read")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_snapshot_info_written_by_opensearch() {
        // The Smile part of a real `snap-<uuid>.dat` written by OpenSearch 2.19.6 (the test node).
        let bytes: &[u8] = &[
            0x3a, 0x29, 0x0a, 0x05, 0xfa, 0x87, b's', b'n', b'a', b'p', b's', b'h', b'o', b't',
            0xfa, 0x83, b'n', b'a', b'm', b'e', 0x41, b's', b'1', 0x84, b's', b't', b'a', b't',
            b'e', 0x46, b'S', b'U', b'C', b'C', b'E', b'S', b'S', 0x87, b'e', b'n', b'd', b'_',
            b't', b'i', b'm', b'e', 0x25, 0x01, 0x51, 0x0f, 0x0a, 0x78, 0x5d, 0xb0, 0x87, b'f',
            b'a', b'i', b'l', b'u', b'r', b'e', b's', 0xf8, 0xf9, 0xfb, 0x41, 0x42, b'o', b'u',
            b't', 0xfb,
        ];
        let v = decode(bytes).unwrap_or_else(|e| panic!("{e}"));
        let s = &v["snapshot"];
        assert_eq!(s["name"], "s1");
        assert_eq!(s["state"], "SUCCESS");
        assert_eq!(s["end_time"], 1_796_308_700_088_i64);
        assert_eq!(s["failures"], Value::Array(vec![]));
        // 0x41 is a back-reference to the second shared name, `name` (the header's flags, 0x05,
        // share names only, as OpenSearch writes them).
        assert_eq!(v["name"], "out");
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert!(decode(b"{}").is_err());
        assert!(decode(b":)\n\x05\xfa\x85abc").is_err());
        assert!(
            decode(b":)\n\x05\xfa\x50\x41").is_err(),
            "a name that was never shared"
        );
        assert!(
            decode(b":)\n\x05\x25\x01\x02").is_err(),
            "a VInt that does not end"
        );
    }
}
