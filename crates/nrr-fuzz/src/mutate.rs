//! Mutations of an input: bytes, tokens, lines, CSV fields, JSON numbers and nesting, line
//! endings, truncation; a Parquet file byte by byte or rebuilt from its mutated CSV twin.

use crate::rng::Rng;
use crate::seeds::{to_parquet, File, Input};

pub(crate) const TOKENS: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1",
    "12",
    "1e400",
    "-1e400",
    "9999-12-31",
    "0000-01-01",
    "0001-01-01",
    "1970-01-01",
    "2024-02-29",
    "2024-02-30",
    "2024-13",
    "2024-Q5",
    "2024-Q1",
    "253402300799",
    "32503680000",
    "-9223372036854775808",
    "9223372036854775807",
    "18446744073709551616",
    "99999999999999999999",
    "9999999999999.999999",
    "0.0000001",
    "1.123456",
    "1095",
    "1096",
    "4294967296",
    "NaN",
    "null",
    "true",
    "\"",
    "\"\"",
    ",",
    "\r",
    "\n",
    "\r\n",
    "\u{feff}",
    "\x1b]0;x\x07",
    "=cmd|' /C calc'!A0",
    "USD",
    "EUR",
    "GBP",
    "usd",
    "JPY",
    "KWD",
    "one_time",
    "recurring",
    "subscription",
    "proration",
    "usage",
    "credit",
    "canceled",
    "past_due",
    "paused",
    "resumed",
    "trialing",
    "incomplete",
    "metered",
    "void",
    "{}",
    "[]",
    "[[[[[[[[[[[[[[[[",
    "12,50",
    "\u{ff11}",
    "\0",
    "\u{202e}",
];

pub(crate) const BYTES: &[u8] = b"\0\x01\x1b\x7f\xff\"',\n\r\t -+.0123456789:;[]{}eE";

pub(crate) fn token(rng: &mut Rng) -> Vec<u8> {
    rng.pick(TOKENS).as_bytes().to_vec()
}

/// Spans of bytes that look like one token (letters, digits and `_.:-+`).
pub(crate) fn token_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let is = |c: u8| c.is_ascii_alphanumeric() || b"_.:-+".contains(&c);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if is(b[i]) {
            let s = i;
            while i < b.len() && is(b[i]) {
                i += 1;
            }
            out.push((s, i));
        } else {
            i += 1;
        }
    }
    out
}

/// Line spans (without their `\n`).
pub(crate) fn line_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut s = 0;
    for (i, c) in b.iter().enumerate() {
        if *c == b'\n' {
            out.push((s, i));
            s = i + 1;
        }
    }
    if s < b.len() {
        out.push((s, b.len()));
    }
    out
}

pub(crate) fn mutate_bytes(b: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(8) {
        0 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = *rng.pick(BYTES);
        }
        2 => {
            let i = rng.below(b.len() + 1);
            b.insert(i, *rng.pick(BYTES));
        }
        3 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(16)).min(b.len() - i);
            b.drain(i..i + n);
        }
        4 if !b.is_empty() => {
            let i = rng.below(b.len());
            let n = (1 + rng.below(64)).min(b.len() - i);
            let chunk = b[i..i + n].to_vec();
            let at = rng.below(b.len() + 1);
            b.splice(at..at, chunk);
        }
        5 => {
            let i = rng.below(b.len() + 1);
            b.truncate(i);
        }
        6 if !b.is_empty() => {
            // An interesting integer written over 1, 2, 4 or 8 bytes (Parquet lengths).
            let width = [1usize, 2, 4, 8][rng.below(4)];
            let i = rng.below(b.len());
            let v: u64 = *rng.pick(&[0, 1, 0x7f, 0x80, 0xff, 0x7fff_ffff, u64::MAX, 1 << 31]);
            for k in 0..width.min(b.len() - i) {
                b[i + k] = (v >> (8 * k)) as u8;
            }
        }
        _ => {
            let i = rng.below(b.len() + 1);
            let t = token(rng);
            b.splice(i..i, t);
        }
    }
}

