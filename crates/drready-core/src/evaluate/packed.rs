//! Verdicts packed per entity into one byte buffer, so that a million resources' verdicts, with the
//! facts that decided each, fit in a few hundred megabytes. `Verdict` is the unpacked view.
//!
//! Layout of one verdict: control (u16 LE), status (u8), cause (varint length + UTF-8, 0 for none),
//! fact count (varint), then each fact as a tag byte and its payload (varints zigzag-encoded).

use super::entities::Value;
use super::{Status, Verdict};

/// The verdicts of one entity.
#[derive(Debug, Clone)]
pub struct Packed {
    pub resource: u32,
    data: Box<[u8]>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

const ABSENT: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const LONG: u8 = 3;
const STR: u8 = 4;
const DATETIME: u8 = 5;
const DURATION: u8 = 6;
const SET: u8 = 7;
const COMPONENT: u8 = 8;

fn status_byte(s: Status) -> u8 {
    match s {
        Status::Pass => 0,
        Status::Fail => 1,
        Status::NoEvidence => 2,
        Status::NotApplicable => 3,
    }
}

fn status_of(b: u8) -> Status {
    match b {
        0 => Status::Pass,
        1 => Status::Fail,
        2 => Status::NoEvidence,
        _ => Status::NotApplicable,
    }
}

/// Builds the packed verdicts of one entity.
#[derive(Default)]
pub struct Packer {
    buf: Vec<u8>,
}

impl Packer {
    pub fn push(
        &mut self,
        control: u16,
        status: Status,
        cause: Option<&str>,
        facts: &[Option<Value>],
    ) {
        let out = &mut self.buf;
        out.extend_from_slice(&control.to_le_bytes());
        out.push(status_byte(status));
        put_str(out, cause.unwrap_or(""));
        put_varint(out, facts.len() as u64);
        for f in facts {
            match f {
                None => out.push(ABSENT),
                Some(Value::Bool(false)) => out.push(FALSE),
                Some(Value::Bool(true)) => out.push(TRUE),
                Some(Value::Long(n)) => {
                    out.push(LONG);
                    put_varint(out, zigzag(*n));
                }
                Some(Value::Str(s)) => {
                    out.push(STR);
                    put_str(out, s);
                }
                Some(Value::Datetime(t)) => {
                    out.push(DATETIME);
                    put_varint(out, zigzag(*t));
                }
                Some(Value::Duration(d)) => {
                    out.push(DURATION);
                    put_varint(out, zigzag(*d));
                }
                Some(Value::Set(items)) => {
                    out.push(SET);
                    put_varint(out, items.len() as u64);
                    for i in items.iter() {
                        put_str(out, i);
                    }
                }
                Some(Value::Component(c)) => {
                    out.push(COMPONENT);
                    put_varint(out, u64::from(*c));
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn finish(&mut self, resource: u32) -> Packed {
        Packed {
            resource,
            data: std::mem::take(&mut self.buf).into_boxed_slice(),
        }
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn varint(&mut self) -> u64 {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 || shift > 63 {
                return v;
            }
            shift += 7;
        }
    }
    fn str(&mut self) -> &str {
        let n = self.varint() as usize;
        let end = (self.pos + n).min(self.data.len());
        let s = std::str::from_utf8(&self.data[self.pos.min(end)..end]).unwrap_or("");
        self.pos = end;
        s
    }
    fn skip_str(&mut self) {
        let n = self.varint() as usize;
        self.pos += n;
    }
    fn value(&mut self) -> Option<Value> {
        Some(match self.byte() {
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            LONG => Value::Long(unzigzag(self.varint())),
            STR => Value::Str(self.str().into()),
            DATETIME => Value::Datetime(unzigzag(self.varint())),
            DURATION => Value::Duration(unzigzag(self.varint())),
            SET => {
                let n = self.varint() as usize;
                Value::Set((0..n).map(|_| self.str().into()).collect())
            }
            COMPONENT => Value::Component(self.varint() as u32),
            _ => return None,
        })
    }
    fn skip_value(&mut self) {
        match self.byte() {
            LONG | DATETIME | DURATION | COMPONENT => {
                self.varint();
            }
            STR => self.skip_str(),
            SET => {
                let n = self.varint();
                for _ in 0..n {
                    self.skip_str();
                }
            }
            _ => {}
        }
    }
}

impl Reader<'_> {
    /// The control and status of the next verdict, or `None` at the end.
    fn head(&mut self) -> Option<(u16, Status)> {
        if self.pos >= self.data.len() {
            return None;
        }
        let control = u16::from_le_bytes([self.byte(), self.byte()]);
        Some((control, status_of(self.byte())))
    }
}

impl Packed {
    fn reader(&self) -> Reader<'_> {
        Reader {
            data: &self.data,
            pos: 0,
        }
    }

    /// Each verdict's control and status, without unpacking the facts.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, Status)> + '_ {
        let mut r = self.reader();
        std::iter::from_fn(move || {
            let head = r.head()?;
            r.skip_str();
            for _ in 0..r.varint() {
                r.skip_value();
            }
            Some(head)
        })
    }

    /// The verdicts, unpacked.
    pub fn verdicts(&self) -> impl Iterator<Item = Verdict> + '_ {
        let resource = self.resource;
        let mut r = self.reader();
        std::iter::from_fn(move || {
            let (control, status) = r.head()?;
            let cause = r.str();
            let cause = (!cause.is_empty()).then(|| cause.into());
            let n = r.varint() as usize;
            let facts = (0..n).map(|_| r.value()).collect();
            Some(Verdict {
                control,
                resource,
                status,
                facts,
                cause,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        let facts = vec![
            None,
            Some(Value::Bool(true)),
            Some(Value::Long(-7)),
            Some(Value::Str("aws:kms".into())),
            Some(Value::Datetime(1_764_000_000)),
            Some(Value::Duration(900)),
            Some(Value::Set(
                vec!["us-west-2".into(), "eu-west-1".into()].into(),
            )),
            Some(Value::Component(3)),
        ];
        let mut p = Packer::default();
        p.push(4, Status::Fail, None, &facts);
        p.push(
            300,
            Status::NoEvidence,
            Some("rds:DescribeDBSnapshots failed"),
            &[],
        );
        let packed = p.finish(42);
        let v: Vec<Verdict> = packed.verdicts().collect();
        assert_eq!(v.len(), 2);
        assert_eq!(
            (v[0].control, v[0].resource, v[0].status),
            (4, 42, Status::Fail)
        );
        assert_eq!(v[0].facts.to_vec(), facts);
        assert_eq!(
            v[1].cause.as_deref(),
            Some("rds:DescribeDBSnapshots failed")
        );
        let s: Vec<(u16, Status)> = packed.statuses().collect();
        assert_eq!(s, [(4, Status::Fail), (300, Status::NoEvidence)]);
    }
}
