//! The source readers: each turns one shape of billing data into the core's lines.
//!
//! - [`invoices`]: `invoices.csv` (invoice line items) and `subscription_events.csv`, under the
//!   lifecycle policies;
//! - `stripe`: Stripe API exports (`subscriptions.json`, `invoices.json`, credit notes and
//!   refunds), turned into the same charges and events as invoices.csv;
//! - `snapshots`: `subscription_snapshots` and the `revenue_movements` checked against them;
//! - `full_refunds`: which invoices were refunded in full, for both invoice readers.

pub(crate) mod decimal;
pub(crate) mod full_refunds;
pub mod invoices;
pub(crate) mod snapshots;
pub(crate) mod stripe;