pub(crate) fn mutate_text(b: &mut Vec<u8>, rng: &mut Rng, json: bool) {
    match rng.below(12) {
        0..=3 => {
            // A token replaced by an interesting one.
            let spans = token_spans(b);
            if spans.is_empty() {
                return mutate_bytes(b, rng);
            }
            let (s, e) = *rng.pick(&spans);
            let t = if json && rng.chance(2) {
                format!("\"{}\"", String::from_utf8_lossy(&token(rng))).into_bytes()
            } else {
                token(rng)
            };
            b.splice(s..e, t);
        }
        4 => {
            // A line duplicated (a row twice, an object twice in JSONL).
            let lines = line_spans(b);
            if lines.is_empty() {
                return;
            }
            let (s, e) = *rng.pick(&lines);
            let mut l = b[s..e].to_vec();
            l.push(b'\n');
            let at = rng.pick(&lines).0;
            b.splice(at..at, l);
        }
        5 => {
            let lines = line_spans(b);
            if lines.len() > 1 {
                let (s, e) = *rng.pick(&lines[1..]);
                b.drain(s..(e + 1).min(b.len()));
            }
        }
        6 => {
            // Line endings: CRLF, CR only, or none at the end.
            let ends: [&[u8]; 3] = [b"\r\n", b"\r", b"\n\n"];
            let to = *rng.pick(&ends);
            let mut out = Vec::with_capacity(b.len() + b.len() / 16);
            for &c in b.iter() {
                if c == b'\n' {
                    out.extend_from_slice(to);
                } else {
                    out.push(c);
                }
            }
            *b = out;
        }
        7 if !json => {
            // A CSV field added or removed on one line.
            let lines = line_spans(b);
            if lines.is_empty() {
                return;
            }
            let (s, e) = *rng.pick(&lines);
            let commas: Vec<usize> = (s..e).filter(|&i| b[i] == b',').collect();
            if rng.chance(2) || commas.is_empty() {
                let mut t = vec![b','];
                t.extend(token(rng));
                b.splice(e..e, t);
            } else {
                let c = *rng.pick(&commas);
                let end = (c + 1..e).find(|&i| b[i] == b',').unwrap_or(e);
                b.drain(c..end);
            }
        }
        7 => {
            // A value wrapped in deep nesting.
            let spans = token_spans(b);
            if let Some(&(s, e)) = spans.get(rng.below(spans.len().max(1))) {
                let depth = [10usize, 127, 129, 300, 5000][rng.below(5)];
                let mut t = vec![b'['; depth];
                t.extend_from_slice(&b[s..e]);
                t.extend(std::iter::repeat_n(b']', depth));
                b.splice(s..e, t);
            }
        }
        8 => {
            // The file twice (every row or object again).
            if b.len() < 1 << 16 {
                let copy = b.clone();
                b.extend_from_slice(&copy);
            }
        }
        9 if json => {
            // A list object marked incomplete, or the BOM.
            if rng.chance(2) {
                b.splice(0..0, "\u{feff}".bytes());
            } else if let Some(i) = b.iter().rposition(|&c| c == b'}') {
                b.splice(i..i, b", \"has_more\": true".iter().copied());
            }
        }
        _ => mutate_bytes(b, rng),
    }
}

pub(crate) fn mutate(input: &mut Input, rng: &mut Rng) {
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        if input.files.is_empty() {
            return;
        }
        let i = rng.below(input.files.len());
        let f = &mut input.files[i];
        if f.name.ends_with(".parquet") {
            match (&mut f.csv_twin, rng.below(3)) {
                (Some(csv), 0 | 1) => {
                    mutate_text(csv, rng, false);
                    if let Some(pq) = to_parquet(csv, rng) {
                        f.bytes = pq;
                    }
                }
                _ => {
                    f.csv_twin = None;
                    mutate_bytes(&mut f.bytes, rng);
                }
            }
        } else {
            let json = f.name.ends_with(".json") || f.name.ends_with(".jsonl");
            mutate_text(&mut f.bytes, rng, json);
        }
    }
    // Rarely a side file joins or a revenue file gets a twin name.
    if rng.chance(40) {
        input.files.push(File {
            name: rng
                .pick(&[
                    "fx.csv",
                    "customers.csv",
                    "annotations.csv",
                    "customer_map.csv",
                ])
                .to_string(),
            bytes: token(rng),
            csv_twin: None,
        });
    }
}
