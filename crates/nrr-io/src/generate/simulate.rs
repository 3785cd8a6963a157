//! Per-customer simulation: each customer's lines, month by month, from its own stream.

use super::calendar::{Ctx, WindowDate};
use super::catalogue::*;
use super::random::Rng;

pub(super) struct Sim<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) rng: Rng,
    pub(super) lines: &'a mut Vec<Line>,
    pub(super) segment: usize,
    /// Negotiated discount in basis points.
    pub(super) discount: u64,
    pub(super) subs: u32,
}

impl Sim<'_> {
    pub(super) fn amount(&self, qty: u32, unit: u64, interval: u8) -> u64 {
        let bp = (self.discount + interval_discount(interval)).min(9000);
        let gross = u128::from(qty) * u128::from(unit) * u128::from(interval);
        ((gross * u128::from(10_000 - bp) + 5_000) / 10_000) as u64
    }

    /// A start day: the 1st about half the time, else the 2nd to the 28th (valid in every month,
    /// so anniversaries always exist).
    pub(super) fn start_day(&mut self) -> u32 {
        if self.rng.chance(5500) {
            1
        } else {
            self.rng.range(2, 28) as u32
        }
    }

    /// An end day for a cancellation: any valid day of month `m`.
    pub(super) fn end_day(&mut self, m: u32) -> u32 {
        if self.rng.chance(4000) {
            1
        } else {
            self.rng.range(2, u64::from(self.ctx.dim(m))) as u32
        }
    }

    pub(super) fn pick_interval(&mut self) -> u8 {
        const W: [[u64; 3]; 3] = [[75, 10, 15], [50, 20, 30], [15, 15, 70]];
        [1, 3, 12][self.rng.pick(&W[self.segment])]
    }

    pub(super) fn pick_qty(&mut self) -> u32 {
        match self.segment {
            SMB => self.rng.range(1, 8) as u32,
            MID => self.rng.range(5, 60) as u32,
            _ => self.rng.range(40, 400) as u32,
        }
    }

    pub(super) fn pick_plan(&mut self) -> u8 {
        let hi = self.rng.chance(3000);
        match (self.segment, hi) {
            (SMB, false) => 1,
            (SMB, true) | (MID, false) => 2,
            (MID, true) | (_, false) => 3,
            (_, true) => 4,
        }
    }

    pub(super) fn new_sub(&mut self) -> u32 {
        self.subs += 1;
        self.subs
    }

    pub(super) fn open(&mut self, line: Line, unit: u64) -> Track {
        self.lines.push(line);
        Track {
            line: self.lines.len() - 1,
            unit,
            price_m: line.start.m,
        }
    }

    /// Opens a paid (or free) core subscription at `at`.
    pub(super) fn open_core(&mut self, at: WindowDate, free: bool, plan: u8) -> Track {
        let sub = self.new_sub();
        let (plan, interval, qty) = if free {
            (PLAN_FREE, 1, self.rng.range(1, 3) as u32)
        } else {
            (plan, self.pick_interval(), self.pick_qty())
        };
        let unit = PLAN_UNIT[plan as usize];
        let amount = self.amount(qty, unit, interval);
        self.open(
            Line {
                start: at,
                end: None,
                amount,
                qty,
                sub,
                interval,
                product: PROD_CORE,
                plan,
                one_time: false,
            },
            unit,
        )
    }

    pub(super) fn one_time(&mut self, at: WindowDate, product: u8, amount: u64) {
        self.lines.push(Line {
            start: at,
            end: None,
            amount,
            qty: 1,
            sub: 0,
            interval: 1,
            product,
            plan: PLAN_SERVICES,
            one_time: true,
        });
    }

    pub(super) fn onboarding_fee(&mut self, at: WindowDate) {
        let amount = match self.segment {
            SMB => 25_000,
            MID => 150_000,
            _ => self.rng.range(5, 25) * 100_000,
        };
        self.one_time(at, PROD_ONBOARDING, amount);
    }

    pub(super) fn end(&mut self, t: Track, at: WindowDate) {
        debug_assert!(self.lines[t.line].start < at);
        self.lines[t.line].end = Some(at);
    }

    /// Ends the tracked line at `at` and starts its successor there with `qty`, `unit`, `plan`
    /// and `interval` (amount recomputed).
    pub(super) fn replace(
        &mut self,
        t: &mut Track,
        at: WindowDate,
        qty: u32,
        unit: u64,
        plan: u8,
        interval: u8,
    ) {
        let old = self.lines[t.line];
        self.end(*t, at);
        let amount = if unit == t.unit && qty == old.qty && interval == old.interval {
            old.amount
        } else {
            self.amount(qty, unit, interval)
        };
        if unit != t.unit {
            t.price_m = at.m;
        }
        t.unit = unit;
        self.lines.push(Line {
            start: at,
            end: None,
            amount,
            qty,
            interval,
            plan,
            ..old
        });
        t.line = self.lines.len() - 1;
    }

    /// One month of a free primary subscription: it ends, or moves up to the starter plan, or
    /// stays. Returns the churn date if it churned this month.
    fn step_free(&mut self, p: &mut Track, m: u32) -> Option<WindowDate> {
        let line = self.lines[p.line];
        if self.rng.chance(350) {
            let at = WindowDate {
                m,
                day: self.end_day(m),
            };
            self.end(*p, at);
            return Some(at);
        }
        if self.rng.chance(700) {
            let at = WindowDate {
                m,
                day: self.start_day(),
            };
            let unit = PLAN_UNIT[PLAN_STARTER as usize];
            self.replace(p, at, line.qty, unit, PLAN_STARTER, 1);
        }
        None
    }

    /// One month of events of the primary (core) subscription. Returns the churn date if it
    /// churned this month.
    pub(super) fn step_primary(&mut self, p: &mut Track, m: u32) -> Option<WindowDate> {
        let line = self.lines[p.line];
        let interval = u32::from(line.interval);
        let age = m - line.start.m;
        let renewal = age.is_multiple_of(interval);
        let renewal_date = WindowDate {
            m,
            day: line.start.day,
        };

        if line.plan == PLAN_FREE {
            return self.step_free(p, m);
        }

        // Churn: monthly plans any month on any day, longer terms at renewal.
        let hazard = [200u64, 120, 60][self.segment];
        if interval == 1 {
            if self.rng.chance(hazard) {
                let at = WindowDate {
                    m,
                    day: self.end_day(m),
                };
                self.end(*p, at);
                return Some(at);
            }
        } else if renewal && self.rng.chance(hazard * u64::from(interval) * 3 / 4) {
            self.end(*p, renewal_date);
            return Some(renewal_date);
        }

        // At most one change of the primary line a month.
        let r = self.rng.below(10_000);
        let expand = [140u64, 190, 180][self.segment];
        let downgrade = if interval == 1 {
            80
        } else if renewal {
            1000
        } else {
            0
        };
        // Price reviews once a year after a year at the same price, at a renewal.
        let since = m - p.price_m;
        let price_rise = if renewal && since >= 12 && since % 12 < interval {
            2500
        } else {
            0
        };
        let upgrade = if line.plan < PLAN_ENTERPRISE { 45 } else { 0 };
        let to_annual = if interval == 1 && age >= 3 { 50 } else { 0 };
        let mut edge = 0;
        let mut hit = |w: u64| {
            edge += w;
            r < edge && r >= edge - w
        };
        if hit(price_rise) {
            let unit = (p.unit * self.rng.range(103, 110)).div_ceil(100);
            self.replace(p, renewal_date, line.qty, unit, line.plan, line.interval);
        } else if hit(expand) {
            let add = (line.qty as u64 * self.rng.range(5, 40) / 100).max(1) as u32;
            let at = WindowDate {
                m,
                day: self.start_day(),
            };
            self.replace(p, at, line.qty + add, p.unit, line.plan, line.interval);
        } else if hit(downgrade) {
            let at = if interval == 1 {
                WindowDate {
                    m,
                    day: self.start_day(),
                }
            } else {
                renewal_date
            };
            if line.qty > 1 {
                let cut = (line.qty as u64 * self.rng.range(10, 40) / 100).max(1) as u32;
                self.replace(p, at, line.qty - cut, p.unit, line.plan, line.interval);
            } else if line.plan > PLAN_STARTER {
                let plan = line.plan - 1;
                let unit = PLAN_UNIT[plan as usize];
                self.replace(p, at, line.qty, unit, plan, line.interval);
            }
        } else if hit(upgrade) {
            let plan = line.plan + 1;
            let unit = PLAN_UNIT[plan as usize].max(p.unit);
            let at = WindowDate {
                m,
                day: self.start_day(),
            };
            self.replace(p, at, line.qty, unit, plan, line.interval);
        } else if hit(to_annual) {
            self.replace(p, renewal_date, line.qty, p.unit, line.plan, 12);
        }
        None
    }

    /// One month of events of a cross-sold line. Returns false when it ended.
    pub(super) fn step_secondary(&mut self, s: &mut Track, m: u32) -> bool {
        let line = self.lines[s.line];
        let interval = u32::from(line.interval);
        let renewal = (m - line.start.m).is_multiple_of(interval);
        let churn = if interval == 1 {
            90
        } else if renewal {
            90 * u64::from(interval) * 3 / 4
        } else {
            0
        };
        if self.rng.chance(churn) {
            let at = if interval == 1 {
                WindowDate {
                    m,
                    day: self.end_day(m),
                }
            } else {
                WindowDate {
                    m,
                    day: line.start.day,
                }
            };
            self.end(*s, at);
            return false;
        }
        if line.product != PROD_SANDBOX && self.rng.chance(150) {
            let add = (line.qty as u64 * self.rng.range(10, 50) / 100).max(1) as u32;
            let at = WindowDate {
                m,
                day: self.start_day(),
            };
            self.replace(s, at, line.qty + add, s.unit, line.plan, line.interval);
        }
        true
    }

    pub(super) fn cross_sell(&mut self, p: &Track, m: u32) -> Track {
        let base = self.lines[p.line];
        let product = [PROD_ANALYTICS, PROD_AUTOMATION, PROD_SANDBOX][self.rng.pick(&[60, 30, 10])];
        let sub = self.new_sub();
        let at = WindowDate {
            m,
            day: self.start_day(),
        };
        let unit = PRODUCT_UNIT[product as usize];
        let (qty, plan) = if product == PROD_SANDBOX {
            (1, PLAN_FREE)
        } else {
            let q = (base.qty as u64 * self.rng.range(20, 100) / 100).max(1) as u32;
            (q, base.plan)
        };
        let amount = self.amount(qty, unit, base.interval);
        self.open(
            Line {
                start: at,
                end: None,
                amount,
                qty,
                sub,
                interval: base.interval,
                product,
                plan,
                one_time: false,
            },
            unit,
        )
    }
}

