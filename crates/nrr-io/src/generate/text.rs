//! Writing the CSV bytes: numbers, cents, dates, customer ids, and one chunk of customers.

use super::calendar::{digits, Ctx, WindowDate};
use super::catalogue::{Line, CURRENCIES, PLANS, PRODUCTS, REGIONS, SEGMENTS};
use super::simulate::simulate;

pub(super) fn push_u64(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

pub(super) fn push_padded(buf: &mut Vec<u8>, n: u64, width: usize) {
    for _ in digits(n)..width {
        buf.push(b'0');
    }
    push_u64(buf, n);
}

pub(super) fn push_cents(buf: &mut Vec<u8>, cents: u64) {
    push_u64(buf, cents / 100);
    let c = (cents % 100) as u8;
    buf.extend_from_slice(&[b'.', b'0' + c / 10, b'0' + c % 10]);
}

pub(super) fn push_date(buf: &mut Vec<u8>, ctx: &Ctx, d: WindowDate) {
    buf.extend_from_slice(&ctx.month_prefix[d.m as usize].0);
    buf.extend_from_slice(&[b'0' + (d.day / 10) as u8, b'0' + (d.day % 10) as u8]);
}

/// Output of one chunk of customers; buffers are reused across chunks.
#[derive(Default)]
pub(super) struct ChunkOut {
    pub(super) items: Vec<u8>,
    pub(super) customers: Vec<u8>,
    pub(super) rows: u64,
    pub(super) lines: Vec<Line>,
}

impl ChunkOut {
    pub(super) fn fill(&mut self, ctx: &Ctx, lo: u64, hi: u64) {
        self.items.clear();
        self.customers.clear();
        self.rows = 0;
        let mut id = [0u8; 24];
        for idx in lo..hi {
            let profile = simulate(ctx, idx, &mut self.lines);
            let id = customer_id(&mut id, idx + 1, ctx.id_width);

            let c = &mut self.customers;
            c.extend_from_slice(id);
            c.push(b',');
            c.extend_from_slice(SEGMENTS[profile.segment].as_bytes());
            c.push(b',');
            c.extend_from_slice(REGIONS[profile.region].as_bytes());
            c.push(b',');
            c.extend_from_slice(PLANS[profile.tier as usize].as_bytes());
            c.push(b'\n');

            let cur = CURRENCIES[profile.currency].as_bytes();
            let b = &mut self.items;
            for l in &self.lines {
                b.extend_from_slice(id);
                b.push(b',');
                if l.sub > 0 {
                    b.extend_from_slice(id);
                    b.extend_from_slice(b"-s");
                    push_u64(b, u64::from(l.sub));
                }
                b.push(b',');
                b.extend_from_slice(PRODUCTS[l.product as usize].as_bytes());
                b.push(b',');
                b.extend_from_slice(PLANS[l.plan as usize].as_bytes());
                b.push(b',');
                push_u64(b, u64::from(l.qty));
                b.push(b',');
                push_cents(b, l.amount);
                b.push(b',');
                b.extend_from_slice(cur);
                b.push(b',');
                push_u64(b, u64::from(l.interval));
                b.push(b',');
                push_date(b, ctx, l.start);
                b.push(b',');
                if let Some(e) = l.end {
                    push_date(b, ctx, e);
                }
                b.extend_from_slice(if l.one_time {
                    b",one_time\n"
                } else {
                    b",recurring\n"
                });
            }
            self.rows += self.lines.len() as u64;
        }
    }
}

/// Writes `c` + `n` zero-padded to `width` into `buf`, returning the written prefix.
pub(super) fn customer_id(buf: &mut [u8; 24], n: u64, width: usize) -> &[u8] {
    buf[0] = b'c';
    let w = width.max(digits(n));
    let mut x = n;
    for i in (1..=w).rev() {
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    &buf[..=w]
}
