//! What the simulated company sells: segments, regions, currencies, plans and products.

use super::calendar::WindowDate;

pub(super) const SEGMENTS: [&str; 3] = ["smb", "mid", "ent"];
pub(super) const REGIONS: [&str; 3] = ["na", "emea", "apac"];
pub(super) const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

pub(super) const PLAN_FREE: u8 = 0;
pub(super) const PLAN_STARTER: u8 = 1;
pub(super) const PLAN_ENTERPRISE: u8 = 4;
pub(super) const PLAN_SERVICES: u8 = 5;
pub(super) const PLANS: [&str; 6] = [
    "free",
    "starter",
    "growth",
    "scale",
    "enterprise",
    "services",
];
/// List price per seat and month, in cents, for plans 0..=4 of the core product.
pub(super) const PLAN_UNIT: [u64; 5] = [0, 1200, 2900, 5900, 9900];

pub(super) const PROD_CORE: u8 = 0;
pub(super) const PROD_ANALYTICS: u8 = 1;
pub(super) const PROD_AUTOMATION: u8 = 2;
pub(super) const PROD_SANDBOX: u8 = 3;
pub(super) const PROD_ONBOARDING: u8 = 4;
pub(super) const PROD_TRAINING: u8 = 5;
pub(super) const PRODUCTS: [&str; 6] = [
    "core",
    "analytics",
    "automation",
    "sandbox",
    "onboarding",
    "training",
];
/// List price per seat and month, in cents, of the add-on products.
pub(super) const PRODUCT_UNIT: [u64; 4] = [0, 900, 1900, 0];

pub(super) const SMB: usize = 0;
pub(super) const MID: usize = 1;

#[derive(Debug, Clone, Copy)]
pub(super) struct Line {
    pub(super) start: WindowDate,
    pub(super) end: Option<WindowDate>,
    pub(super) amount: u64,
    pub(super) qty: u32,
    /// Subscription number within the customer; 0 = none (one-time charges).
    pub(super) sub: u32,
    pub(super) interval: u8,
    pub(super) product: u8,
    pub(super) plan: u8,
    pub(super) one_time: bool,
}

/// An active recurring line and what is needed to reprice it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Track {
    pub(super) line: usize,
    /// Current list price per seat and month, in cents.
    pub(super) unit: u64,
    /// Window month of the last price change.
    pub(super) price_m: u32,
}

/// Billing discount in basis points by interval.
pub(super) fn interval_discount(interval: u8) -> u64 {
    match interval {
        12 => 1500,
        3 => 500,
        _ => 0,
    }
}