/// Per-customer attributes written to `customers.csv`.
pub(super) struct Profile {
    pub(super) segment: usize,
    pub(super) region: usize,
    pub(super) tier: u8,
    pub(super) currency: usize,
}

/// Simulates customer `idx` (0-based) into `lines` (cleared first), sorted by start date.
/// What a customer is, drawn first from its random stream (in this order, so the stream stays
/// the same): segment, region, currency, discount and signup month.
struct Draw {
    segment: usize,
    region: usize,
    currency: usize,
    discount: u64,
    signup_m: u32,
}

impl Draw {
    fn new(ctx: &Ctx, rng: &mut Rng) -> Draw {
        let segment = rng.pick(&[62, 28, 10]);
        let region = rng.pick(&[50, 32, 18]);
        let currency = if ctx.currencies && rng.chance(500) {
            if region == 1 || rng.chance(3000) {
                1 + rng.pick(&[65, 35])
            } else {
                2
            }
        } else {
            0
        };
        let discount = match segment {
            SMB => {
                if rng.chance(1500) {
                    1000
                } else {
                    0
                }
            }
            MID => rng.range(0, 1200),
            _ => rng.range(500, 2500),
        };
        let months = ctx.months;
        let signup_m = if months == 1 || rng.chance(3000) {
            0
        } else {
            rng.range(1, u64::from(months) - 1) as u32
        };
        Draw {
            segment,
            region,
            currency,
            discount,
            signup_m,
        }
    }
}

pub(super) fn simulate(ctx: &Ctx, idx: u64, lines: &mut Vec<Line>) -> Profile {
    lines.clear();
    let mut rng = Rng::stream(ctx.seed, idx);
    let Draw {
        segment,
        region,
        currency,
        discount,
        signup_m,
    } = Draw::new(ctx, &mut rng);
    let months = ctx.months;
    let mut sim = Sim {
        ctx,
        rng,
        lines,
        segment,
        discount,
        subs: 0,
    };

    let free = segment == SMB && sim.rng.chance(900);
    let tier = if free { PLAN_FREE } else { sim.pick_plan() };
    let at = WindowDate {
        m: signup_m,
        day: sim.start_day(),
    };
    let mut primary = Some(sim.open_core(at, free, tier));
    let onboarding = [700u64, 3500, 7000][segment];
    if !free && sim.rng.chance(onboarding) {
        sim.onboarding_fee(at);
    }
    let mut secondary: Option<Track> = None;
    let mut reactivate_at: Option<u32> = None;
    let mut plan = tier;

    for m in signup_m + 1..months {
        if let Some(mut p) = primary {
            if let Some(churned) = sim.step_primary(&mut p, m) {
                if let Some(s) = secondary.take() {
                    sim.end(s, churned);
                }
                plan = sim.lines[p.line].plan.max(PLAN_STARTER);
                primary = None;
                if sim.rng.chance(3500) {
                    reactivate_at = Some(m + sim.rng.range(2, 9) as u32);
                }
                continue;
            }
            let is_free = sim.lines[p.line].plan == PLAN_FREE;
            match secondary {
                Some(mut s) => {
                    secondary = sim.step_secondary(&mut s, m).then_some(s);
                }
                None if !is_free && sim.rng.chance(130) => {
                    secondary = Some(sim.cross_sell(&p, m));
                }
                None => {}
            }
            if !is_free && sim.rng.chance(25) {
                let at = WindowDate {
                    m,
                    day: sim.start_day(),
                };
                let amount = sim.rng.range(4, 40) * 5_000;
                sim.one_time(at, PROD_TRAINING, amount);
            }
            primary = Some(p);
        } else if reactivate_at == Some(m) {
            reactivate_at = None;
            let at = WindowDate {
                m,
                day: sim.start_day(),
            };
            primary = Some(sim.open_core(at, false, plan));
            if sim.rng.chance(1500) {
                sim.onboarding_fee(at);
            }
        }
    }
    // Stable: lines starting on the same day keep their creation order.
    sim.lines.sort_by_key(|l| l.start);
    Profile {
        segment,
        region,
        tier,
        currency,
    }
}
